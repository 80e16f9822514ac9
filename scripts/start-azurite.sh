#!/usr/bin/env bash
# Runs Azurite's queue service for durable mode on this machine, installing it first (tools/azurite) when missing.
# It listens on 127.0.0.1:10001, where BRIDGE_QUEUE_CONNECTION=UseDevelopmentStorage=true points, and keeps its
# messages in .azurite/ so that queued webhooks survive a restart (AZURITE_IN_MEMORY=1: keep nothing).
# Extra arguments go to Azurite, e.g. --debug .azurite/debug.log
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Azurite needs Node.js 18 or later with npm; install them first (e.g. apt-get install nodejs npm)" >&2
  exit 1
fi
main=tools/azurite/node_modules/azurite/dist/src/queue/main.js
if [ ! -f "$main" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed to install Azurite from tools/azurite/package-lock.json; install it first" >&2
    exit 1
  fi
  npm ci --no-audit --no-fund --prefix tools/azurite
fi

args=(--queueHost 127.0.0.1 --queuePort "${AZURITE_QUEUE_PORT:-10001}" --skipApiVersionCheck --loose --disableTelemetry)
if [ "${AZURITE_IN_MEMORY:-0}" = 1 ]; then
  args+=(--inMemoryPersistence)
else
  mkdir -p .azurite
  args+=(--location .azurite)
fi
exec node "$main" "${args[@]}" "$@"
