#!/usr/bin/env bash
# Failover under load, on the loopback cluster of scripts/cluster.sh: bounded in time and traffic.
#
#   scripts/failover.sh [RUNS]        # default 1 run of about 3 minutes; FAILOVER_SECONDS changes the length
#
# Each run: quire-load (steady: 10 respondents arriving a second, 10 pages each, 0.5 s apart) and a probe respondent
# saving every 50 ms go through the HTTP frontend while, in turn: a quire node is SIGKILLed and later started again;
# the primary's Patroni and PostgreSQL are SIGKILLed together (a lost machine; Patroni promotes the sync standby);
# `patronictl switchover`; the old primary is started again and rejoins as a replica. Printed per event: seconds until
# saves succeed again (the probe's longest run of failures), the probe's failed attempts; then quire-load's errors
# (each retried) and its verification: every acknowledged save stored exactly once. Exits non-zero if anything
# acknowledged is missing.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RUNS="${1:-1}"
SECS="${FAILOVER_SECONDS:-170}"
OUT="$STATE/failover"
mkdir -p "$OUT"

cargo build --release --locked -p quire-server -p quire-tools
scripts/cluster.sh up 3
eval "$(scripts/cluster.sh env | sed 's/^/export /')"
BASE="$QUIRE_CLUSTER_HTTP"
target/release/quire demo --static-dir "$QUIRE_CLUSTER_HOME/static" >/dev/null
CODE="$(target/release/quire roster shared/fixtures/demo-roster.csv --survey school-climate-2026 | awk -F, 'NR == 2 {print $NF}')"
PAGE="$(python3 -c "import json; print(json.load(open('shared/fixtures/school-climate.json'))['pages'][0]['id'])")"

event() { echo "$(date +%s.%N | cut -c1-14) $*" >>"$EVENTS"; log "event: $*"; }
at() { # seconds since the start, then the event
  local wait; wait=$(python3 -c "import time; print(max(0, $T0 + $1 - time.time()))")
  sleep "$wait"
}

failed=0
for run in $(seq 1 "$RUNS"); do
  EVENTS="$OUT/events-$run.txt" PROBE="$OUT/probe-$run.txt" LOAD="$OUT/load-$run.txt"
  : >"$EVENTS"
  # Each run starts from a whole cluster: a member rejoined by the run before streaming again and caught up. A fixed
  # 20 s between runs was not enough once the cluster held more data: the next primary kill met a member still
  # replaying, strict mode had no standby for the new primary, and writes stopped for 50 s (nothing lost, but a
  # double failure, not the one measured).
  wait_for 600 "every member ready to take over" scripts/cluster.sh healthy
  scripts/cluster.sh status | grep -E "Leader|Sync|Replica" || true
  T0=$(date +%s.%N)
  python3 scripts/failover_probe.py "$BASE" "$CODE" "$PAGE" "$SECS" >"$PROBE" &
  probe=$!
  # An event that fails stops the run: take the traffic down with it.
  trap 'kill "$probe" "${load:-}" 2>/dev/null || true' EXIT
  target/release/quire-load --base "$BASE" --mode steady --rate-per-hour 36000 --pages 10 --think-ms 500 \
    --duration "$((SECS - 10))" --drain-timeout 120 --json "$OUT/load-$run.json" >"$LOAD" 2>&1 &
  load=$!

  at 15; event "kill -9 quire node 1"; scripts/cluster.sh kill-node 1
  at 30; event "start quire node 1"; scripts/cluster.sh start-node 1
  # Each event is logged before it is done: a save that fails while the command runs belongs to it, not to the
  # event before (logged after, a failure in the first instant of a kill was once counted against the node restart).
  at 45; old="$(scripts/cluster.sh leader)"; event "kill -9 primary $old (Patroni + PostgreSQL)"
  [ "$(scripts/cluster.sh kill-primary)" = "$old" ]
  at 95; sw="$(scripts/cluster.sh leader)"; event "patronictl switchover from $sw"
  [ "$(scripts/cluster.sh switchover)" = "$sw" ]
  at 125; event "restart $old (rejoins as replica)"; scripts/cluster.sh restart-member "$old"

  wait "$probe" || true
  load_ok=0; wait "$load" || load_ok=$?
  rid="$(awk '/^# respondent/ {print $3}' "$PROBE")"
  # Every revision the probe saw acknowledged, checked in the database: present once.
  acked="$(awk '$3 == "200" {print $2}' "$PROBE" | paste -sd, -)"
  stored="$(psql "$DATABASE_URL" -qAt -c "select count(*) from page_saves where respondent_id = '$rid' and revision = any('{$acked}'::int8[])")"
  python3 - "$EVENTS" "$PROBE" "$LOAD" "$stored" "$run" <<'PY' || failed=1
import sys
events_f, probe_f, load_f, stored, run = sys.argv[1:]
events = [(float(l.split(" ", 1)[0]), l.split(" ", 1)[1].strip()) for l in open(events_f) if l.strip()]
probe = [l.split() for l in open(probe_f) if l[0].isdigit()]
probe = [(float(t), int(r), s) for t, r, s in probe]
acked = sum(1 for _, _, s in probe if s == "200")
print(f"\nrun {run}: probe {len(probe)} attempts, {acked} acknowledged, {stored} of them found in PostgreSQL once")
print("| event | seconds until saves succeed again | probe attempts failed | failures seen |")
print("| --- | ---: | ---: | --- |")
for i, (t, what) in enumerate(events):
    end = events[i + 1][0] if i + 1 < len(events) else float("inf")
    window = [p for p in probe if t <= p[0] < end]
    failures = [p for p in window if p[2] != "200"]
    # The longest run of failed attempts: from its first failure to the next acknowledged save.
    gap, start = 0.0, None
    for when, _, status in window:
        if status != "200" and start is None:
            start = when
        elif status == "200" and start is not None:
            gap, start = max(gap, when - start), None
    if start is not None:
        gap = max(gap, window[-1][0] - start)
    kinds = sorted({p[2] for p in failures})
    print(f"| {what} | {gap:.1f} | {len(failures)} | {', '.join(kinds) or '-'} |")
load = open(load_f).read()
for line in load.splitlines():
    if "page-saves/s" in line or "errors" in line or "verification" in line:
        print("quire-load:", line.strip())
lost = acked - int(stored)
# A save the server refused (an ack other than stored) would mean a failover error was taken for bad data.
refused = sum(1 for _, _, s in probe if s.endswith("-refused"))
print(f"probe: acknowledged saves lost {lost}, duplicated 0 (one row per (respondent, revision) by primary key), "
      f"refused {refused}")
sys.exit(0 if lost == 0 and refused == 0 and "verification PASSED" in load else 1)
PY
  [ "$load_ok" = 0 ] || failed=1
  scripts/cluster.sh status | grep -E "Leader|Sync|Replica" || true
done
[ "$failed" = 0 ] && log "failover: every run kept every acknowledged save" || { echo "failover: a run lost data or failed verification (see $OUT)" >&2; exit 1; }
