#!/usr/bin/env bash
# The load generator checked against an independent client: quire-load and wrk (Debian's, C, with a Lua script)
# each load the no-op endpoint (token checked, body parsed, nothing stored: POST /api/v1/bench/noop) with one
# page-save per request over 64 connections, one after the other against the same server. Prints each one's
# requests/s and the CPU per request of the server and of the client (/proc/<pid>/stat, docs/benchmarks.md).
# Loopback only; about a minute.
#
#   scripts/bench-crosscheck.sh            # 20 s each
#   CROSS_SECONDS=30 scripts/bench-crosscheck.sh
#   CROSS_OLD_LOAD=.quire/ab-0365002/target/release/quire-load scripts/bench-crosscheck.sh  # and an older quire-load
#
# Every client is measured the same way: the server's CPU from /proc/<pid>/stat before and after the client ran,
# the client's own with /usr/bin/time (whole process: for quire-load that includes signing 64 respondents in),
# each divided by the requests the client counted.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SECS="${CROSS_SECONDS:-20}"
PORT="${BENCH_PORT:-18183}"
OUT="$STATE/bench-crosscheck"
BIN="$ROOT/target/release"
ensure_tools
pg_start
command -v wrk >/dev/null || apt_install wrk
[ -x /usr/bin/time ] || apt_install time
cargo build --release --locked -p quire-server -p quire-tools
ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT"
pg_psql -d postgres -qc "drop database if exists quire_crosscheck with (force)" >/dev/null
pg_createdb quire_crosscheck
export DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_crosscheck"
"$BIN/quire" demo --static-dir "$OUT/static" >/dev/null

QUIRE_BIND="127.0.0.1:$PORT" QUIRE_TOKEN_SECRET=bench-secret-bench-secret-bench-secret QUIRE_BENCH_ENDPOINTS=true \
  QUIRE_STATIC_DIR="$OUT/static" RUST_LOG=warn QUIRE_LOGIN_PER_MINUTE=1000000 \
  QUIRE_LOGIN_FAILURES_PER_MINUTE=1000000 "$BIN/quire" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
wait_for 10 "the server" curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null || exit 1

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process (all its threads)
TICK="$(getconf CLK_TCK)"

# measure NAME COMMAND…: runs a client, keeping the server's CPU ticks around it ($OUT/NAME.server) and the client's
# own user and system seconds ($OUT/NAME.time); its standard output goes to $OUT/NAME.out.
measure() {
  local name="$1" before after; shift
  before="$(cpu_ticks "$SERVER")"
  /usr/bin/time -f '%U %S' -o "$OUT/$name.time" "$@" >"$OUT/$name.out"
  after="$(cpu_ticks "$SERVER")"
  echo "$before $after" >"$OUT/$name.server"
}

# 1. quire-load, this build's and (if given) an older one.
run_load() { # run_load NAME BINARY
  measure "$1" "$2" --base "http://127.0.0.1:$PORT" --noop --mode max --respondents 64 --batch 1 --duration "$SECS" \
    --json "$OUT/$1.json"
}
rm -f "$OUT"/*.json "$OUT"/*.time "$OUT"/*.server "$OUT"/*.out
# Two seconds of real saves first, for a page as a student answers it (wrk's body below).
"$BIN/quire-load" --base "http://127.0.0.1:$PORT" --mode max --respondents 4 --batch 1 --duration 2 >/dev/null
run_load quire-load "$BIN/quire-load"
[ -z "${CROSS_OLD_LOAD:-}" ] || run_load quire-load-old "$CROSS_OLD_LOAD"

# 2. wrk: one signed-in respondent's token (the no-op endpoint checks it and that the body is theirs) and a body of
# the same shape and size as quire-load's: one save of a page as a student answered it in the run above.
code="$(pg_psql -d quire_crosscheck -Atc "select access_code from respondents order by access_code limit 1")"
login="$(curl -sf -H 'content-type: application/json' -d "{\"access_code\":\"$code\"}" "http://127.0.0.1:$PORT/api/v1/login")"
python3 - "$login" "$OUT/noop.lua" "$(pg_psql -d quire_crosscheck -Atc "
  select page_id || E'\t' || answers::text from page_saves order by length(answers::text), revision
  offset (select count(*) / 2 from page_saves) limit 1")" <<'PY'
import json, sys
login, out, row = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
page, answers = row.split("\t", 1)
body = json.dumps({"respondent_id": login["respondent_id"], "saves": [{"page_id": page, "revision": 1,
    "answers": json.loads(answers), "client_time": "2026-11-30T10:00:00Z"}]}, separators=(",", ":"))
lua = f"""wrk.method = "POST"
wrk.body = {json.dumps(body, ensure_ascii=False)}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {login['token']}"
"""
open(out, "w").write(lua)
print(f"wrk body: {len(body)} bytes", file=sys.stderr)
PY
measure wrk wrk -t2 -c64 -d"${SECS}s" -s "$OUT/noop.lua" "http://127.0.0.1:$PORT/api/v1/bench/noop"

python3 - "$OUT" "$TICK" <<'PY'
import json, os, re, sys
out, tick = sys.argv[1], float(sys.argv[2])
def cpu(name, requests):
    before, after = map(int, open(f"{out}/{name}.server").read().split())
    user, sys_ = map(float, open(f"{out}/{name}.time").read().split()[-2:])
    return (after - before) / tick * 1e6 / requests, (user + sys_) * 1e6 / requests
print("| client | requests/s | server CPU µs/request | client CPU µs/request |")
print("| --- | ---: | ---: | ---: |")
for name, label in [("quire-load", "quire-load (hyper, a connection per respondent)"),
                    ("quire-load-old", "quire-load before (reqwest's pool)")]:
    if os.path.exists(f"{out}/{name}.json"):
        q = json.load(open(f"{out}/{name}.json"))
        s, c = cpu(name, q["requests"])
        print(f"| {label} | {q['requests_per_s']:,.0f} | {s:.1f} | {c:.1f} |")
text = open(f"{out}/wrk.out").read()
assert "Non-2xx" not in text and "Socket errors" not in text, text
rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
s, c = cpu("wrk", int(re.search(r"(\d+) requests in", text).group(1)))
print(f"| wrk -t2 -c64 (Lua body) | {rate:,.0f} | {s:.1f} | {c:.1f} |")
PY
