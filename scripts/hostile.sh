#!/usr/bin/env bash
# The hostile-input suite (server/tests/hostile) against a live `quire serve` on the private PostgreSQL cluster.
#
#   scripts/hostile.sh            # this checkout's build (what scripts/test.sh runs too)
#   scripts/hostile.sh 5d2a743    # another commit's binary, built in a worktree under .quire/: which findings it has
#
# Prints one line per case and `hostile: N passed, M failed`. Loopback only, bounded in time (under a minute).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_tools
pg_start
if [ -n "${1:-}" ]; then
  sha="$(git rev-parse --short "$1")"
  wt="$STATE/ab-$sha"
  if [ ! -x "$wt/target/release/quire" ]; then
    [ -d "$wt" ] || git worktree add --detach "$wt" "$sha" >/dev/null
    (cd "$wt" && cargo build --release --locked -p quire-server)
  fi
  export QUIRE_HOSTILE_BIN="$wt/target/release/quire"
  log "hostile suite against $sha ($QUIRE_HOSTILE_BIN)"
fi
# A failed case fails the test; the summary line is printed either way.
cargo test --locked -p quire-server --test hostile -- --nocapture 2>&1 | grep -E '^hostile:|test result'
