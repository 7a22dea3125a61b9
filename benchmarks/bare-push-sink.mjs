// The push ceiling (issue 16): the least a registry must do with a monolithic upload, in plain
// node:http with no routing, sessions, locks, metrics or logging, pushed with the same curl -T
// (POST, then PUT ?digest=) as the registries. Any registry written in Node on this machine is
// bounded by it.
//
//   node benchmarks/bare-push-sink.mjs <dir> [port=5105] [mode=store]
//
// Modes:
// - `hash`: sha256 of the body, checked against ?digest=, bytes dropped: the bound of receiving and
//   verifying alone (a registry must hash what it stores);
// - `store`: the same, and the bytes written to a file in <dir> the way a careful server does (two
//   1 MiB buffers, one filling from the socket while the other is written; fdatasync every 16 MiB so
//   the disk works while bytes arrive, and once more before the 201: acknowledged means durable, as
//   both registries do); the file is removed after the answer so the disk does not fill.
import { createHash, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'

const [dir, portText = '5105', mode = 'store'] = process.argv.slice(2)
if (!dir || !['hash', 'store'].includes(mode)) {
  console.error('usage: node bare-push-sink.mjs <dir> [port] [hash|store]')
  process.exit(2)
}
const BATCH = 1024 * 1024
const FLUSH_EVERY = 16 * 1024 * 1024

/** Writes the body in 1 MiB batches, two in flight, with background fdatasyncs; returns the byte count. */
async function store(body, hash, path) {
  const handle = await open(path, 'wx')
  const buffers = [Buffer.allocUnsafeSlow(BATCH), Buffer.allocUnsafeSlow(BATCH)]
  let current = 0
  let used = 0
  let position = 0
  const writes = [Promise.resolve(), Promise.resolve()]
  let flushing = Promise.resolve()
  let unflushed = 0
  const flush = () => {
    const buffer = buffers[current]
    const length = used
    const at = position
    const written = handle.write(buffer, 0, length, at)
    writes[current] = written
    position += length
    unflushed += length
    if (unflushed >= FLUSH_EVERY) {
      unflushed = 0
      // After the batch just queued: writeback of everything so far, while the next batches fill.
      flushing = Promise.all([flushing, written]).then(() => handle.datasync())
    }
    current ^= 1
    used = 0
  }
  try {
    for await (const chunk of body) {
      hash.update(chunk)
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(chunk.length - offset, BATCH - used)
        if (used === 0) await writes[current] // this buffer was handed to the disk two batches ago
        chunk.copy(buffers[current], used, offset, offset + take)
        used += take
        offset += take
        if (used === BATCH) flush()
      }
    }
    if (used > 0) flush()
    await Promise.all(writes)
    await flushing
    await handle.datasync()
    return position
  } finally {
    await handle.close()
  }
}

let uploads = 0
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    res.writeHead(202, { Location: `/v2/sink/blobs/uploads/${++uploads}`, 'Content-Length': '0' })
    return res.end()
  }
  if (req.method !== 'PUT') {
    res.writeHead(405, { 'Content-Length': '0' })
    return res.end()
  }
  const expected = new URL(req.url, 'http://sink').searchParams.get('digest')
  const hash = createHash('sha256')
  const path = join(dir, `sink-${randomUUID()}`)
  const received = mode === 'store' ? store(req, hash, path) : (async () => {
    for await (const chunk of req) hash.update(chunk)
  })()
  received.then(
    () => {
      const ok = `sha256:${hash.digest('hex')}` === expected
      res.writeHead(ok ? 201 : 400, { 'Content-Length': '0' })
      res.end()
    },
    () => res.destroy(),
  ).finally(() => (mode === 'store' ? unlink(path).catch(() => undefined) : undefined))
})
server.listen(Number(portText), '127.0.0.1', () => console.log(`push sink (${mode}) on ${portText}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
