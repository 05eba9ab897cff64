#!/usr/bin/env bash
# A/B of the hot paths: the `max` and `max-batch1` runs of scripts/bench.sh, and sign-ins under wrk, against two builds in one session,
# interleaved (A, B, A, B, …) so that drift of the machine falls on both. A is a commit built in a worktree of its
# own (default: the commit before HEAD), B is this checkout. Both are loaded by this checkout's quire-load, each on
# a database of its own (their migrations may differ). Loopback only.
#
#   scripts/bench-ab.sh                    # A = HEAD~1, 4 rounds of 30 s per run
#   AB_BASE=5d2a743 AB_ROUNDS=3 AB_SECONDS=20 scripts/bench-ab.sh
#   AB_RUNS=sign-in scripts/bench-ab.sh    # only some of: max max-batch1 steady sign-in
#   AB_HEAD=94a12cb scripts/bench-ab.sh    # B a commit too (built in a worktree of its own), not this checkout
#   AB_BIN_A=/tmp/quire-x AB_BIN_B=/tmp/quire-y AB_BASE=x scripts/bench-ab.sh   # binaries built beforehand
#
# Each load run also counts CPU per request of the server and of PostgreSQL (all its processes) over the counted
# window (quire-load --watch); the summary gives their medians.
#
# Results: .quire/bench-ab/<label>-<run>-<round>.json and the summary .quire/bench-ab/summary.md.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BASE="${AB_BASE:-HEAD~1}"
ROUNDS="${AB_ROUNDS:-4}"
SECS="${AB_SECONDS:-30}"
RUNS="${AB_RUNS:-max max-batch1 sign-in}"
PORT="${BENCH_PORT:-18182}"
OUT="$STATE/bench-ab"
BASE_SHA="$(git rev-parse --short "$BASE")"
WT="$STATE/ab-$BASE_SHA"

ensure_tools
pg_start
log "cargo build --release (B: this checkout)"
cargo build --release --locked -p quire-server -p quire-tools
# Always built (a no-op when fresh): a binary already there may not be this commit's (a target directory copied from
# another worktree once made A the wrong build).
if [ -z "${AB_BIN_A:-}" ]; then
  log "building A ($BASE_SHA) in $WT"
  [ -d "$WT" ] || git worktree add --detach "$WT" "$BASE_SHA" >/dev/null
  (cd "$WT" && cargo build --release --locked -p quire-server)
fi
ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt

declare -A BIN=([A]="${AB_BIN_A:-$WT/target/release/quire}" [B]="${AB_BIN_B:-$ROOT/target/release/quire}")
# AB_HEAD wins over AB_BIN_B. (This checkout is built in any case: its quire-load loads both.)
if [ -n "${AB_HEAD:-}" ]; then
  HEAD_SHA="$(git rev-parse --short "$AB_HEAD")"
  WT_B="$STATE/ab-$HEAD_SHA"
  log "building B ($HEAD_SHA) in $WT_B"
  [ -d "$WT_B" ] || git worktree add --detach "$WT_B" "$HEAD_SHA" >/dev/null
  (cd "$WT_B" && cargo build --release --locked -p quire-server)
  BIN[B]="$WT_B/target/release/quire"
fi
for label in A B; do
  pg_psql -d postgres -qc "drop database if exists quire_ab_${label,,} with (force)" >/dev/null
  pg_createdb "quire_ab_${label,,}"
  DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_ab_${label,,}" "${BIN[$label]}" demo \
    --static-dir "$OUT/static-$label" >/dev/null
done

serve() { # serve LABEL: starts that build on $PORT; its pid in $SERVER
  local label="$1"
  # The load generator signs in from one address on behalf of a whole state: no per-address sign-in limit.
  DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_ab_${label,,}" QUIRE_BIND="127.0.0.1:$PORT" \
    QUIRE_TOKEN_SECRET=bench-secret-bench-secret-bench-secret QUIRE_STATIC_DIR="$OUT/static-$label" \
    QUIRE_LOGIN_PER_MINUTE=1000000 QUIRE_LOGIN_FAILURES_PER_MINUTE=1000000 RUST_LOG=warn "${BIN[$label]}" serve &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
}

run() { # run LABEL NAME ROUND LOAD ARGS…
  local label="$1" name="$2" round="$3"; shift 3
  log "round $round: $label $name"
  # Each run writes about a million rows: flush them now, so that one run's checkpoint does not land in the next.
  pg_psql -d postgres -qc checkpoint >/dev/null
  serve "$label"
  DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_ab_${label,,}" "$ROOT/target/release/quire-load" \
    --base "http://127.0.0.1:$PORT" --json "$OUT/$label-$name-$round.json" \
    --watch "quire=$SERVER" --watch "postgres=$(pg_postmaster_pid)" "$@" ||
    { kill "$SERVER"; exit 1; }
  kill "$SERVER"; wait "$SERVER" || true
}

