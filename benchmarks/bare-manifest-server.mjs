// What a manifest GET costs node:http itself on this machine, and what each extra microsecond of
// per-request work costs on top (issue 16, goal 4). Every GET is answered as wharf answers a
// manifest by tag: two stat calls on files at the depth of a registry:2 tag link and revision link
// (wharf validates its caches with exactly these two), then the same response headers and body.
// `spinMicros` burns that much CPU in JavaScript before answering, standing in for the registry's
// own work (routing, auth, validation).
//
//   node benchmarks/bare-manifest-server.mjs <root> [port=5010] [spinMicros=0]
import { randomUUID } from 'node:crypto'
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'

const [root, portText = '5010', spinText = '0'] = process.argv.slice(2)
if (!root) {
  console.error('usage: node bare-manifest-server.mjs <root> [port] [spinMicros]')
  process.exit(2)
}
const spinNanos = BigInt(Math.round(Number(spinText) * 1000))
const digest = `sha256:${'c'.repeat(64)}`
const repository = join(root, 'docker/registry/v2/repositories/bench/small/_manifests')
const links = [join(repository, 'tags/v1/current/link'), join(repository, `revisions/sha256/${'c'.repeat(64)}/link`)]
for (const link of links) {
  mkdirSync(join(link, '..'), { recursive: true })
  writeFileSync(link, digest)
}
const body = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 100, digest: `sha256:${'a'.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 4096, digest: `sha256:${'b'.repeat(64)}` }],
  }),
)

createServer((req, res) => {
  // bigint stats, as wharf's filesystem driver reads them (nanosecond modification times).
  for (const link of links) statSync(link, { bigint: true, throwIfNoEntry: false })
  if (spinNanos > 0n) {
    const until = process.hrtime.bigint() + spinNanos
    while (process.hrtime.bigint() < until);
  }
  res.writeHead(200, {
    'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Content-Length': String(body.length),
    'Docker-Distribution-API-Version': 'registry/2.0',
    'X-Request-Id': randomUUID(),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}).listen(Number(portText), '127.0.0.1', () => console.log(`listening on ${portText}`))
