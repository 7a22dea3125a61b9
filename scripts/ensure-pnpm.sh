# Sourced by the other scripts: makes `pnpm` available on PATH (a shim running it through npx when it is
# not installed, so nested `pnpm` calls in package scripts work too) and installs the workspace's
# dependencies when node_modules is missing or older than the lockfile.
PNPM_VERSION=10.34.8
if ! command -v pnpm >/dev/null 2>&1; then
  shim="$PWD/.tmp/bin"
  mkdir -p "$shim"
  printf '#!/bin/sh\nexec npx -y pnpm@%s "$@"\n' "$PNPM_VERSION" > "$shim/pnpm"
  chmod +x "$shim/pnpm"
  export PATH="$shim:$PATH"
fi
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  echo "installing the workspace dependencies (pnpm install)"
  pnpm install --frozen-lockfile
fi
