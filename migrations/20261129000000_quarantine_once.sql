-- A refused save is quarantined once: a device that sends the same refused save again (a replay after a lost reply,
-- or an older app that retries rejected saves) adds no row. `payload` is jsonb, whose text form is canonical (keys
-- sorted, no whitespace), so equal saves have equal hashes.
delete from quarantine q
using quarantine older
where older.respondent_id = q.respondent_id
  and md5(older.payload::text) = md5(q.payload::text)
  and older.id < q.id;

create unique index quarantine_once on quarantine (respondent_id, md5(payload::text));
