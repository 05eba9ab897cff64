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
log "loading the demo survey and roster"
target/release/quire demo
echo
echo "Quire is running at http://$QUIRE_BIND/ (Ctrl-C stops it; the database keeps running: scripts/pg.sh stop)"
echo "All access codes of the demo roster: target/release/quire roster shared/fixtures/demo-roster.csv --survey school-climate-2026"
exec target/release/quire serve
