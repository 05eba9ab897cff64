#!/usr/bin/env bash
# Differential test of the expression engine (shared/src/expr) against Enketo's openrosa-xpath-evaluator:
# generates COUNT random expressions over random answers with SEED, evaluates them in Rust, then in Chromium with
# the npm package, and fails on any disagreement (listed with expression, answers and both results).
#   scripts/xpath-diff.sh [SEED] [COUNT]     (defaults: 7 and 2500, what scripts/test.sh runs)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-7}
count=${2:-2500}
cases=$(mktemp "${TMPDIR:-/tmp}/xpath-cases.XXXXXX.json")
trap 'rm -f "$cases"' EXIT
cargo run --quiet --locked -p quire-shared --example expr_cases -- --seed "$seed" --count "$count" >"$cases"
[ -d e2e/node_modules/openrosa-xpath-evaluator ] && [ -d e2e/node_modules/esbuild ] \
  || (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
echo "xpath-diff: seed $seed, $count cases"
(cd e2e && XPATH_CASES="$cases" npx playwright test -c playwright.xpath.config.ts)
