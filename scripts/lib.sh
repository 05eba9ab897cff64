# Shared by scripts/run.sh and scripts/test.sh: installs what is missing (from the package registries only) and
# runs a private PostgreSQL cluster for this checkout. Source it; do not run it.
#
# Nothing here touches a system PostgreSQL cluster: the private one lives in .quire/pg (git-ignored), listens on
# 127.0.0.1:$QUIRE_PG_PORT only, and is stopped with `scripts/pg.sh stop`.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.quire"
TOOLS="$STATE/tools"
QUIRE_PG_PORT="${QUIRE_PG_PORT:-55432}"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
mkdir -p "$STATE" "$TOOLS"
export PATH="$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
# Polls a command every 0.2 s until it succeeds or `seconds` pass.
wait_for() { # seconds, description, command...
  local t=$1 what=$2; shift 2
  for _ in $(seq 1 $((t * 5))); do "$@" && return 0; sleep 0.2; done
  echo "timed out after ${t}s waiting for $what" >&2; return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

wasm_bindgen_version() {
  # The exact version in Cargo.lock: the CLI must match the crate byte for byte in its output format.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# Installs every tool Quire's build and tests use. Each is checked first, so a warm machine installs nothing.
# The readers the analysis-bundle test checks the bundle with: R from Debian (base R only; CRAN is out of reach) and
# pandas, pyreadstat and openpyxl from PyPI in .quire/venv, at the versions scripts/analysis-requirements.txt pins.
ensure_python() {
  command -v Rscript >/dev/null || apt_install --no-install-recommends r-base-core
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  local venv="$STATE/venv" want="$ROOT/scripts/analysis-requirements.txt"
  if ! cmp -s "$want" "$venv/requirements.txt" 2>/dev/null; then
    log "python venv with $(grep -v '^#' "$want" | tr '\n' ' ')"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$want"
    cp "$want" "$venv/requirements.txt"
  fi
}

ensure_tools() {
  local want_browser="${1:-}"
  local pkgs=()
  pg_bindir >/dev/null || pkgs+=(postgresql postgresql-contrib)
  command -v brotli >/dev/null || pkgs+=(brotli)
  command -v curl >/dev/null || pkgs+=(curl)
  command -v npm >/dev/null || pkgs+=(nodejs npm)
  if [ -n "$want_browser" ]; then
    command -v chromium >/dev/null || pkgs+=(chromium)
    command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  fi
  [ "${#pkgs[@]}" -eq 0 ] || apt_install "${pkgs[@]}"

  rustup target list --installed | grep -qx wasm32-unknown-unknown || { log "rustup target add wasm32"; rustup target add wasm32-unknown-unknown; }

  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    log "cargo install trunk $TRUNK_VERSION (about 9 minutes, once)"
    cargo install --force trunk --locked --version "$TRUNK_VERSION"
  fi

  local wbg; wbg="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg" ]; then
    # Without --locked: its lock file names a yanked dependency (see shared TOOLCHAIN notes). --force: cargo's
    # record of installed crates can outlive a deleted or replaced binary.
    log "cargo install wasm-bindgen-cli $wbg (about 4 minutes, once)"
    cargo install --force wasm-bindgen-cli --version "$wbg"
  fi

  # Debian's binaryen is too old for current wasm-bindgen output; npm's is the same upstream build.
  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ]; then
    log "npm install binaryen@$BINARYEN_VERSION"
    npm install --silent --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

# ---- the private PostgreSQL cluster ----
# Set by the user, DATABASE_URL is left alone; otherwise it follows the private cluster's port (see pg_start).
[ -n "${DATABASE_URL:-}" ] || QUIRE_DB_URL_DEFAULT=1
export DATABASE_URL="${DATABASE_URL:-postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire}"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PostgreSQL refuses to run as root; as root we run it as the `postgres` user that Debian's package creates. That
# user must be able to reach the data folder: when the checkout sits under a private home (/root/...), the cluster
# lives in /var/tmp/quire-pg-<hash of this checkout> instead, and .quire/pg links to it.
pg_home() {
  local home="$STATE/pg"
  if [ "$(id -u)" = 0 ]; then
    if [ -L "$home" ]; then readlink -f "$home"; return; fi
    mkdir -p "$home"; chown postgres: "$home"; chmod 700 "$home"
    if ! runuser -u postgres -- test -w "$home"; then
      local alt; alt="/var/tmp/quire-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
      mkdir -p "$alt"; chown postgres: "$alt"; chmod 700 "$alt"
      rm -rf "$home"; ln -s "$alt" "$home"; home="$alt"
    fi
  fi
  mkdir -p "$home"; echo "$home"
}

pg_run() {
  local bin; bin="$(pg_bindir)/$1"; shift
  # From /, because the postgres user may not be allowed into the current directory.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$bin" "$@"); else "$bin" "$@"; fi
}

pg_running() { pg_run pg_ctl -D "$(pg_home)/data" status >/dev/null 2>&1; }

# The private cluster's postmaster, whose children are every PostgreSQL process (quire-load --watch postgres=…).
pg_postmaster_pid() { head -1 "$(pg_home)/data/postmaster.pid"; }

pg_psql() { psql -h 127.0.0.1 -p "$QUIRE_PG_PORT" -U quire -v ON_ERROR_STOP=1 "$@"; }

pg_start() {
  local home; home="$(pg_home)"
  if [ ! -f "$home/data/PG_VERSION" ]; then
    log "initdb: private cluster in $home/data"
    # trust on loopback only: a throwaway development cluster, never reachable from outside this machine.
    pg_run initdb -D "$home/data" -U quire --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$home/data/postgresql.conf" <<CONF
# Quire's private cluster (scripts/lib.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$home'
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
fsync = on
synchronous_commit = on
CONF
  fi
  if pg_running; then
    QUIRE_PG_PORT="$(cat "$home/port" 2>/dev/null || echo "$QUIRE_PG_PORT")"
  else
    # Another program (or another checkout's cluster) may hold the port: take the next free one. The port is given
    # on the command line and remembered in $home/port, so later runs find the cluster where it is.
    local tries=0
    while port_busy "$QUIRE_PG_PORT"; do
      tries=$((tries + 1)); [ "$tries" -le 50 ] || { echo "no free port near $QUIRE_PG_PORT" >&2; return 1; }
      QUIRE_PG_PORT=$((QUIRE_PG_PORT + 1))
    done
    log "starting PostgreSQL on 127.0.0.1:$QUIRE_PG_PORT"
    pg_run pg_ctl -D "$home/data" -l "$home/postgresql.log" -o "-p $QUIRE_PG_PORT" -w start >/dev/null
    echo "$QUIRE_PG_PORT" >"$home/port"
  fi
  export QUIRE_PG_PORT
  [ -z "${QUIRE_DB_URL_DEFAULT:-}" ] || export DATABASE_URL="postgres://quire@127.0.0.1:$QUIRE_PG_PORT/quire"
  pg_createdb quire
}

pg_createdb() {
  pg_psql -d postgres -tAc "select 1 from pg_database where datname = '$1'" | grep -q 1 ||
    pg_psql -d postgres -qc "create database $1" >/dev/null
}

# A database of its own for a suite, empty each run: prints its URL.
pg_fresh_db() {
  pg_psql -d postgres -qc "drop database if exists $1 with (force)" >/dev/null
  pg_createdb "$1"
  echo "postgres://quire@127.0.0.1:$QUIRE_PG_PORT/$1"
}
pg_stop() { if pg_running; then pg_run pg_ctl -D "$(pg_home)/data" -m fast -w stop >/dev/null; fi; }

# A random token secret per checkout, kept so that respondents stay signed in across restarts.
token_secret() {
  local f="$STATE/token-secret"
  [ -s "$f" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"; chmod 600 "$f"; }
  cat "$f"
}

# Builds the respondent app into client/dist and writes .br/.gz beside each file for precompressed serving.
build_client() {
  log "trunk build --release"
  (cd "$ROOT" && trunk --skip-version-check build --release >/dev/null)
  find "$ROOT/client/dist" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.svg' \) |
    while read -r f; do brotli -f -q 11 -o "$f.br" "$f"; gzip -f -k -9 "$f"; done
}
