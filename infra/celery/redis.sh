#!/usr/bin/env bash
# The celery mode's Redis (the Celery broker), in the foreground: 127.0.0.1:$MODELFLEET_REDIS_PORT only,
# a password, and its data under $MODELFLEET_REDIS_DIR. The append-only file is fsynced on every write,
# so a Redis restart loses no queued task message.
set -euo pipefail
: "${MODELFLEET_REDIS_DIR:?}" "${MODELFLEET_REDIS_PORT:?}" "${MODELFLEET_REDIS_PASSWORD:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install.sh"
mkdir -p "$MODELFLEET_REDIS_DIR"
conf="$MODELFLEET_REDIS_DIR/redis.conf"
(umask 077; cat >"$conf" <<CONF
bind 127.0.0.1
port $MODELFLEET_REDIS_PORT
protected-mode yes
requirepass $MODELFLEET_REDIS_PASSWORD
dir $MODELFLEET_REDIS_DIR
daemonize no
appendonly yes
appendfsync always
save ""
CONF
)
exec redis-server "$conf"
