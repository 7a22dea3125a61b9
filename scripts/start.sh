#!/usr/bin/env bash
# `npm start` / `pnpm start`: installs dependencies if needed, builds, and starts the default registry:
# node:http on 127.0.0.1:5000 (REGISTRY_HTTP_ADDR), storing under ./data
# (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
pnpm run build >/dev/null
exec node packages/server/dist/cli.js
