#!/usr/bin/env bash
# A rehearsal of backup and point-in-time restore, on a throwaway PostgreSQL 15 of its own: loopback only, bounded in
# time, removed at the end. It never touches the private cluster of scripts/pg.sh, the cluster of scripts/cluster.sh
# or a system cluster.
#
#   scripts/backup.sh                              # 10,000 respondents, under a minute
#   BACKUP_RESPONDENTS=100000 scripts/backup.sh    # ten times the data, 2 to 5 minutes
#   BACKUP_PORT=26431 scripts/backup.sh            # the first of its two ports (default; the next free ones from there)
#
# In order: start PostgreSQL 15 with WAL archiving (archive_command copies each finished segment into a folder);
# apply migrations/*.sql with psql; write saves; take a base backup with pg_basebackup and check it with
# pg_verifybackup; write more saves; record a target time; then do the damage a restore is for (delete one school's
# answers, write saves that must not come back) and stop that server. Restore the base backup into a new folder with
# restore_command and recovery_target_time, start it on another port, and check that every table holds exactly what
# it held at the target time: row counts and an md5 of every row. Exits non-zero on any difference.
#
# Runs as root (PostgreSQL then runs as `postgres`, like scripts/pg.sh) or as an ordinary user (who runs it).
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PG_BIN=/usr/lib/postgresql/15/bin
RESPONDENTS="${BACKUP_RESPONDENTS:-10000}"
PAGES=20
SCHOOLS=20

