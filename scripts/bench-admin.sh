#!/usr/bin/env bash
# The administrators' benchmark of docs/benchmarks.md: a survey of two million respondents (seeded once into the
# database quire_bench_admin and reused; BENCH_RESEED=1 starts over), then
#   1. dashboard refreshes: the maintained per-class aggregates against counting respondents, same run;
#   2. the results pages: the first view (every school counted into result_counts), then views from that cache;
#   3. the full responses export through the real server: time, size and the server's peak memory (VmHWM).
#
#   scripts/bench-admin.sh                                # 2,000,000 respondents (seeding takes several minutes)
#   BENCH_ADMIN_RESPONDENTS=200000 scripts/bench-admin.sh  # a quick look
#   BENCH_ADMIN_DB=other BENCH_ADMIN_EXPORT=0 scripts/bench-admin.sh  # another database; no export (steps 1 and 2)
#
# Results: .quire/bench-admin/dashboard.json, export.json and table.md.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RESPONDENTS="${BENCH_ADMIN_RESPONDENTS:-2000000}"
PORT="${BENCH_PORT:-18182}"
OUT="$STATE/bench-admin"
BIN="$ROOT/target/release"
DB="${BENCH_ADMIN_DB:-quire_bench_admin}"

ensure_tools
pg_start
log "cargo build --release -p quire-server -p quire-tools"
cargo build --release --locked -p quire-server -p quire-tools
mkdir -p "$OUT"
if [[ "${BENCH_RESEED:-0}" == 1 ]]; then
  pg_psql -d postgres -qc "drop database if exists $DB with (force)" >/dev/null
fi
pg_psql -d postgres -tAc "select 1 from pg_database where datname = '$DB'" | grep -q 1 || pg_createdb "$DB"
export DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/$DB"

log "dashboard: $RESPONDENTS respondents"
RUST_LOG=info "$BIN/quire-bench-admin" --respondents "$RESPONDENTS" --static-dir "$OUT/static" --json "$OUT/dashboard.json"

if [[ "${BENCH_ADMIN_EXPORT:-1}" == 0 ]]; then
  python3 -c 'import json,sys; json.dump({"skipped": True}, open(sys.argv[1], "w"))' "$OUT/export.json"
else
log "export through the server"
QUIRE_ADMIN_PASSWORD=bench-password-bench "$BIN/quire" create-admin --email bench@example.org >/dev/null
QUIRE_BIND="127.0.0.1:$PORT" QUIRE_TOKEN_SECRET=bench-secret-bench-secret-bench-secret QUIRE_STATIC_DIR="$OUT/static" \
  QUIRE_SECURE_COOKIES=false \
  RUST_LOG=warn "$BIN/quire" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
jar="$OUT/cookies.txt"
curl -sf -c "$jar" -o /dev/null -d email=bench@example.org -d password=bench-password-bench "http://127.0.0.1:$PORT/admin/login"
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
curl -sf -b "$jar" -o "$OUT/export.csv" -w '%{time_starttransfer} %{time_total} %{size_download}\n' \
  "http://127.0.0.1:$PORT/admin/surveys/bench-state/export.csv" >"$OUT/export.curl"
read -r first total bytes <"$OUT/export.curl"
rows=$(($(wc -l <"$OUT/export.csv") - 1))
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
columns=$(head -1 "$OUT/export.csv" | awk -F, '{print NF}')
rm -f "$OUT/export.csv"
cat >"$OUT/export.json" <<JSON
{"rows": $rows, "columns": $columns, "bytes": $bytes, "first_byte_s": $first, "total_s": $total,
 "server_rss_before_kib": $rss_before, "server_peak_rss_kib": $hwm}
JSON
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT
fi

python3 - "$OUT" >"$OUT/table.md" <<'PY'
import json, sys
out = sys.argv[1]
d = json.load(open(f"{out}/dashboard.json")); e = json.load(open(f"{out}/export.json"))
print(f"{d['respondents']:,} respondents, {d['schools']:,} schools, {d['classes']:,} classes")
print()
print("| dashboard refresh | runs | rows | p50 ms | p95 ms | max ms | PostgreSQL execution ms |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, key in [("survey level (per school), aggregates", "survey_level"), ("school level (per class), aggregates", "school_level"), ("survey level, counted from respondents", "naive_survey_level"), ("school by role, counted from its respondents", "school_by_role"), ("school's people, status and last page", "people_list"), ("school's people not started", "people_not_started")]:
    t = d[key]
    print(f"| {name} | {t['runs']} | {t['rows']:,} | {t['p50_ms']:.1f} | {t['p95_ms']:.1f} | {t['max_ms']:.1f} | {t['db_execution_ms']:.1f} |")
r = d.get("results")
if r:
    print()
    print(f"| results | runs | rows | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, key in [("survey level, from the schools' cached summaries", "survey_level"), ("school level, from its cached classes", "school_level")]:
        t = r[key]
        print(f"| {name} | {t['runs']} | {t['rows']:,} | {t['p50_ms']:.1f} | {t['p95_ms']:.1f} | {t['max_ms']:.1f} |")
    print(f"\nresults, first view with an empty cache (every school counted): {r['cold_all_schools_ms']/1000:.1f} s; one school counted again: {r['one_school_refresh_ms']:.0f} ms")
if e.get("skipped"):
    sys.exit(0)
print()
print(f"| export | rows | columns | size | first byte | total | rows/s | server RSS before → peak |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| all respondents | {e['rows']:,} | {e['columns']} | {e['bytes']/1e6:,.0f} MB | {e['first_byte_s']:.2f} s | {e['total_s']:.1f} s | {e['rows']/e['total_s']:,.0f} | {e['server_rss_before_kib']//1024} → {e['server_peak_rss_kib']//1024} MiB |")
PY
cat "$OUT/table.md"
