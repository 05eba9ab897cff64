#!/usr/bin/env bash
# Start, stop or open a shell on Quire's private PostgreSQL cluster: scripts/pg.sh start|stop|psql|url
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  start) ensure_tools >/dev/null; pg_start; echo "$DATABASE_URL" ;;
  stop) pg_stop ;;
  psql) shift; pg_start; exec psql "$DATABASE_URL" "$@" ;;
  url) pg_start; echo "$DATABASE_URL" ;;
  *) echo "usage: scripts/pg.sh start|stop|psql|url" >&2; exit 2 ;;
esac