# Sign-ins: wrk (Debian's, C) posts access codes of the demo roster, 2 threads and 32 connections, for $SECS / 2
# seconds. Its summary goes to $OUT/LABEL-sign-in-ROUND.txt; every answer must be 200.
command -v wrk >/dev/null || apt_install wrk
for label in A B; do
  pg_psql -d "quire_ab_${label,,}" -Atc "select access_code from respondents order by access_code limit 500" |
    awk 'BEGIN {print "local codes = {"} {printf "\"%s\",\n", $1} END {print "}"}' >"$OUT/codes-$label.lua"
  cat >>"$OUT/codes-$label.lua" <<'LUA'
local i = 0
request = function()
  i = i % #codes + 1
  return wrk.format("POST", "/api/v1/login", {["Content-Type"] = "application/json"},
    '{"access_code":"' .. codes[i] .. '"}')
end
LUA
done
run_sign_in() { # run_sign_in LABEL ROUND
  local label="$1" round="$2"
  log "round $round: $label sign-in"
  serve "$label"
  wrk -t2 -c32 -d"$((SECS / 2))s" -s "$OUT/codes-$label.lua" "http://127.0.0.1:$PORT" >"$OUT/$label-sign-in-$round.txt" ||
    { kill "$SERVER"; exit 1; }
  kill "$SERVER"; wait "$SERVER" || true
}

# A B, then B A: neither build always runs first in a round (the order alone moved single runs by up to 15 %).
for round in $(seq "$ROUNDS"); do
  order="A B"; [ $((round % 2)) -eq 0 ] && order="B A"
  for label in $order; do
    for what in $RUNS; do
      case "$what" in
        max) run "$label" max "$round" --mode max --respondents 64 --batch 10 --duration "$SECS" ;;
        max-batch1) run "$label" max-batch1 "$round" --mode max --respondents 64 --batch 1 --duration "$SECS" ;;
        steady) run "$label" steady "$round" --mode steady --pages 60 --think-ms 250 --duration "$((SECS + 15))" \
          --warmup 15 --rate-per-hour 360000 ;;
        sign-in) run_sign_in "$label" "$round" ;;
        *) echo "unknown run $what (AB_RUNS: max, max-batch1, steady, sign-in)" >&2; exit 2 ;;
      esac
    done
  done
done

if [ -n "${AB_HEAD:-}" ]; then B_LABEL="$HEAD_SHA"
elif [ -n "${AB_BIN_B:-}" ]; then B_LABEL="$AB_BIN_B"
else B_LABEL="$(git rev-parse --short HEAD) (+ working tree)"; fi
A_LABEL="$BASE_SHA"; [ -z "${AB_BIN_A:-}" ] || A_LABEL="$BASE_SHA ($AB_BIN_A)"
python3 - "$OUT" "$A_LABEL" "$B_LABEL" >"$OUT/summary.md" <<'PY'
import glob, json, re, statistics, sys
out, a_sha, b_sha = sys.argv[1:4]
print(f"A = {a_sha}, B = {b_sha}; page-saves/s per round, verified runs only")
print()
print("| run | A rounds | B rounds | A median | B median | B / A | A p99 ms | B p99 ms | CPU µs/request A: quire / postgres / load | B |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
def cpu(data):
    out = []
    for k in ["quire", "postgres", "load"]:
        xs = [d["cpu"]["us_per_request"][k] for d in data if k in d.get("cpu", {}).get("us_per_request", {})]
        out.append(f"{statistics.median(xs):.1f}" if xs else "–")
    return " / ".join(out)
for run in ["max", "max-batch1", "steady"]:
    if not glob.glob(f"{out}/A-{run}-[0-9]*.json"):
        continue
    res = {}
    for label in "AB":
        files = sorted(glob.glob(f"{out}/{label}-{run}-[0-9]*.json"))
        data = [json.load(open(f)) for f in files]
        for d in data:
            v = d["verification"]
            assert v["missing"] == v["unexpected"] == v["wrong_current"] == v["quarantined"] == 0, (run, label, v)
        res[label] = ([d["page_saves_per_s"] for d in data], [d["latency_ms"]["p99"] for d in data], cpu(data))
    (a, ap, ac), (b, bp, bc) = res["A"], res["B"]
    am, bm = statistics.median(a), statistics.median(b)
    fmt = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
    print(f"| {run} | {fmt(a)} | {fmt(b)} | {am:,.0f} | {bm:,.0f} | {bm / am:.3f} | {statistics.median(ap):.1f} | {statistics.median(bp):.1f} | {ac} | {bc} |")
res = {}
for label in "AB":
    rates = []
    for f in sorted(glob.glob(f"{out}/{label}-sign-in-[0-9]*.txt")):
        text = open(f).read()
        assert "Non-2xx" not in text and "Socket errors" not in text, (f, text)
        rates.append(float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1)))
    res[label] = rates
a, b = res["A"], res["B"]
fmt = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
am, bm = (statistics.median(a), statistics.median(b)) if a and b else (float("nan"), float("nan"))
if a and b: print(f"| sign-in (wrk, sign-ins/s) | {fmt(a)} | {fmt(b)} | {am:,.0f} | {bm:,.0f} | {bm / am:.3f} | | | | |")
PY
cat "$OUT/summary.md"
