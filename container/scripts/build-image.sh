#!/usr/bin/env bash
# `npm run image`: builds the wharf image from the repository's Dockerfile as wharf:dev (IMAGE_TAG).
#
# Docker daemon: the one DOCKER_HOST names; else the system's (/var/run/docker.sock) when it answers;
# else a private one started under .tmp/docker (container/scripts/dockerd.sh), left running so the
# image can be used: the script prints the DOCKER_HOST to export, and how to stop it.
#
# Base image: NODE_IMAGE when given; else the Dockerfile's pinned official image when the daemon has
# it or can pull it; else (no Docker Hub, as on these machines) a stand-in made from Debian's mirror
# and this machine's Node (container/scripts/standin-base.sh), built once per daemon. The same
# Dockerfile is used either way, with the base passed as the NODE_IMAGE build argument.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${IMAGE_TAG:-wharf:dev}
# Debian's docker.io CLI (20.10): a newer CLI on PATH (e.g. /usr/local/bin/docker 28) builds only
# through the buildx plugin, which these machines do not have.
export DOCKER=${DOCKER:-/usr/bin/docker}

need=()
[ -x "$DOCKER" ] && command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "image: installing Debian packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ -z "${DOCKER_HOST:-}" ]; then
  if [ -S /var/run/docker.sock ] && "$DOCKER" version >/dev/null 2>&1; then
    echo "image: using the system docker daemon"
  else
    echo "image: no docker daemon answers; starting one under .tmp/docker"
    export "$(bash container/scripts/dockerd.sh start .tmp/docker)"
    echo "image: export DOCKER_HOST=$DOCKER_HOST to use it; stop it with: bash container/scripts/dockerd.sh stop .tmp/docker"
  fi
fi

official=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
base=${NODE_IMAGE:-}
if [ -z "$base" ]; then
  if "$DOCKER" image inspect "$official" >/dev/null 2>&1 \
     || { [ "${WHARF_IMAGE_STANDIN:-}" != 1 ] && timeout 60 "$DOCKER" pull -q "$official" >/dev/null 2>&1; }; then
    base=$official
  else
    base="wharf-standin/node:$(node --version | sed 's/^v//')-bookworm-minbase"
    echo "image: $official cannot be pulled here; using the stand-in $base"
    bash container/scripts/standin-base.sh "$base"
  fi
fi

echo "image: building $tag on $base"
started=$(date +%s)
# --network host: the build reaches the npm registry without the bridge network this daemon lacks.
DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain --network host --build-arg "NODE_IMAGE=$base" -t "$tag" . >.tmp/image-build.log 2>&1 || {
  echo "image: docker build failed; the end of its log (.tmp/image-build.log):" >&2
  tail -n 40 .tmp/image-build.log >&2
  exit 1
}
size() { "$DOCKER" image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'; }
echo "image: built $tag in $(($(date +%s) - started)) s: $(size "$tag") (base $base: $(size "$base"))"
