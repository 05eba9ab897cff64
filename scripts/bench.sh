#!/usr/bin/env bash
# The capacity benchmark of docs/benchmarks.md, every run side by side on this machine: the server, PostgreSQL
# (fsync on, synchronous_commit on) and the load generator together, loopback only.
#
#   scripts/bench.sh                 # full runs (60 s each, the 10,000-respondent storm): about 10 minutes
#   BENCH_SECONDS=10 scripts/bench.sh  # a quick look
#   BENCH_RUNS="max-batch1 steady" scripts/bench.sh   # some runs only
#
# Every run also counts CPU time over its counted window, per request, of quire-load itself, the server and
# PostgreSQL (the postmaster with all its backends, live and exited): /proc/<pid>/stat, see tools/src/load/cpu.rs.
#
# Each run starts a fresh `quire serve` so that its peak RSS (VmHWM) is its own. Results: .quire/bench/*.json and
# the table .quire/bench/table.md.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SECONDS_PER_RUN="${BENCH_SECONDS:-60}"
RESPONDENTS="${BENCH_RESPONDENTS:-64}"
BATCH="${BENCH_BATCH:-10}"
STORM="${BENCH_STORM:-10000}"
PORT="${BENCH_PORT:-18181}"
OUT="$STATE/bench"
RUNS="${BENCH_RUNS:-max max-no-group-commit max-no-group-commit-commit-delay max-noop max-batch1 max-noop-batch1 steady steady-4500 storm}"
BIN="$ROOT/target/release"

ensure_tools
pg_start
log "cargo build --release -p quire-server -p quire-tools"
cargo build --release --locked -p quire-server -p quire-tools
ulimit -n "$(ulimit -Hn)"

