# wharf as a container, run the way registry:2 is:
#   docker build -t wharf .
#   docker run -d -p 5000:5000 --restart always --name registry -v registry-storage:/var/lib/registry wharf
# See container/README.md. `npm run image` builds it as wharf:dev, with a local stand-in base where
# Docker Hub cannot be reached (container/scripts/build-image.sh); this file is the same either way.
#
# NODE_IMAGE: the official Node image, pinned to an exact release. Any image laid out like it (node and
# npm in /usr/local/bin, a `node` user with uid 1000) can be passed with --build-arg NODE_IMAGE=...
#
# Few instructions on purpose: on a daemon with the vfs storage driver (CI here) every layer is a
# full copy of the file system, so the build is one COPY and one RUN per stage.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: install, compile, lay out the server with its production dependencies only ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# --no-dts: type declarations are for library users, not for the server in this image.
# deploy --legacy: pnpm 10 deploys from a workspace without injected packages only that way.
# auto-install-peers=false: otherwise the optional peers the workspace resolved for its own tests
#   (express, fastify, koa, @azure/identity: ~70 MB) land in the image. @wharf/core, the one peer
#   the server needs, is linked in by hand, and every package is imported once to prove that
#   nothing the server loads is missing.
# /rootfs: everything the runtime stage adds, copied there in one step.
# pnpm: the version package.json's packageManager names (pnpm@x.y.z), as corepack would pick.
RUN npm install --global --no-fund --no-audit --loglevel=error "$(node -p "require('./package.json').packageManager")" \
 && pnpm install --frozen-lockfile --filter "@wharf/server..." --filter wharf --store-dir /tmp/pnpm-store \
 && pnpm --filter "@wharf/server..." run build --no-dts \
 && pnpm --filter @wharf/server deploy --legacy --prod --config.auto-install-peers=false \
      --store-dir /tmp/pnpm-store /rootfs/opt/wharf \
 && cd /rootfs/opt/wharf \
 && ln -s "../$(cd node_modules && ls -d .pnpm/@wharf+core@*/node_modules/@wharf/core)" node_modules/@wharf/core \
 && node --input-type=module -e "for (const m of ['core', 'storage-fs', 'storage-s3', 'storage-azure', 'auth', 'http-adapter', 'ui']) await import('@wharf/' + m); await import('/rootfs/opt/wharf/dist/index.js')" \
 && rm -f README.md \
 && cp /src/container/image/healthcheck.mjs /rootfs/opt/wharf/ \
 && install -D -m 0755 /src/container/image/entrypoint.sh /rootfs/usr/local/bin/wharf-entrypoint \
 && ln -s /opt/wharf/dist/cli.js /rootfs/usr/local/bin/wharf \
 && install -D -m 0644 /src/container/image/config.yml /rootfs/etc/wharf/config.yml \
 && mkdir -p /rootfs/etc/docker/registry /rootfs/etc/distribution

# ---- runtime: Node, the server, nothing else ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Fixed malloc thresholds: glibc otherwise keeps freed large buffers in its heap for good, about
# 20 MB of RSS on a long-lived server (packages/server/README.md, "Memory"). `-e` replaces it.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072
COPY --from=build /rootfs/ /
# The volume belongs to the unprivileged `node` user the server runs as; a named volume takes this
# ownership when first mounted (a bind-mounted directory must be writable by uid 1000).
RUN mkdir -p /var/lib/registry && chown node:node /var/lib/registry
USER node
# Not writable by the server: a mounted config.yml that names no storage.filesystem.rootdirectory
# (wharf's default is ./data, registry:2's /var/lib/registry) fails at start instead of storing
# images where no volume keeps them.
WORKDIR /opt/wharf
VOLUME ["/var/lib/registry"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "/opt/wharf/healthcheck.mjs"]
ENTRYPOINT ["/usr/local/bin/wharf-entrypoint"]
CMD ["serve"]
