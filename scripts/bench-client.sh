#!/usr/bin/env bash
# The respondent app's budgets: bundle size (brotli) and page-turn script time in headless Chromium.
#   scripts/bench-client.sh
# Builds the release app, starts the private cluster and a server on it, and prints the figures the README quotes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ensure_tools
pg_start
cd "$ROOT"
cargo build --release --locked -p quire-server
build_client

log "bundle (brotli -q 11), budget 250 KB for wasm + js + css"
total=0
for f in client/dist/*.wasm client/dist/*.js client/dist/*.css; do
  n=$(brotli -c -q 11 "$f" | wc -c)
  [ "$(basename "$f")" = sw.js ] || total=$((total + n))
  printf '  %-44s %8d bytes raw %8d bytes br\n' "$(basename "$f")" "$(wc -c <"$f")" "$n"
done
printf '  %-44s %26d bytes br (%d KB)\n' "app total (sw.js separate)" "$total" $((total / 1000))
pg_psql -d postgres -qc "drop database if exists quire_bench_client with (force)" >/dev/null
pg_createdb quire_bench_client
export E2E_DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire_bench_client"
export E2E_STATIC_DIR="$STATE/bench-static" QUIRE_BIN="$ROOT/target/release/quire"
rm -rf "$E2E_STATIC_DIR"
DATABASE_URL="$E2E_DATABASE_URL" "$QUIRE_BIN" demo --static-dir "$E2E_STATIC_DIR" >/dev/null
# The file respondents download: the published canonical JSON of the 60-page example.
for f in "$E2E_STATIC_DIR"/surveys/*.json; do
  printf '  %-44s %8d bytes raw %8d bytes br (budget 40 KB)\n' "survey $(basename "$f") (60 pages, en+es)" \
    "$(wc -c <"$f")" "$(brotli -c -q 11 "$f" | wc -c)"
done
log "page turns (Playwright, Debian Chromium)"
[ -d e2e/node_modules/@playwright/test ] || (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
(cd e2e && npx playwright test -c playwright.bench.config.ts) | grep -E 'BENCH|passed|failed'
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
