#!/usr/bin/env bash
# The celery mode's PostgreSQL, in the foreground (the platform runs it in its own process group):
# its own cluster under $MODELFLEET_PG_DIR (data/, run/), on 127.0.0.1:$MODELFLEET_PG_PORT only,
# superuser $MODELFLEET_PG_USER with password authentication. initdb on first start.
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
set -euo pipefail
: "${MODELFLEET_PG_DIR:?}" "${MODELFLEET_PG_PORT:?}" "${MODELFLEET_PG_USER:?}" "${MODELFLEET_PG_PASSWORD:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install.sh"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
data="$MODELFLEET_PG_DIR/data" run="$MODELFLEET_PG_DIR/run"
mkdir -p "$MODELFLEET_PG_DIR" "$run"

as_owner=()
if [[ "$(id -u)" -eq 0 ]]; then
  chown postgres:postgres "$MODELFLEET_PG_DIR" "$run"
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  if ! "${as_owner[@]}" test -w "$MODELFLEET_PG_DIR"; then
    echo "postgres: the postgres user cannot reach $MODELFLEET_PG_DIR: a parent folder is closed to it" \
         "(chmod o+x on it, or choose a MODELFLEET_HOME others can traverse)" >&2
    exit 1
  fi
fi

if [[ ! -f "$data/PG_VERSION" ]]; then
  pwfile="$MODELFLEET_PG_DIR/.pw"
  (umask 077; printf '%s\n' "$MODELFLEET_PG_PASSWORD" >"$pwfile")
  [[ ${#as_owner[@]} -gt 0 ]] && chown postgres:postgres "$pwfile"
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U "$MODELFLEET_PG_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$MODELFLEET_PG_DIR/initdb.log" 2>&1 \
    || { rm -f "$pwfile"; echo "postgres: initdb failed, see $MODELFLEET_PG_DIR/initdb.log" >&2; exit 1; }
  rm -f "$pwfile"
fi

exec "${as_owner[@]}" "$bin/postgres" -D "$data" -p "$MODELFLEET_PG_PORT" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories="$run" \
  -c max_connections=300 -c shared_buffers=128MB -c fsync=on
