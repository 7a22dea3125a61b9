// The fastest plain node:http file server we could write on this machine: the ceiling for wharf's
// pull (issue 16 asks for ≥ 90 % of it). It serves every GET as the one file given, with no routing,
// no registry logic, no logging.
//
//   node benchmarks/bare-file-server.mjs <file> [port=5009] [mode=pooled] [chunkKiB=1024]
//
// Modes:
// - `stream`: fs.createReadStream(file, { highWaterMark }).pipe(res), the textbook way;
// - `pooled`: positional reads into a few buffers allocated once per response and reused when
//   the socket has taken the previous write (its callback), so no buffer is allocated per chunk.
import { createServer } from 'node:http'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'

const [file, portText = '5009', mode = 'pooled', chunkText = '1024'] = process.argv.slice(2)
if (!file) {
  console.error('usage: node bare-file-server.mjs <file> [port] [stream|pooled] [chunkKiB]')
  process.exit(2)
}
const chunk = Number(chunkText) * 1024
const { size } = await stat(file)

/** Reads and writes with two buffers: one being read from disk while the other is written. */
async function servePooled(res) {
  const handle = await open(file, 'r')
  const buffers = [Buffer.allocUnsafeSlow(chunk), Buffer.allocUnsafeSlow(chunk)]
  let position = 0
  let pending = Promise.resolve()
  try {
    for (let i = 0; position < size && !res.destroyed; i ^= 1) {
      const buffer = buffers[i]
      const { bytesRead } = await handle.read(buffer, 0, Math.min(chunk, size - position), position)
      if (bytesRead === 0) break
      position += bytesRead
      // The buffer read next was handed to the socket two writes ago: wait until it has taken it.
      await pending
      pending = new Promise((resolve) => res.write(buffer.subarray(0, bytesRead), () => resolve()))
    }
    await pending
    res.end()
  } finally {
    await handle.close()
  }
}

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) })
  if (req.method === 'HEAD') return res.end()
  if (mode === 'stream') createReadStream(file, { highWaterMark: chunk }).pipe(res)
  else servePooled(res).catch(() => res.destroy())
})
server.keepAliveTimeout = 5000
server.listen(Number(portText), '127.0.0.1', () => console.log(`bare ${mode} ${chunk / 1024} KiB on ${portText}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
