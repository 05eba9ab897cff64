#!/usr/bin/env bash
# Quire as a cluster on this machine, loopback only, in folders and ports of its own (no system service is touched):
#
#   etcd ── Patroni ×3 ── PostgreSQL 15 ×3 (synchronous replication, strict: an ack means two copies)
#   HAProxy: write port → the primary (Patroni's /primary), read port → the replicas (/replica),
#            HTTP port → `quire serve` ×N (each checked on /readyz)
#
#   scripts/cluster.sh up [N]      # N quire nodes (default 2, at most 3); installs what is missing
#   scripts/cluster.sh down
#   scripts/cluster.sh status
#   scripts/cluster.sh env         # DATABASE_URL (write port), addresses of the frontend, HAProxy stats and nodes
#   scripts/cluster.sh kill-node K | start-node K | kill-primary | switchover | restart-member NAME
#   scripts/cluster.sh leader | healthy   # the primary's name; exit 0 when every member is ready to take over
#
# Why three database nodes with `synchronous_mode_strict`: with two, a failover leaves one copy until the old
# primary comes back (minutes, or never after a lost machine), and strict mode would then stop every write; with
# three, the survivor gets the third node as its synchronous standby within seconds, and strict mode holds commits
# until it has. docs/operations.md has the measurements and the rest of the reasoning.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ETCD_CLIENT=24790 ETCD_PEER=24800
PG_PORT0=25440 REST_PORT0=28440          # member i: PostgreSQL 25440+i, Patroni REST 28440+i (i = 1..3)
HA_WRITE=25450 HA_READ=25451 HA_STATS=25452
HTTP=28450 NODE_PORT0=28450              # quire node k: 28450+k (k = 1..3)
PG_BIN=/usr/lib/postgresql/15/bin
SCOPE=quire
# Patroni's timers. With ttl 20 / loop_wait 5 a lost primary was replaced in 15.0–20.2 s (8 runs), over the 20 s
# target once; the gap is about ttl minus the time since the last refresh, plus promotion, so ttl 15 / loop_wait 3
# (3 + 2 × 5 = 13 ≤ 15) aims it well inside. Shorter still risks failovers when a busy machine stalls Patroni.
TTL=15 LOOP_WAIT=3 RETRY_TIMEOUT=5
WAL_KEEP=2GB

[ "$(id -u)" = 0 ] || { echo "scripts/cluster.sh runs as root (PostgreSQL, etcd and Patroni run as postgres)" >&2; exit 1; }

# The postgres user must reach the folder: under a private home it lives in /var/tmp (like the private cluster).
cluster_home() {
  local home="$STATE/cluster"
  if [ -L "$home" ]; then readlink -f "$home"; return; fi
  local alt; alt="/var/tmp/quire-cluster-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  mkdir -p "$alt"; rm -rf "$home"; ln -s "$alt" "$home"; echo "$alt"
}
H="$(cluster_home)"
R="$H/run"

