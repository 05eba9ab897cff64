#!/usr/bin/env python3
"""Seeds a database of fully answered respondents of the example survey, for measuring the export's read path.

usage: scripts/export-seed.py [N]      (N respondents, default 200,000; or EXPORT_SEED_N)

Environment: EXPORT_SEED_DB (default quire_export_bench; only names starting with quire_export_bench are accepted,
because the database is dropped and recreated), EXPORT_SEED (default 1: the same seed gives the same data),
QUIRE_PG_PORT (default 55432; the private cluster of scripts/lib.sh, user quire on 127.0.0.1).

What it builds, from nothing: the database, every migration in migrations/ applied in order with psql -f, then
  - one survey_versions row holding shared/fixtures/school-climate.json as its content (version "bench-" + the first
    32 hex digits of the file's SHA-256: not the server's canonical hash, which needs the typed model), one surveys row;
  - N respondents (role student) in schools of 500 and classes of 25, inserted in roster order (school, class);
  - for every respondent every one of the 60 pages answered once: one page_saves row per page (revision = page number,
    the last one `finishes`) and the matching current_answers row; respondent_progress completed.
Answers follow shared/src/sample.rs `answer_page` (same splitmix64 mixer, same rules per kind, the externally tagged
JSON of shared/src/value.rs: {"choice":"3"}, {"choices":[..]}, {"matrix":{..}}, {"text":".."}, {"number":12.0}).
For speed each page has a pool of 512 answer sets (answer_page with 512 seeds) and each respondent picks one per page
by a per-respondent hash of the seed.

Heap order is time order, as a live survey writes it: a school answers together, page by page, so each page round
of its 500 respondents (shuffled) follows the previous one. A respondent's 60 rows are therefore spread over the
table, not next to each other (seeding respondent by respondent would cluster them and flatter index scans).

Everything is streamed with COPY FROM STDIN through psql (page_saves and current_answers at the same time, one psql
each); the primary keys of those two tables are dropped before and rebuilt after the load (same names, same
columns), then VACUUM ANALYZE sets hint bits and the visibility map as autovacuum would.
"""

import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
N = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EXPORT_SEED_N", "200000"))
SEED = int(os.environ.get("EXPORT_SEED", "1"))
DB = os.environ.get("EXPORT_SEED_DB", "quire_export_bench")
PORT = os.environ.get("QUIRE_PG_PORT", "55432")
SCHOOL_SIZE, CLASS_SIZE, POOL = 500, 25, 512
M64 = (1 << 64) - 1

if not DB.startswith("quire_export_bench"):
    sys.exit(f"refusing to drop and recreate {DB!r}: only quire_export_bench* databases")


def psql(db, *args, stdin=None):
    cmd = ["psql", "-h", "127.0.0.1", "-p", PORT, "-U", "quire", "-d", db, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]
    return subprocess.run(cmd, input=stdin, check=True, capture_output=True, text=True).stdout


def copy_in(table, columns):
    """A psql process reading COPY text data for `table` from its stdin."""
    sql = f"copy {table} ({', '.join(columns)}) from stdin"
    cmd = ["psql", "-h", "127.0.0.1", "-p", PORT, "-U", "quire", "-d", DB, "-X", "-q", "-v", "ON_ERROR_STOP=1",
           "-c", sql]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, text=True, bufsize=1 << 20)


def finish(proc, what):
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"COPY into {what} failed")


def mix(x):
    """shared/src/sample.rs `mix` (splitmix64), on Python ints kept to 64 bits."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def answer_page(page, seed):
    """shared/src/sample.rs `answer_page`: a valid answer to every question, in value.rs's JSON form."""
    out = {}
    for i, q in enumerate(page["questions"]):
        r = mix(seed ^ mix(i))
        kind = q["type"]
        if kind in ("single_choice", "dropdown"):
            cs = q["choices"]
            v = {"choice": cs[r % len(cs)]["code"]}
        elif kind == "multiple_choice":
            cs = q["choices"]
            mx = max(min(len(cs) if q.get("max_selected") is None else q["max_selected"], len(cs)), 1)
            mn = min(max(1 if q.get("min_selected") is None else q["min_selected"], 1), mx)
            n = mn + r % (mx - mn + 1)
            start = (r >> 8) % len(cs)
            v = {"choices": [cs[(start + k) % len(cs)]["code"] for k in range(n)]}
        elif kind == "likert":
            scale = q["scale"]
            v = {"matrix": {s["id"]: scale[mix(r ^ k) % len(scale)]["code"] for k, s in enumerate(q["statements"])}}
        elif kind == "free_text":
            v = {"text": f"Answer {r:x} to {q['id']}"[: q["max_length"]]}
        elif kind == "number":
            lo = float(q.get("min") if q.get("min") is not None else 0.0)
            hi = float(q.get("max") if q.get("max") is not None else lo + 100.0)
            x = lo + (hi - lo) * ((r % 1000) / 1000.0)
            v = {"number": float(math.floor(x)) if q.get("integer") else x}
        else:
            raise ValueError(f"unknown question kind {kind}")
        out[q["id"]] = v
    return out


