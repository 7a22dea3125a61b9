#!/usr/bin/env bash
# Makes a local stand-in for the official node:20-bookworm-slim image, for machines that cannot pull
# from Docker Hub (only Debian's mirror and the npm registry are reachable here): Debian bookworm
# minbase from Debian's mirror (mmdebstrap), plus this machine's Node >= 20 with npm and corepack laid
# out as the official image lays them (/usr/local/bin, /usr/local/lib/node_modules), and the `node`
# user (uid 1000) the official image has. Imported into the docker daemon of DOCKER_HOST as TAG.
#
#   standin-base.sh TAG      (skips everything when TAG already exists in that daemon)
#
# The root filesystem tarball is kept in .tmp/image-base/ so that a fresh daemon (each test run
# starts one) imports it in seconds instead of bootstrapping Debian again.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${1:?usage: standin-base.sh TAG}
docker_cli=${DOCKER:-/usr/bin/docker}
if "$docker_cli" image inspect "$tag" >/dev/null 2>&1; then
  echo "standin-base: $tag already in the daemon"
  exit 0
fi

node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
case "$node_version" in v2[0-9].*|v[3-9][0-9].*) ;; *) echo "standin-base: need Node >= 20, found $node_version" >&2; exit 1 ;; esac
node_modules=$(dirname "$(dirname "$node_bin")")/lib/node_modules
[ -d "$node_modules/npm" ] || node_modules=$(npm root -g)

cache=.tmp/image-base
tarball="$cache/bookworm-minbase-node-$node_version.tar"
if [ ! -f "$tarball" ]; then
  mkdir -p "$cache"
  echo "standin-base: bootstrapping Debian bookworm (minbase) from Debian's mirror with Node $node_version"
  # The customize hooks run on the host with the new root as $1: copy Node in as the official image
  # has it. Documentation and locales are left out, as in debian:bookworm-slim.
  mmdebstrap --quiet --variant=minbase --format=tar \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="install -D -m 0755 '$node_bin' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$node_modules/npm' '$node_modules/corepack' \"\$1/usr/local/lib/node_modules/\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='ln -s ../lib/node_modules/corepack/dist/corepack.js "$1/usr/local/bin/corepack"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node && chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    --customize-hook='install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$1/usr/local/share/ca-certificates/build-machine.crt"' \
    bookworm "$tarball.partial" \
    'deb http://deb.debian.org/debian bookworm main' \
    'deb http://deb.debian.org/debian bookworm-updates main' \
    'deb http://deb.debian.org/debian-security bookworm-security main'
  mv "$tarball.partial" "$tarball"
fi

# NODE_EXTRA_CA_CERTS: this machine reaches the npm registry through a TLS proxy whose CA only the
# machine's own bundle holds; the official image needs no such thing.
echo "standin-base: importing $tarball as $tag"
"$docker_cli" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-machine.crt' \
  --change 'CMD ["node"]' \
  "$tarball" "$tag" >/dev/null