as_pg() { (cd / && exec setsid setpriv --reuid=postgres --regid=postgres --init-groups "$@" </dev/null) & }
secret() { [ -s "$H/$1" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$H/$1"); cat "$H/$1"; }
alive() { [ -f "$R/$1.pid" ] && kill -0 "$(cat "$R/$1.pid")" 2>/dev/null; }
rest_ok() { curl -sf -o /dev/null -X OPTIONS "http://127.0.0.1:$((REST_PORT0 + $1))/$2"; }
ha_up() { curl -s "http://127.0.0.1:$HA_STATS/;csv" | awk -F, -v px="$1" '$1 == px && $18 == "UP" && $2 != "BACKEND" {print $2}'; }
write_port_settled() { [ "$(ha_up pg_write)" = "$1" ]; }
read_port_settled() { ! grep -qx "$1" <<<"$(ha_up pg_read)"; }
leader() { local i; for i in 1 2 3; do rest_ok "$i" primary && { echo "pg$i"; return; }; done; }
any_member() { local i; for i in 1 2 3; do rest_ok "$i" "$1" && return 0; done; return 1; }
# A leader, a synchronous standby, and every other member a running replica within 16 MB of it: a cluster that can
# lose its primary and still hold two copies (a member still replaying after a restart cannot become the standby).
healthy() {
  local i l; l="$(leader)"; [ -n "$l" ] || return 1
  any_member sync || return 1
  for i in 1 2 3; do [ "pg$i" = "$l" ] || rest_ok "$i" "replica?lag=16MB" || return 1; done
}

cluster_install() {
  local pkgs=()
  command -v etcd >/dev/null || pkgs+=(etcd-server etcd-client)
  command -v patroni >/dev/null || pkgs+=(patroni)
  command -v haproxy >/dev/null || pkgs+=(haproxy)
  [ -x "$PG_BIN/postgres" ] || pkgs+=(postgresql-15)
  # Packages start their services on install where a service manager runs: keep them from it (policy-rc.d), and
  # never use the system units; everything here runs from this script.
  if [ "${#pkgs[@]}" -gt 0 ]; then
    local policy=/usr/sbin/policy-rc.d
    if [ -e "$policy" ]; then
      apt_install "${pkgs[@]}"
    else
      # Removed however the install ends (a failed download, Ctrl-C): left behind, it would stop every later
      # package on this machine from starting its service.
      printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"
      (trap 'rm -f "$policy"' EXIT; apt_install "${pkgs[@]}")
    fi
  fi
}

patroni_config() { # member index
  local i=$1 name="pg$1"
  cat <<YML
scope: $SCOPE
namespace: /quire/
name: $name
restapi:
  listen: 127.0.0.1:$((REST_PORT0 + i))
  connect_address: 127.0.0.1:$((REST_PORT0 + i))
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT
bootstrap:
  dcs:
    # Failover within ttl of the last leader-key refresh; keep loop_wait + 2 × retry_timeout ≤ ttl (`TIMERS`).
    ttl: $TTL
    loop_wait: $LOOP_WAIT
    retry_timeout: $RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: true
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        # WAL kept for a member that was away: Patroni 3.0 drops an absent member's slot, and after a failover under
        # load the old primary came back to "requested WAL segment … has already been removed" and never caught up.
        wal_keep_size: $WAL_KEEP
        max_connections: 200
        password_encryption: scram-sha-256
        fsync: "on"
        synchronous_commit: "on"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  pg_hba:
    - local all all peer
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$((PG_PORT0 + i))
  connect_address: 127.0.0.1:$((PG_PORT0 + i))
  data_dir: $H/$name/data
  bin_dir: $PG_BIN
  pgpass: $H/$name/pgpass
  use_unix_socket: false
  authentication:
    superuser: {username: postgres, password: $(secret super-password)}
    replication: {username: replicator, password: $(secret replication-password)}
    rewind: {username: rewind_user, password: $(secret rewind-password)}
  parameters:
    unix_socket_directories: $R/$name
    shared_buffers: 128MB
tags: {nofailover: false, noloadbalance: false, clonefrom: false, nosync: false}
YML
}

# A TCP listener over the three members, each checked on its Patroni REST `uri`.
pg_listen() { # name, port, Patroni URI, comment
  cat <<CFG
# $4
listen $1
    mode tcp
    bind 127.0.0.1:$2
    timeout client 30m
    timeout server 30m
    balance roundrobin
    option httpchk
    http-check send meth OPTIONS uri $3
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1 on-marked-down shutdown-sessions
$(for i in 1 2 3; do echo "    server pg$i 127.0.0.1:$((PG_PORT0 + i)) check port $((REST_PORT0 + i))"; done)
CFG
}

# An HTTP backend over the quire nodes, each checked on `path`. A request whose connection failed, or whose node died
# without answering, is replayed on another node: for a save the dead node had committed, that is a duplicate, which
# is safe because saves are idempotent by (respondent, revision).
node_backend() { # name, check path, number of nodes
  cat <<CFG
backend $1
    mode http
    balance roundrobin
    timeout server 60s
    option httpchk GET $2
    http-check expect status 200
    option redispatch
    retry-on conn-failure empty-response
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1
$(for k in $(seq 1 "$3"); do echo "    server quire$k 127.0.0.1:$((NODE_PORT0 + k)) check"; done)
CFG
}

haproxy_config() { # number of quire nodes
  cat <<CFG
global
    maxconn 4000
    hard-stop-after 30s
defaults
    log global
    retries 2
    timeout connect 3s
    timeout check 2s
listen stats
    mode http
    bind 127.0.0.1:$HA_STATS
    stats enable
    stats uri /
$(pg_listen pg_write "$HA_WRITE" /primary "Writes and sign-in: whichever member Patroni says is the primary (one at a time, so
# balancing has nothing to choose). A member marked down has its sessions cut: no client stays on a demoted primary.")
$(pg_listen pg_read "$HA_READ" /replica "Dashboard reads: the replicas. With three members there are two; while none is up this
# port has no server and the dashboard answers 503.")
frontend quire_http
    mode http
    bind 127.0.0.1:$HTTP
    timeout client 60s
    option forwardfor
    # While no node is ready (the database is failing over, every /readyz is red), send to the live nodes anyway:
    # they answer 503 with Retry-After themselves, and the first commit after the failover makes them ready again,
    # instead of HAProxy waiting out their red /readyz.
    use_backend quire_live if { nbsrv(quire_nodes) eq 0 }
    default_backend quire_nodes
$(node_backend quire_nodes /readyz "$1")
$(node_backend quire_live /healthz "$1")
CFG
}

start_member() { # index
  local i=$1 name="pg$1"
  mkdir -p "$H/$name" "$R/$name"; chown postgres: "$H/$name" "$R/$name"; chmod 700 "$H/$name"
  patroni_config "$i" >"$H/$name.yml"; chown postgres: "$H/$name.yml"; chmod 600 "$H/$name.yml"
  as_pg /usr/bin/patroni "$H/$name.yml" >>"$H/log/$name.log" 2>&1
  echo $! >"$R/$name.pid"
}

db_url() { echo "postgres://quire:$(secret quire-password)@127.0.0.1:$1/quire"; }

start_node() { # k
  local k=$1
  [ -x target/release/quire ] || cargo build --release --locked -p quire-server -p quire-tools
  (
    export DATABASE_URL; DATABASE_URL="$(db_url $HA_WRITE)"
    export QUIRE_READ_DATABASE_URL; QUIRE_READ_DATABASE_URL="$(db_url $HA_READ)"
    export QUIRE_TOKEN_SECRET; QUIRE_TOKEN_SECRET="$(secret token-secret)$(secret token-secret)"
    export QUIRE_BIND="127.0.0.1:$((NODE_PORT0 + k))" QUIRE_TRUST_FORWARDED_FOR=true QUIRE_SECURE_COOKIES=false
    # Each node a folder of its own, as on separate machines: a survey published elsewhere (`quire demo` writes to
    # $H/static) reaches a node from the database on first request.
    export QUIRE_STATIC_DIR="$H/node$k/static" QUIRE_DIST_DIR="$ROOT/client/dist" QUIRE_BENCH_ENDPOINTS=true
    # quire-load signs in a whole state's respondents from 127.0.0.1, and the nodes share one allowance per address:
    # at the default 300 a minute, failover.sh's 600 arrivals a minute were throttled (18,022 answers of 429 in one
    # steady run). Wrong codes keep their default limit.
    export QUIRE_LOGIN_PER_MINUTE="${QUIRE_LOGIN_PER_MINUTE:-1000000}"
    exec setsid "$ROOT/target/release/quire" serve </dev/null >>"$H/log/quire$k.log" 2>&1
  ) &
  echo $! >"$R/quire$k.pid"
}

stop_pid() { # name, seconds to wait before SIGKILL
  local f="$R/$1.pid" p
  [ -f "$f" ] || return 0
  p="$(cat "$f")"
  if kill -0 "$p" 2>/dev/null; then
    kill "$p"
    for _ in $(seq 1 $(($2 * 5))); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p"
  fi
  rm -f "$f"
}

up() {
  local nodes="${1:-2}"
  cluster_install
  mkdir -p "$H/etcd" "$H/log" "$H/static" "$R"; chown postgres: "$H" "$H/etcd" "$H/log" "$R"; chmod 700 "$H/etcd"
  chmod 755 "$H"
  if ! alive etcd; then
    as_pg /usr/bin/etcd --name e1 --data-dir "$H/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
      --initial-cluster "e1=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new --initial-cluster-token quire \
      >>"$H/log/etcd.log" 2>&1
    echo $! >"$R/etcd.pid"
  fi
  wait_for 20 etcd env ETCDCTL_API=3 etcdctl --endpoints="http://127.0.0.1:$ETCD_CLIENT" endpoint health >/dev/null 2>&1
  local i
  for i in 1 2 3; do
    alive "pg$i" || start_member "$i"
    # The first member initialises the cluster (or resumes it); the others clone it.
    [ "$i" != 1 ] || wait_for 120 "pg1 healthy" rest_ok 1 health
  done
  for i in 2 3; do wait_for 180 "pg$i healthy" rest_ok "$i" health; done
  wait_for 60 "a synchronous standby" any_member sync
  # The bootstrap settings apply to a new cluster only; one made before they changed gets them here (idempotent).
  runuser -u postgres -- patronictl -c "$H/pg1.yml" edit-config --force --quiet \
    -s "ttl=$TTL" -s "loop_wait=$LOOP_WAIT" -s "retry_timeout=$RETRY_TIMEOUT" -p "wal_keep_size=$WAL_KEEP" >/dev/null
  local l; l="$(leader)"
  # The application's role and database (idempotent), through the primary's own socket as the postgres user.
  local psql=(runuser -u postgres -- "$PG_BIN/psql" -h "$R/$l" -p "$((PG_PORT0 + ${l#pg}))" -d postgres -qAt)
  "${psql[@]}" -c "select 1 from pg_roles where rolname = 'quire'" | grep -q 1 ||
    "${psql[@]}" -c "create role quire login password '$(secret quire-password)'"
  "${psql[@]}" -c "select 1 from pg_database where datname = 'quire'" | grep -q 1 ||
    "${psql[@]}" -c "create database quire owner quire"
  haproxy_config "$nodes" >"$H/haproxy.cfg.new"
  if alive haproxy && cmp -s "$H/haproxy.cfg.new" "$H/haproxy.cfg"; then
    # Unchanged: no reload. A reloaded HAProxy counts every server up until its checks run, so a node that started
    # then migrated against a replica and exited (seen after `up` on a running cluster).
    rm -f "$H/haproxy.cfg.new"
  elif alive haproxy; then
    mv "$H/haproxy.cfg.new" "$H/haproxy.cfg"
    kill -USR2 "$(cat "$R/haproxy.pid")" # master-worker: reload the configuration (the number of nodes differs)
  else
    mv "$H/haproxy.cfg.new" "$H/haproxy.cfg"
    (cd / && exec setsid /usr/sbin/haproxy -W -f "$H/haproxy.cfg" </dev/null >>"$H/log/haproxy.log" 2>&1) &
    echo $! >"$R/haproxy.pid"
  fi
  # HAProxy counts a server up until its checks say otherwise: wait until the write port leads to the primary alone,
  # or a node may migrate against a replica (seen: "cannot execute CREATE TABLE in a read-only transaction").
  wait_for 20 "HAProxy's write port on the primary alone" write_port_settled "$l"
  # Likewise the read port, until it no longer leads to the primary: a node's read pool connected there is cut
  # (shutdown-sessions) when the check marks the primary down, and `quire serve` exits if its read pool's first
  # connection fails (seen: "error communicating with database: expected to read 5 bytes, got 0 bytes at EOF").
  wait_for 20 "HAProxy's read port off the primary" read_port_settled "$l"
  # Every node starts at once: migrations run under PostgreSQL's advisory lock (sqlx), so exactly one applies them.
  local k
  for k in $(seq 1 "$nodes"); do alive "quire$k" || start_node "$k"; done
  wait_for 60 "the HTTP frontend" curl -sf -o /dev/null "http://127.0.0.1:$HTTP/readyz"
  log "cluster up: leader $l, $nodes quire node(s) behind http://127.0.0.1:$HTTP (logs in $H/log)"
}

down() {
  local k i l
  for k in 1 2 3; do stop_pid "quire$k" 10; done
  stop_pid haproxy 5
  # Replicas first, so that stopping does not fail over; the leader last.
  l="$(leader || true)"
  for i in 1 2 3; do [ "pg$i" = "$l" ] || stop_pid "pg$i" 60; done
  [ -z "$l" ] || stop_pid "$l" 60
  stop_pid etcd 10
  log "cluster down (data kept in $H; remove it to start afresh)"
}

status() {
  PATRONICTL_CONFIG_FILE="$H/pg1.yml" runuser -u postgres -- patronictl -c "$H/pg1.yml" list 2>/dev/null || true
  curl -s "http://127.0.0.1:$HA_STATS/;csv" | awk -F, 'NR > 1 && $2 != "FRONTEND" && $2 != "BACKEND" {print $1, $2, $18}'
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  down) down ;;
  status) status ;;
  env)
    echo "DATABASE_URL=$(db_url $HA_WRITE)"
    echo "QUIRE_READ_DATABASE_URL=$(db_url $HA_READ)"
    echo "QUIRE_CLUSTER_HTTP=http://127.0.0.1:$HTTP"
    echo "QUIRE_CLUSTER_STATS=http://127.0.0.1:$HA_STATS"
    echo "QUIRE_CLUSTER_NODES=$(for k in 1 2 3; do printf 'http://127.0.0.1:%s,' $((NODE_PORT0 + k)); done | sed 's/,$//')"
    echo "QUIRE_CLUSTER_HOME=$H"
    ;;
  kill-node) kill -9 "$(cat "$R/quire$2.pid")"; rm -f "$R/quire$2.pid" ;;
  start-node) start_node "$2" ;;
  kill-primary) # the primary's machine is lost: its Patroni and its PostgreSQL die at once
    l="$(leader || true)"; [ -n "$l" ] || { echo "no primary to kill" >&2; exit 1; }
    pp="$(head -1 "$H/$l/data/postmaster.pid")"
    kill -9 "$(cat "$R/$l.pid")" "$pp"; rm -f "$R/$l.pid"; echo "$l" ;;
  switchover)
    l="$(leader || true)"; [ -n "$l" ] || { echo "no primary to switch over from" >&2; exit 1; }
    runuser -u postgres -- patronictl -c "$H/pg1.yml" switchover --leader "$l" --force >/dev/null; echo "$l" ;;
  restart-member) start_member "${2#pg}" ;;
  leader) leader ;;
  healthy) healthy ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
