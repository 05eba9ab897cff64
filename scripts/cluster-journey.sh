#!/usr/bin/env bash
# The respondent app in Chromium through quire node kills, on the loopback cluster of scripts/cluster.sh (issue 18):
# one Playwright journey (e2e/tests/cluster.spec.ts, e2e/playwright.cluster.config.ts) against the HTTP frontend. It
# SIGKILLs the node that answered the app's last sync mid-survey while the respondent goes on, starts it again, does
# the same to another node, and checks that the screen, the app and PostgreSQL agree and nothing is lost.
#
#   scripts/cluster-journey.sh [RUNS]      # default 1 run: about 15 s, a minute with the cluster brought up and down
#
# Leaves the cluster as it found it: brings it up (`scripts/cluster.sh up 2`) when nothing of it runs, and takes it
# down again at the end; a cluster found up stays up, with any node the journey killed started again. Bounded: each
# run at most CLUSTER_JOURNEY_TIMEOUT seconds (default 600). CLUSTER_JOURNEY_NO_BUILD=1 uses target/release/quire and
# client/dist as they are (each is still built when missing).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RUNS="${1:-1}"
LIMIT="${CLUSTER_JOURNEY_TIMEOUT:-600}"
[ "$(id -u)" = 0 ] || { echo "scripts/cluster-journey.sh runs as root, like scripts/cluster.sh" >&2; exit 1; }

ensure_tools browser
export QUIRE_BIN="$ROOT/target/release/quire"
if [ -z "${CLUSTER_JOURNEY_NO_BUILD:-}" ] || [ ! -x "$QUIRE_BIN" ]; then
  log "cargo build --release -p quire-server"
  cargo build --release --locked -p quire-server
fi
if [ -z "${CLUSTER_JOURNEY_NO_BUILD:-}" ] || [ ! -f client/dist/index.html ]; then
  build_client
fi
[ -d e2e/node_modules/@playwright/test ] || (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

eval "$(scripts/cluster.sh env | sed 's/^/export /')"
RUN_DIR="$QUIRE_CLUSTER_HOME/run"
alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }
nodes_alive() { local k out=""; for k in 1 2 3; do alive "quire$k" && out="$out $k"; done; echo "${out# }"; }
anything_alive() { local f; for f in "$RUN_DIR"/*.pid; do alive "$(basename "$f" .pid)" && return 0; done; return 1; }
restart_nodes() {
  local k
  for k in $nodes; do
    alive "quire$k" || { log "quire node $k was left down: starting it again"; scripts/cluster.sh start-node "$k"; }
  done
}

started=""
nodes=""
want=2
if anything_alive; then
  # Found running: completed if a part is missing (with at least two quire nodes), and left up at the end.
  found="$(nodes_alive)"
  log "cluster found running (quire nodes: ${found:-none}): it stays up"
  want="${found##* }" # the highest node number running: `up` puts nodes 1..N behind the frontend
  [ "${want:-0}" -ge 2 ] || want=2
else
  # Nothing of this checkout's cluster runs: its ports must be free, or another checkout's cluster holds them (with
  # passwords of its own, and an etcd this one's Patroni would join).
  for port in 24790 25450 28450; do
    if port_busy "$port"; then echo "127.0.0.1:$port is taken, but not by this checkout's cluster" >&2; exit 1; fi
  done
  started=1
fi
group=""
stop_group() { # seconds to wait for the journey's processes to end before SIGKILL
  [ -n "$group" ] || return 0
  for _ in $(seq 1 $(($1 * 5))); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$group" 2>/dev/null || true
  group=""
}
# Down again if this script started it; otherwise every node that ran is running again (a journey cut short may
# leave one it killed down).
cleanup() {
  [ -z "$group" ] || kill -TERM -- "-$group" 2>/dev/null || true
  stop_group 30
  if [ -n "$started" ]; then scripts/cluster.sh down; else restart_nodes; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
timeout 900 scripts/cluster.sh up "$want"
nodes="$(nodes_alive)"
# The journey needs two nodes behind the frontend. One that exited on start is reported, not started again here.
if [ "$(wc -w <<<"$nodes")" -lt 2 ]; then
  echo "quire nodes running after scripts/cluster.sh up: '$nodes'; see $QUIRE_CLUSTER_HOME/log/quire*.log" >&2
  exit 1
fi
nodes_up() {
  curl -s "$QUIRE_CLUSTER_STATS/;csv" | awk -F, '$1 == "quire_nodes" && $2 != "BACKEND" && $18 == "UP"' | wc -l
}
for _ in $(seq 1 150); do [ "$(nodes_up)" -ge "$(wc -w <<<"$nodes")" ] && break; sleep 0.2; done

# The example survey and its roster (safe to repeat); the journey adds a respondent of its own each run.
"$QUIRE_BIN" demo --static-dir "$QUIRE_CLUSTER_HOME/static" >/dev/null
export E2E_DATABASE_URL="$DATABASE_URL"

failed=0
results=()
for run in $(seq 1 "$RUNS"); do
  log "cluster journey: run $run of $RUNS"
  t0=$(date +%s)
  rc=0
  # In a session of its own: at the time limit `timeout` signals the whole group but returns once npx exits, while a
  # Playwright worker may still be in its afterEach starting a node again. The group must be gone before the nodes
  # are looked at (else two starts of one node race for its port and its pid file): a minute, then SIGKILL.
  (cd e2e && exec setsid timeout --kill-after=30 "$LIMIT" npx playwright test -c playwright.cluster.config.ts) &
  group=$!
  wait "$group" || rc=$?
  stop_group 60
  if [ "$rc" = 0 ]; then outcome=passed; else outcome="FAILED (exit $rc)"; failed=1; fi
  results+=("run $run: $outcome in $(($(date +%s) - t0)) s")
  log "${results[-1]}"
  restart_nodes
done
printf '%s\n' "${results[@]}"
[ "$failed" = 0 ] || { echo "cluster journey: a run failed" >&2; exit 1; }
log "cluster journey: $RUNS of $RUNS runs passed"