def copy_text(s):
    """A value in COPY's text format."""
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main():
    t0 = time.monotonic()
    content = (ROOT / "shared/fixtures/school-climate.json").read_text()
    survey = json.loads(content)
    pages = survey["pages"]
    page_ids = [p["id"] for p in pages]
    survey_id = survey["id"]
    version = "bench-" + hashlib.sha256(content.encode()).hexdigest()[:32]

    psql("postgres", "-c", f"drop database if exists {DB} with (force)")
    psql("postgres", "-c", f"create database {DB}")
    for m in sorted((ROOT / "migrations").glob("*.sql")):
        psql(DB, "-f", str(m))
    psql(DB, "-c", "alter table page_saves drop constraint page_saves_pkey",
         "-c", "alter table current_answers drop constraint current_answers_pkey")
    t_schema = time.monotonic()

    start = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    psql(DB, "-c", "copy survey_versions (version, survey_id, content, created_at, published_at) from stdin",
         stdin=f"{version}\t{survey_id}\t{copy_text(content)}\t{start.isoformat()}\t{start.isoformat()}\n")
    psql(DB, "-c", "copy surveys (survey_id, current_version, published_at) from stdin",
         stdin=f"{survey_id}\t{version}\t{start.isoformat()}\n")

    rng = random.Random(SEED)
    ids = [str(UUID(int=rng.getrandbits(128), version=4)) for _ in range(N)]
    pools = [[copy_text(json.dumps(answer_page(p, mix(SEED * 1_000_003 + k)), separators=(",", ":")))
              for k in range(POOL)] for p in pages]
    # Per respondent, 60 pool indexes from one hash: 9 bits each would need 540 bits, so two mixes give a base and a
    # stride (odd, so the 60 picks differ).
    picks = []
    for n in range(N):
        h = mix(SEED ^ mix(n + 1))
        picks.append((h % POOL, ((h >> 20) % POOL) | 1))

    schools = (N + SCHOOL_SIZE - 1) // SCHOOL_SIZE
    ts_of = lambda s, p: (start + timedelta(days=s // 20, hours=s % 20 // 4 * 2, seconds=30 * p)).isoformat()

    resp = []
    progress = []
    for n in range(N):
        s, within = divmod(n, SCHOOL_SIZE)
        school = f"School {s + 1:03d}"
        klass = f"Class {within // CLASS_SIZE + 1:02d}"
        resp.append(f"{ids[n]}\t{survey_id}\t{school}\t{klass}\tstudent\tS{s + 1:03d}-{n + 1:06d}\t\\N\t"
                    f"B{n + 1:09d}\t{version}\t{start.isoformat()}\n")
        last = ts_of(s, len(pages) - 1)
        progress.append(f"{ids[n]}\t{page_ids[-1]}\t{len(pages)}\t{last}\t{last}\n")
    psql(DB, "-c", "copy respondents (id, survey_id, school, class, role, external_id, name, access_code, "
         "survey_version, created_at) from stdin", stdin="".join(resp))
    t_resp = time.monotonic()

    saves = copy_in("page_saves", ["respondent_id", "revision", "page_id", "answers", "client_time", "finishes",
                                   "draft", "received_at"])
    current = copy_in("current_answers", ["respondent_id", "page_id", "revision", "updated_at"])
    npages = len(pages)
    for s in range(schools):
        members = list(range(s * SCHOOL_SIZE, min(N, (s + 1) * SCHOOL_SIZE)))
        for p, pid in enumerate(page_ids):
            rng.shuffle(members)
            ts = ts_of(s, p)
            pool = pools[p]
            fin = "t" if p == npages - 1 else "f"
            rev = p + 1
            saves.stdin.write("".join(
                f"{ids[n]}\t{rev}\t{pid}\t{pool[(picks[n][0] + p * picks[n][1]) % POOL]}\t{ts}\t{fin}\tf\t{ts}\n"
                for n in members))
            current.stdin.write("".join(f"{ids[n]}\t{pid}\t{rev}\t{ts}\n" for n in members))
    finish(saves, "page_saves")
    finish(current, "current_answers")
    psql(DB, "-c", "copy respondent_progress (respondent_id, last_page, last_revision, last_activity, completed_at) "
         "from stdin", stdin="".join(progress))
    t_copy = time.monotonic()

    psql(DB, "-c", "set maintenance_work_mem = '1GB'",
         "-c", "alter table page_saves add constraint page_saves_pkey primary key (respondent_id, revision)",
         "-c", "alter table current_answers add constraint current_answers_pkey primary key (respondent_id, page_id)")
    t_index = time.monotonic()
    # group_progress as the roster load and the transitions would have left it.
    psql(DB, "-c", "insert into group_progress (survey_id, school, class, total, started, completed, last_activity) "
         "select r.survey_id, r.school, r.class, count(*), count(p.respondent_id), count(p.completed_at), "
         "max(p.last_activity) from respondents r left join respondent_progress p on p.respondent_id = r.id "
         "group by 1, 2, 3")
    psql(DB, "-c", "vacuum (analyze)")
    t_end = time.monotonic()

    print(f"seeded {N} respondents x {npages} pages = {N * npages} page rows into {DB} (seed {SEED})")
    print(f"  schema+migrations {t_schema - t0:.1f} s, survey+respondents {t_resp - t_schema:.1f} s, "
          f"COPY page_saves+current_answers+progress {t_copy - t_resp:.1f} s, primary keys {t_index - t_copy:.1f} s, "
          f"vacuum analyze {t_end - t_index:.1f} s; total {t_end - t0:.1f} s")
    print(psql(DB, "-c", "select relname, pg_size_pretty(pg_relation_size(oid)) heap, "
               "pg_size_pretty(pg_indexes_size(oid)) indexes, pg_size_pretty(pg_total_relation_size(oid)) total, "
               "pg_total_relation_size(oid) bytes, reltuples::bigint from pg_class where relname in ('page_saves', "
               "'current_answers', 'respondents', 'respondent_progress', 'survey_versions', 'surveys') "
               "order by bytes desc"))


if __name__ == "__main__":
    main()
