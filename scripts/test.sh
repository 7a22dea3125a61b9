#!/usr/bin/env bash
# `npm test` / `pnpm test`: runs every test of the workspace. On a fresh Debian machine it first installs
# what the tests start for real: skopeo, containerd and umoci (interop), docker-registry (reference),
# Ceph's radosgw (S3), apache2-utils (htpasswd) and openssl. Azurite comes from npm.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in skopeo:skopeo ctr:containerd umoci:umoci docker-registry:docker-registry radosgw:radosgw \
            ceph-mon:ceph-mon ceph-osd:ceph-osd htpasswd:apache2-utils openssl:openssl curl:curl podman:podman chromium:chromium \
            dockerd:docker.io mmdebstrap:mmdebstrap; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "test: installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

. scripts/ensure-pnpm.sh
pnpm run build >/dev/null

report=$(mktemp -t wharf-vitest-XXXXXX.json)
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit $status