pg_psql -d postgres -qc "drop database if exists quire_bench with (force)" >/dev/null
pg_createdb quire_bench
export DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_bench"
"$BIN/quire" demo --static-dir "$OUT/static" >/dev/null
rm -f "$OUT"/*.json "$OUT"/*.rss
mkdir -p "$OUT"

POSTMASTER="$(pg_postmaster_pid)"

# serve_and_load NAME "SERVER ENV" LOAD ARGS… (only if NAME is in $RUNS)
serve_and_load() {
  local name="$1" server_env="$2"; shift 2
  [[ " $RUNS " == *" $name "* ]] || return 0
  # Each run writes up to a million rows: flush them now, so that one run's checkpoint does not land in the next.
  pg_psql -d postgres -qc checkpoint >/dev/null
  log "run $name: $server_env | quire-load $*"
  # shellcheck disable=SC2086
  env $server_env QUIRE_BIND="127.0.0.1:$PORT" QUIRE_TOKEN_SECRET=bench-secret-bench-secret-bench-secret \
    QUIRE_BENCH_ENDPOINTS=true QUIRE_STATIC_DIR="$OUT/static" RUST_LOG=warn \
    QUIRE_LOGIN_PER_MINUTE=1000000 QUIRE_LOGIN_FAILURES_PER_MINUTE=1000000 "$BIN/quire" serve &
  local pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  "$BIN/quire-load" --base "http://127.0.0.1:$PORT" --json "$OUT/$name.json" \
    --watch "quire=$pid" --watch "postgres=$POSTMASTER" "$@" || { kill "$pid"; exit 1; }
  awk '/VmHWM/ {print $2}' "/proc/$pid/status" >"$OUT/$name.rss"
  kill "$pid"; wait "$pid" || true
}

set_pg() { pg_psql -d postgres -qc "alter database quire_bench set $1" >/dev/null; }

serve_and_load max "QUIRE_GROUP_COMMIT=true" --mode max --respondents "$RESPONDENTS" --batch "$BATCH" --duration "$SECONDS_PER_RUN"
serve_and_load max-no-group-commit "QUIRE_GROUP_COMMIT=false" --mode max --respondents "$RESPONDENTS" --batch "$BATCH" --duration "$SECONDS_PER_RUN"
set_pg "commit_delay = 200"; set_pg "commit_siblings = 2"
serve_and_load max-no-group-commit-commit-delay "QUIRE_GROUP_COMMIT=false" --mode max --respondents "$RESPONDENTS" --batch "$BATCH" --duration "$SECONDS_PER_RUN"
set_pg "commit_delay = 0"
serve_and_load max-noop "QUIRE_GROUP_COMMIT=true" --mode max --respondents "$RESPONDENTS" --batch "$BATCH" --duration "$SECONDS_PER_RUN" --noop
serve_and_load max-batch1 "QUIRE_GROUP_COMMIT=true" --mode max --respondents "$RESPONDENTS" --batch 1 --duration "$SECONDS_PER_RUN"
serve_and_load max-noop-batch1 "QUIRE_GROUP_COMMIT=true" --mode max --respondents "$RESPONDENTS" --batch 1 --duration "$SECONDS_PER_RUN" --noop
# 10× the old system's state-wide peak: 6,000 page-saves/s. Respondents take the 60-page survey (a sign-in per 60
# saves, as in the field) with the think time compressed to 250 ms, so 100 arrive per second and 1,500 are active at
# once; the first 15 s (respondents still arriving) are not counted.
STEADY="--mode steady --pages 60 --think-ms 250 --duration $((SECONDS_PER_RUN + 15)) --warmup 15"
# shellcheck disable=SC2086
serve_and_load steady "QUIRE_GROUP_COMMIT=true" $STEADY --rate-per-hour 360000
# The same at three quarters of that rate (4,500 page-saves/s).
# shellcheck disable=SC2086
serve_and_load steady-4500 "QUIRE_GROUP_COMMIT=true" $STEADY --rate-per-hour 270000
serve_and_load storm "QUIRE_GROUP_COMMIT=true" --mode storm --respondents "$STORM" --pending 30

python3 - "$OUT" >"$OUT/table.md" <<'PY'
import json, os, sys
out = sys.argv[1]
runs = ["max", "max-no-group-commit", "max-no-group-commit-commit-delay", "max-noop", "max-batch1", "max-noop-batch1", "steady", "steady-4500", "storm"]
r = {n: json.load(open(f"{out}/{n}.json")) for n in runs if os.path.exists(f"{out}/{n}.json")}
rss = {n: int(open(f"{out}/{n}.rss").read().strip() or 0) // 1024 for n in r}
def cpu(d):
    u = d.get("cpu", {}).get("us_per_request", {})
    return " / ".join(f"{u[k]:.1f}" if k in u else "–" for k in ["quire", "postgres", "load"])
print("| run | page-saves/s | answers/s | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors | verification | server peak RSS | CPU µs/request: quire / postgres / load |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |")
for n, d in r.items():
    v = d["verification"]
    ver = "skipped (no-op)" if not v["checked"] else (
        f"{'passed' if v['missing'] == v['unexpected'] == v['wrong_current'] == v['quarantined'] == 0 else 'FAILED'}: "
        f"{v['acknowledged']} acknowledged = {v['rows']} rows")
    l = d["latency_ms"]
    errs = ", ".join(f"{k}: {c}" for k, c in d["errors"].items()) or "none"
    print(f"| {n} | {d['page_saves_per_s']:,.0f} | {d['answers_per_s']:,.0f} | {d['requests_per_s']:,.0f} | {l['p50']:.1f} | {l['p95']:.1f} | {l['p99']:.1f} | {l['max']:.1f} | {errs} | {ver} | {rss[n]} MiB | {cpu(d)} |")
if "max" in r:
    base = r["max"]["page_saves_per_s"]
    print()
    for n in ["max-no-group-commit", "max-no-group-commit-commit-delay", "max-noop", "max-batch1"]:
        if n in r:
            print(f"- {n} / max: {r[n]['page_saves_per_s'] / base:.2f}")
if "storm" in r:
    s = r["storm"]
    print(f"- storm: {s['page_saves']} saves from {s['respondents']} respondents delivered in {s['seconds']:.1f} s; "
          f"slowest /healthz during it: {s['healthz_max_ms']:.1f} ms")
PY
cat "$OUT/table.md"