is_root() { [ "$(id -u)" = 0 ]; }
# PostgreSQL refuses to run as root: as root, its programs run as `postgres`, from / (it may not enter the cwd).
as_pg() { if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
pg() { local bin="$PG_BIN/$1"; shift; as_pg "$bin" "$@"; }
# statement_timeout bounds every statement this script sends, so nothing here can hang for ever.
q() { # port, psql arguments...
  local port=$1; shift
  PGOPTIONS='-c statement_timeout=300s' "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U quire -d quire -X -qAt \
    -v ON_ERROR_STOP=1 "$@"
}
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
mb() { du -sb "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
free_port() { # the first free port from $1 on
  local p=$1
  while port_busy "$p"; do p=$((p + 1)); [ "$p" -lt $(($1 + 50)) ] || { echo "no free port near $1" >&2; return 1; }; done
  echo "$p"
}

# ---- what it needs ----
if [ ! -x "$PG_BIN/pg_basebackup" ]; then
  # The package's own cluster would start on install where a service manager runs: hold it back with policy-rc.d,
  # as cluster.sh does. This script never uses it.
  policy=/usr/sbin/policy-rc.d
  if ! is_root || [ -e "$policy" ]; then
    apt_install postgresql-15
  else
    # Removed however the install ends: left behind, it would stop every later package from starting its service.
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"
    (trap 'rm -f "$policy"' EXIT; apt_install postgresql-15)
  fi
fi

# One rehearsal at a time: two would share the folder.
exec 9>"$STATE/backup.lock"
flock -n 9 || { echo "another scripts/backup.sh is running" >&2; exit 1; }

# ---- its folder: .quire/backup, or /var/tmp/quire-backup-<hash> (linked) when `postgres` cannot enter the checkout ----
LINK="$STATE/backup"
ALT="/var/tmp/quire-backup-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
H=""
stop_servers() {
  local d
  for d in "$LINK/source" "$LINK/restored"; do
    if [ -f "$d/postmaster.pid" ]; then pg pg_ctl -D "$d" -m immediate -w stop >/dev/null 2>&1 || true; fi
  done
}
cleanup() {
  local rc=$?
  stop_servers
  if [ "$rc" != 0 ] && [ -n "$H" ]; then
    local f
    for f in "$H"/*.log; do [ -f "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }; done
    echo "backup rehearsal FAILED" >&2
  fi
  rm -rf "$LINK" "$ALT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
stop_servers # a run killed before its cleanup may have left them running
rm -rf "$LINK" "$ALT"
mkdir -p "$LINK"
if is_root; then
  chown postgres: "$LINK"; chmod 700 "$LINK"
  if ! runuser -u postgres -- test -w "$LINK"; then
    rm -rf "$LINK"; mkdir -p "$ALT"; chown postgres: "$ALT"; chmod 700 "$ALT"; ln -s "$ALT" "$LINK"
  fi
fi
H="$(readlink -f "$LINK")"
A="$H/archive"
as_pg mkdir "$A"
SRC_PORT="$(free_port "${BACKUP_PORT:-26431}")"
DST_PORT="$(free_port $((SRC_PORT + 1)))"

# ---- the server to back up ----
log "initdb: a throwaway PostgreSQL in $H/source, 127.0.0.1:$SRC_PORT"
# trust on loopback only, as the private cluster: it lives for this run alone and is never reachable from outside.
pg initdb -D "$H/source" -U quire --auth=trust -E UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
# The archive copy is synced before it counts as archived: PostgreSQL recycles a segment once archive_command returns
# 0, and a copy still in the page cache is lost with the machine. The .part and mv keep restore_command from ever
# reading half a file. `test ! -f` refuses to overwrite a segment already archived (PostgreSQL's own example).
cat >>"$H/source/postgresql.conf" <<CONF
# scripts/backup.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$H'
fsync = on
wal_level = replica
archive_mode = on
archive_command = 'test ! -f "$A/%f" && cp "%p" "$A/%f.part" && sync "$A/%f.part" && mv "$A/%f.part" "$A/%f"'
CONF
pg pg_ctl -D "$H/source" -l "$H/source.log" -o "-p $SRC_PORT" -w -t 60 start >/dev/null
"$PG_BIN/psql" -h 127.0.0.1 -p "$SRC_PORT" -U quire -d postgres -X -qc "create database quire"
# psql, not `quire migrate`: no build needed. Each file in one transaction, in name order, as sqlx applies them.
for f in migrations/*.sql; do q "$SRC_PORT" -1 -f "$f" >/dev/null; done
PG_VERSION="$(q "$SRC_PORT" -c "show server_version")"
# Every table the migrations made, so that one added later is checked too. Unlogged tables are left out: PostgreSQL
# neither backs them up nor writes them to the WAL, and a restored (or failed-over) server starts them empty.
tables() { # persistence: p (permanent) or u (unlogged)
  q "$SRC_PORT" -c "select coalesce(string_agg(c.relname, ' ' order by c.relname), '') from pg_class c
                    join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = 'public' and c.relkind in ('r', 'p') and c.relpersistence = '$1'"
}
TABLES="$(tables p)"
UNLOGGED="$(tables u)"

log "a roster of $RESPONDENTS respondents"
q "$SRC_PORT" -1 -v n="$RESPONDENTS" -v schools="$SCHOOLS" >/dev/null <<'SQL'
insert into survey_versions (version, survey_id, content) values ('rehearsal-v1', 'rehearsal', '{}');
insert into surveys (survey_id, current_version, published_at) values ('rehearsal', 'rehearsal-v1', now());
insert into respondents (id, survey_id, school, class, role, external_id, access_code, survey_version)
select md5('respondent' || i)::uuid, 'rehearsal', 'school-' || lpad((i % :schools)::text, 2, '0'),
       'class-' || (i % (:schools * 10)), 'student', 'ext-' || i, upper(md5('code' || i)), 'rehearsal-v1'
from generate_series(1, :n) i;
insert into group_progress (survey_id, school, class, total)
select survey_id, school, class, count(*) from respondents group by 1, 2, 3;
SQL

# Saves as ingest writes them: history rows, current answers pointing at the highest revision, progress, and the
# per-class aggregates. One transaction per call.
write_saves() { # first revision, last revision
  q "$SRC_PORT" -1 -v first="$1" -v last="$2" -v pages="$PAGES" >/dev/null <<'SQL'
insert into page_saves (respondent_id, revision, page_id, answers, client_time, finishes, draft)
select r.id, v, 'page_' || ((v - 1) % :pages + 1),
       jsonb_build_object('q' || v, jsonb_build_object('choice', (v % 5)::text),
                          'note' || v, jsonb_build_object('text', md5(r.id::text || v))),
       now(), v = :pages, false
from respondents r, generate_series(:first, :last) v;
insert into current_answers as c (respondent_id, page_id, revision)
select respondent_id, page_id, max(revision) from page_saves where revision between :first and :last group by 1, 2
on conflict (respondent_id, page_id) do update set revision = excluded.revision, updated_at = now()
  where c.revision < excluded.revision;
insert into respondent_progress as p (respondent_id, last_page, last_revision, last_activity, completed_at)
select id, 'page_' || ((:last - 1) % :pages + 1), :last, now(), case when :last >= :pages then now() end
from respondents
on conflict (respondent_id) do update
  set last_page = excluded.last_page, last_revision = excluded.last_revision,
      last_activity = excluded.last_activity, completed_at = coalesce(p.completed_at, excluded.completed_at);
insert into group_progress as g (survey_id, school, class, total, started, completed, last_activity)
select r.survey_id, r.school, r.class, count(*), count(p.respondent_id), count(p.completed_at), max(p.last_activity)
from respondents r left join respondent_progress p on p.respondent_id = r.id
group by 1, 2, 3
on conflict (survey_id, school, class) do update
  set started = excluded.started, completed = excluded.completed, last_activity = excluded.last_activity;
SQL
}

# One line per table: name, rows, and the md5 of the sorted md5s of its rows (32 bytes a row to aggregate, so even
# millions of rows stay far below the 1 GB a text value may hold).
snapshot() { # port
  local t sql=""
  for t in $TABLES; do
    sql+="select '$t', count(*), md5(coalesce(string_agg(md5(x::text), '' order by md5(x::text)), '')) from $t x "
    sql+="union all "
  done
  q "$1" -F ' ' -c "${sql% union all }" | sort
}
rows_of() { awk -v t="$2" '$1 == t { print $2 }' <<<"$1"; }

log "saves 1-10 of every respondent"
write_saves 1 10
AT_BACKUP="$(snapshot "$SRC_PORT")"
DB_MB="$(q "$SRC_PORT" -c "select round(pg_database_size('quire') / 1048576.0, 1)")"

log "pg_basebackup"
t0="$(now)"
# Plain format, so that pg_verifybackup (PostgreSQL 15: plain only) can check it, and restoring is a copy. The WAL
# the backup needs to be consistent is streamed into it (-X stream): the backup restores even without the archive.
as_pg timeout 600 "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$SRC_PORT" -U quire -D "$H/base" -Fp -X stream \
  --checkpoint=fast --label=quire-rehearsal --no-password
BASE_S="$(since "$t0")"
BASE_MB="$(mb "$H/base")"
t0="$(now)"
pg pg_verifybackup -q "$H/base"
VERIFY_S="$(since "$t0")"

log "saves 11-20 (the last one finishes): after the backup, so restored from the archive"
write_saves 11 20
sleep 0.2
TARGET="$(q "$SRC_PORT" -c "select clock_timestamp()")"
AT_TARGET="$(snapshot "$SRC_PORT")"
sleep 0.2

log "the accident: school-03's answers deleted, and saves 21-22 that must not come back"
q "$SRC_PORT" -1 >/dev/null <<'SQL'
delete from page_saves where respondent_id in (select id from respondents where school = 'school-03');
delete from current_answers where respondent_id in (select id from respondents where school = 'school-03');
delete from respondent_progress where respondent_id in (select id from respondents where school = 'school-03');
SQL
write_saves 21 22
AT_END="$(snapshot "$SRC_PORT")"
# The segment holding the accident must reach the archive: recovery stops at the first commit after the target, and
# PostgreSQL (13+) refuses to finish a recovery that ran out of WAL before reaching its target.
LAST_SEG="$(q "$SRC_PORT" -c "select pg_walfile_name(pg_switch_wal())")"
archived() { [ "$(q "$SRC_PORT" -c "select coalesce(last_archived_wal >= '$LAST_SEG', false) from pg_stat_archiver")" = t ]; }
wait_for 60 "WAL segment $LAST_SEG in the archive" archived
read -r ARCHIVED FAILED <<<"$(q "$SRC_PORT" -F ' ' -c "select archived_count, failed_count from pg_stat_archiver")"
ARCHIVE_MB="$(mb "$A")"
# archived_count also counts the small .backup file pg_basebackup leaves; the folder tells segments apart.
SEGMENTS="$(find "$A" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' | wc -l)"
log "the server is lost"
pg pg_ctl -D "$H/source" -m immediate -w stop >/dev/null

# The rehearsal means something only if each phase changed what the tables hold.
p_backup="$(rows_of "$AT_BACKUP" page_saves)" p_target="$(rows_of "$AT_TARGET" page_saves)"
p_end="$(rows_of "$AT_END" page_saves)"
if [ "$p_backup" = "$p_target" ] || [ "$p_target" = "$p_end" ]; then
  echo "the phases did not change page_saves ($p_backup, $p_target, $p_end)" >&2; exit 1
fi

# ---- the restore ----
log "restore to $TARGET, on 127.0.0.1:$DST_PORT"
t0="$(now)"
as_pg cp -a "$H/base" "$H/restored"
COPY_S="$(since "$t0")"
# archive_mode off: the restored server must not write its new timeline into the archive it is reading.
cat >>"$H/restored/postgresql.conf" <<CONF
# scripts/backup.sh: point-in-time restore
archive_mode = off
restore_command = 'cp "$A/%f" "%p"'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
CONF
as_pg touch "$H/restored/recovery.signal"
t1="$(now)"
pg pg_ctl -D "$H/restored" -l "$H/restored.log" -o "-p $DST_PORT" -w -t 300 start >/dev/null
promoted() { [ "$(q "$DST_PORT" -c "select pg_is_in_recovery()" 2>/dev/null)" = f ]; }
wait_for 300 "the restored server to reach the target and promote" promoted
REPLAY_S="$(since "$t1")"
RESTORE_S="$(since "$t0")"
FROM_ARCHIVE="$(grep -c 'restored log file' "$H/restored.log" || true)"
STOPPED="$(grep -o 'recovery stopping before commit of transaction [0-9]*, time .*' "$H/restored.log" | head -1 || true)"

RESTORED="$(snapshot "$DST_PORT")"
ROWS="$(awk '{ n += $2 } END { print n }' <<<"$AT_TARGET")"
NTABLES="$(wc -l <<<"$AT_TARGET")"

row() { printf '  %-40s %s\n' "$1" "$2"; }
echo "backup rehearsal: PostgreSQL $PG_VERSION, $RESPONDENTS respondents"
row "database at the base backup" "$DB_MB MB, $p_backup page-saves"
row "base backup (pg_basebackup -X stream)" "$BASE_MB MB in $BASE_S s; pg_verifybackup $VERIFY_S s"
row "after the backup" "$p_target page-saves; target time $TARGET"
row "after the accident (not restored)" "$p_end page-saves"
row "WAL archived" "$SEGMENTS segments of 16 MB ($ARCHIVED files archived, $FAILED failed), $ARCHIVE_MB MB"
row "restore: copy + replay + promote" "$RESTORE_S s (copy $COPY_S s, replay and promote $REPLAY_S s)"
row "WAL segments read from the archive" "$FROM_ARCHIVE"
row "recovery" "${STOPPED:-(no stop line in the log)}"
if [ "$RESTORED" != "$AT_TARGET" ]; then
  echo "MISMATCH: restored (<) against the target time (>):" >&2
  diff <(echo "$RESTORED") <(echo "$AT_TARGET") >&2 || true
  exit 1
fi
row "rows checked" "$ROWS in $NTABLES tables: counts and md5 of every row equal the target time's"
row "unlogged tables (empty after a restore)" "${UNLOGGED:-none}"
echo "backup rehearsal PASSED"
