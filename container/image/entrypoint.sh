#!/bin/sh
# The image's entrypoint: registry:2's command line on top of wharf.
#
#   (no arguments) | serve | garbage-collect | migrate | check-config ...
#       wharf with the first configuration file that exists, unless the arguments name one or
#       REGISTRY_CONFIGURATION_PATH does: /etc/docker/registry/config.yml (registry:2's path),
#       /etc/distribution/config.yml (registry:3's), else the image's own /etc/wharf/config.yml.
#   some/config.yml            wharf serve some/config.yml (as `docker run registry:2 config.yml`)
#   -h | --help | -v ...       wharf with those options
#   anything else              run as given (e.g. `sh`), as registry:2's entrypoint does
#
# The choice is made here, in the image, because the server's own default (./data on loopback) is
# the right one outside a container. `exec` leaves node as PID 1: docker's SIGTERM reaches wharf
# directly and starts its graceful shutdown.
set -eu

case "${1:-serve}" in
  serve | garbage-collect | migrate | check-config | config) ;;
  *.yml | *.yaml) set -- serve "$@" ;;
  -*) exec node /opt/wharf/dist/cli.js "$@" ;;
  *) exec "$@" ;;
esac
[ "$#" -gt 0 ] || set -- serve

named=""
for arg in "$@"; do
  case "$arg" in *.yml | *.yaml) named="$arg" ;; esac
done
if [ -z "$named" ] && [ -z "${REGISTRY_CONFIGURATION_PATH:-}" ]; then
  for candidate in /etc/docker/registry/config.yml /etc/distribution/config.yml /etc/wharf/config.yml; do
    if [ -f "$candidate" ]; then
      set -- "$@" "$candidate"
      break
    fi
  done
fi
exec node /opt/wharf/dist/cli.js "$@"
