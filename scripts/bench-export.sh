#!/usr/bin/env bash
# The export benchmark of docs/benchmarks.md (issue 16): N fully answered respondents of the 60-page example survey
# (every page answered; seeded once into the database quire_export_bench by scripts/export-seed.py and reused,
# BENCH_RESEED=1 starts over), then each download through a release server, one after the other:
#   analysis data.csv (also served at export.csv since the bundle replaced the old export), data.dta and bundle.zip.
# For each: time to first byte and in all, size, respondents/s, the server's peak memory (VmHWM), and CPU seconds
# of the server and of PostgreSQL (every process of the cluster, from /proc) while it ran.
#
#   scripts/bench-export.sh                                 # 200,000 respondents
#   BENCH_EXPORT_RESPONDENTS=20000 scripts/bench-export.sh   # a quick look
#
# Results: .quire/bench-export/results.json and table.md.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RESPONDENTS="${BENCH_EXPORT_RESPONDENTS:-200000}"
PORT="${BENCH_PORT:-18183}"
OUT="$STATE/bench-export"
BIN="$ROOT/target/release"
DB="${BENCH_EXPORT_DB:-quire_export_bench_srv}"
FILES="${BENCH_EXPORT_FILES:-analysis/data.csv analysis/data.dta analysis/bundle.zip}"

ensure_tools
pg_start
log "cargo build --release -p quire-server"
cargo build --release --locked -p quire-server
mkdir -p "$OUT"
export DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/$DB"
have=$(pg_psql -d postgres -tAc "select 1 from pg_database where datname = '$DB'")
# Seeded by this script (the server's migrations recorded) and with as many respondents as asked for.
[ -n "$have" ] && have=$(pg_psql -d "$DB" -tAc "select count(*) from respondents, _sqlx_migrations limit 1" \
  2>/dev/null | head -1 || true)
[ -n "$have" ] && have=$(pg_psql -d "$DB" -tAc "select count(*) from respondents")
if [[ "${BENCH_RESEED:-0}" == 1 || "$have" != "$RESPONDENTS" ]]; then
  log "seeding $RESPONDENTS fully answered respondents into $DB"
  EXPORT_SEED_DB=$DB QUIRE_BIN="$BIN/quire" python3 scripts/export-seed.py "$RESPONDENTS"
fi

# CPU seconds so far of a process and, for the postmaster, of every process of the cluster (live and reaped).
hz=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$hz" '{ sub(/^[^)]*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
pg_cpu() {
  local pm; pm=$(pg_postmaster_pid)
  { awk '{ sub(/^[^)]*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pm/stat"
    for c in $(pgrep -P "$pm"); do awk '{ sub(/^[^)]*\) /, ""); print $12 + $13 }' "/proc/$c/stat" 2>/dev/null; done
  } | awk -v hz="$hz" '{ s += $1 } END { printf "%.2f", s / hz }'
}

QUIRE_ADMIN_PASSWORD=bench-password-bench "$BIN/quire" create-admin --email bench@example.org >/dev/null
QUIRE_BIND="127.0.0.1:$PORT" QUIRE_TOKEN_SECRET=bench-secret-bench-secret-bench-secret \
  QUIRE_STATIC_DIR="$OUT/static" QUIRE_SECURE_COOKIES=false RUST_LOG=warn "$BIN/quire" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
jar="$OUT/cookies.txt"
curl -sf -c "$jar" -o /dev/null -d email=bench@example.org -d password=bench-password-bench "http://127.0.0.1:$PORT/admin/login"

echo '[' >"$OUT/results.json"
sep=""
for f in $FILES; do
  log "download $f"
  s0=$(cpu_of "$pid"); p0=$(pg_cpu)
  read -r first total bytes < <(curl -sf -b "$jar" -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
    "http://127.0.0.1:$PORT/admin/surveys/school-climate-2026/$f")
  s1=$(cpu_of "$pid"); p1=$(pg_cpu)
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  printf '%s{"file": "%s", "respondents": %s, "bytes": %s, "first_byte_s": %s, "total_s": %s, "server_cpu_s": %s, "postgres_cpu_s": %s, "server_peak_rss_kib": %s, "load": "%s"}\n' \
    "$sep" "$f" "$RESPONDENTS" "$bytes" "$first" "$total" "$(minus "$s1" "$s0")" "$(minus "$p1" "$p0")" "$hwm" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/results.json"
  sep=","
done
echo ']' >>"$OUT/results.json"
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT

python3 - "$OUT" >"$OUT/table.md" <<'PY'
import json, sys
rows = json.load(open(f"{sys.argv[1]}/results.json"))
print("| download | respondents | size | first byte | total | respondents/s | server CPU s | PostgreSQL CPU s | server peak RSS | load before |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    print(f"| {r['file']} | {r['respondents']:,} | {r['bytes']/1e6:,.0f} MB | {r['first_byte_s']:.2f} s | {r['total_s']:.1f} s "
          f"| {r['respondents']/r['total_s']:,.0f} | {r['server_cpu_s']:.1f} | {r['postgres_cpu_s']:.1f} "
          f"| {r['server_peak_rss_kib']//1024} MiB | {r['load']} |")
PY
cat "$OUT/table.md"
