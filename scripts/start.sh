#!/usr/bin/env bash
# `npm start` / `pnpm start`: installs dependencies if needed, builds what changed, and starts the
# default registry: node:http on 127.0.0.1:5000 (REGISTRY_HTTP_ADDR), storing under ./data
# (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY). Every step says what it does, and its output is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "start: checking dependencies"
. scripts/ensure-pnpm.sh

# The server and the workspace packages it runs on, in build order.
stale=$(node scripts/stale-packages.mjs core storage-fs storage-s3 storage-azure http-adapter auth ui server)
if [ -n "$stale" ]; then
  filters=()
  for name in $stale; do filters+=(--filter "@wharf/$name"); done
  echo "start: building $(echo $stale | tr ' ' ',') (sources newer than dist; about 10-40 s)"
  pnpm "${filters[@]}" build
else
  echo "start: build is up to date"
fi
# The container image's malloc thresholds (packages/server/README.md, "Memory"), unless set already.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072}"
echo "start: starting wharf (node packages/server/dist/cli.js)"
exec node packages/server/dist/cli.js
