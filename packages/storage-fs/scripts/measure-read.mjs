// Measures read-stream throughput of a 512 MiB file for the options considered for `read`, plus the
// driver's append and small-put figures. Runs are interleaved (option A, B, C, ... then again) so
// that machine noise hits every option alike; the median of the rounds is printed.
//
//   pnpm --filter @wharf/core build && pnpm --filter @wharf/storage-fs build
//   node packages/storage-fs/scripts/measure-read.mjs [sizeMiB=512] [rounds=5]
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createFsDriver } from '../dist/index.js'

const MiB = 1024 * 1024
const sizeMiB = Number(process.argv[2] ?? 512)
const rounds = Number(process.argv[3] ?? 5)
const size = sizeMiB * MiB
const root = await mkdtemp(join(tmpdir(), 'wharf-fs-measure-'))
const driver = createFsDriver({ root })

/** Bytes per second of draining `stream` through a default reader (what a Response body does). */
async function drain(stream) {
  const started = performance.now()
  const reader = stream.getReader()
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
  }
  if (total !== size) throw new Error(`read ${total} of ${size} bytes`)
  return total / MiB / ((performance.now() - started) / 1000)
}

let afterDrain
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// The object is written through the driver, so every option reads the same file.
async function* body() {
  const chunk = Buffer.alloc(64 * 1024, 0x5a)
  for (let at = 0; at < size; at += chunk.length) yield chunk
}
let started = performance.now()
let state = await driver.startWrite('measure/blob')
state = await driver.appendWrite(state, body())
await driver.finishWrite(state)
const appendMiBs = sizeMiB / ((performance.now() - started) / 1000)
const path = join(root, 'measure', 'blob,')

const options = {
  'Readable.toWeb(createReadStream) 64 KiB': async () => Readable.toWeb(createReadStream(path)),
  'Readable.toWeb(createReadStream) 1 MiB': async () => Readable.toWeb(createReadStream(path, { highWaterMark: MiB })),
  'FileHandle.readableWebStream()': async () => {
    const handle = await open(path, 'r')
    // Node 20 does not close the handle at the end of this stream: close it after draining.
    afterDrain = () => handle.close()
    return handle.readableWebStream()
  },
  "type: 'bytes' stream, 1 MiB BYOB pulls": async () => {
    const handle = await open(path, 'r')
    let at = 0
    return new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: MiB,
      async pull(controller) {
        const request = controller.byobRequest
        const { bytesRead } = await handle.read(request.view, 0, request.view.byteLength, at)
        at += bytesRead
        if (bytesRead === 0) {
          await handle.close()
          controller.close()
          request.respond(0)
        } else request.respond(bytesRead)
      },
      cancel: () => handle.close(),
    })
  },
  'driver.read (pull source, 1 MiB FileHandle.read)': () => driver.read('measure/blob'),
}

const results = Object.fromEntries(Object.keys(options).map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  for (const [name, make] of Object.entries(options)) {
    results[name].push(await drain(await make()))
    await afterDrain?.()
    afterDrain = undefined
  }
}

// Small puts: plain (overwrite, under the key lock), create-only (link) and compare-and-swap.
const small = new TextEncoder().encode('{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}')
const N = 300
started = performance.now()
for (let i = 0; i < N; i++) await driver.put('measure/tag', small)
const plainMs = (performance.now() - started) / N
started = performance.now()
for (let i = 0; i < N; i++) await driver.put(`measure/created/${i}`, small, { ifNoneMatch: '*' })
const createMs = (performance.now() - started) / N
let { etag } = await driver.put('measure/cas', small)
started = performance.now()
for (let i = 0; i < N; i++) ({ etag } = await driver.put('measure/cas', small, { ifMatch: etag }))
const casMs = (performance.now() - started) / N

console.log(`node ${process.version}, ${sizeMiB} MiB file in ${tmpdir()}, median of ${rounds} interleaved rounds (page cache warm), load average ${loadavg()[0].toFixed(1)}`)
for (const [name, values] of Object.entries(results)) {
  console.log(`  ${name.padEnd(52)} ${median(values).toFixed(0).padStart(6)} MiB/s   (runs: ${values.map((v) => v.toFixed(0)).join(', ')})`)
}
console.log(`  appendWrite ${sizeMiB} MiB from 64 KiB chunks, incl. fdatasync + finish: ${appendMiBs.toFixed(0)} MiB/s`)
console.log(`  put 88 B: overwrite ${plainMs.toFixed(2)} ms, create-only ${createMs.toFixed(2)} ms, compare-and-swap ${casMs.toFixed(2)} ms (each incl. fsync of file and directory)`)
await rm(root, { recursive: true, force: true })
