#!/usr/bin/env bash
# The chaos suite: seeded, randomized respondent journeys through the skip-logic survey in real Chromium, with faults
# injected at random moments (offline flaps and reloads, tab closes, SIGKILL of the server, sync requests aborted,
# delayed, refused or delivered twice, late replays, a second respondent on the same browser), and an independent
# oracle that checks PostgreSQL against what the journeys entered. See docs/chaos.md.
#
#   scripts/chaos.sh              # the default 20 seeds
#   scripts/chaos.sh 7            # replay seed 7 (prints its event log if it fails)
#   scripts/chaos.sh 1 2 3        # these seeds
#   CHAOS_SEEDS="1 2" scripts/chaos.sh   # the same through the environment (what CI uses)
#
# CHAOS_NO_BUILD=1 uses target/release/quire and client/dist as they are (each is still built when missing).
# CHAOS_RESPONDENTS=N sets the respondents per seed (default 5); CHAOS_PORT the server's port (default 18090).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ "$#" -gt 0 ]; then CHAOS_SEEDS="$*"; fi
export CHAOS_SEEDS="${CHAOS_SEEDS:-$(seq -s ' ' 1 20)}"

ensure_tools browser
started_pg=""
pg_running || started_pg=1
pg_start
cleanup() { [ -z "$started_pg" ] || pg_stop; }
trap cleanup EXIT

export QUIRE_BIN="$ROOT/target/release/quire"
if [ -z "${CHAOS_NO_BUILD:-}" ] || [ ! -x "$QUIRE_BIN" ]; then
  log "cargo build --release -p quire-server"
  cargo build --release --locked -p quire-server
fi
if [ -z "${CHAOS_NO_BUILD:-}" ] || [ ! -f client/dist/index.html ]; then
  build_client
fi

# A database and a static folder of its own, fresh each run.
CHAOS_DATABASE_URL=$(pg_fresh_db quire_chaos)
export CHAOS_DATABASE_URL
export CHAOS_STATIC_DIR="$STATE/chaos-static"
export CHAOS_OUT="$STATE/chaos"
rm -rf "$CHAOS_STATIC_DIR" "$CHAOS_OUT"
mkdir -p "$CHAOS_OUT"
DATABASE_URL="$CHAOS_DATABASE_URL" "$QUIRE_BIN" survey shared/fixtures/skip-logic.json --publish \
  --static-dir "$CHAOS_STATIC_DIR" >/dev/null

[ -d e2e/node_modules/@playwright/test ] || (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

log "chaos: seeds $CHAOS_SEEDS"
started=$(date +%s)
rc=0
(cd e2e && npx playwright test -c playwright.chaos.config.ts) || rc=$?

# Totals over every seed that ran (each seed writes one JSON line to results.jsonl, passed or not).
node - "$CHAOS_OUT/results.jsonl" "$(($(date +%s) - started))" <<'JS'
const fs = require('fs');
const [file, secs] = process.argv.slice(2);
const rows = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse) : [];
const faults = {};
let respondents = 0, guests = 0, turns = 0, failed = [];
for (const r of rows) {
  respondents += r.respondents; guests += r.guests; turns += r.pageTurns;
  for (const [k, n] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + n;
  if (!r.ok) failed.push(r.seed);
}
const total = Object.values(faults).reduce((a, b) => a + b, 0);
console.log(`\nchaos totals: ${rows.length} seeds run, ${respondents} respondents (+ ${guests} second respondents), ` +
  `${turns} page turns, ${secs} s`);
for (const k of Object.keys(faults).sort()) console.log(`  ${k.padEnd(24)} ${String(faults[k]).padStart(6)}`);
console.log(`  ${'faults in total'.padEnd(24)} ${String(total).padStart(6)}`);
console.log(failed.length ? `seeds that failed: ${failed.join(' ')} (replay one: scripts/chaos.sh SEED; ` +
  `event logs in ${require('path').dirname(file)})` : 'every seed passed');
JS
exit "$rc"
