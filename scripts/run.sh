#!/usr/bin/env bash
# Runs Quire with the demo survey and roster: installs what is missing, starts the private PostgreSQL cluster,
# builds the server and the respondent app, loads the demo (idempotent) and serves on $QUIRE_BIND.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_tools
pg_start
log "cargo build --release -p quire-server"
cargo build --release -p quire-server
build_client

export QUIRE_TOKEN_SECRET="${QUIRE_TOKEN_SECRET:-$(token_secret)}"
export QUIRE_BIND="${QUIRE_BIND:-127.0.0.1:8080}"
# Plain HTTP on this machine: the admin cookie cannot be Secure here (quire refuses this on a non-loopback address).
export QUIRE_SECURE_COOKIES="${QUIRE_SECURE_COOKIES:-false}"
log "loading the demo survey and roster"
target/release/quire demo
# Demo administrators: a random password made once per checkout and kept in .quire/ (git-ignored).
[ -s "$STATE/demo-admin-password" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/demo-admin-password")
QUIRE_ADMIN_PASSWORD="$(cat "$STATE/demo-admin-password")" target/release/quire create-admin --email admin@example.org >/dev/null
QUIRE_ADMIN_PASSWORD="$(cat "$STATE/demo-admin-password")" target/release/quire create-admin --email lincoln@example.org \
  --role coordinator --school "Lincoln Elementary" --survey school-climate-2026 >/dev/null
echo
echo "Administrators: http://$QUIRE_BIND/admin  admin@example.org (everything) or lincoln@example.org (coordinator,"
echo "Lincoln Elementary), password $(cat "$STATE/demo-admin-password")  (kept in $STATE/demo-admin-password)"
echo "Quire is running at http://$QUIRE_BIND/ (Ctrl-C stops it; the database keeps running: scripts/pg.sh stop)"
echo "All access codes of the demo roster: target/release/quire roster shared/fixtures/demo-roster.csv --survey school-climate-2026"
exec target/release/quire serve
