import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { request } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { setTimeout } from 'node:timers/promises'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * Blob push and pull clients, the same for both servers. Pushes stream the file from disk through
 * node:http in 1 MiB chunks (curl's `-T` rewrites a URL ending in `/`, which the upload URL does);
 * pulls use curl writing to /dev/null, the cheapest reader on this machine. Each function checks
 * the status codes the spec requires and throws on anything else, and returns the seconds spent.
 *
 * @typedef {{ path: string, size: number, digest: string }} BlobFile
 */

/**
 * The single-request upload: POST /v2/<repo>/blobs/uploads/?digest=… with the whole blob as its body
 * (201). The spec lets a registry decline it (202, opening a session instead); call
 * {@link supportsSinglePost} first, since then the body is never read.
 */
export async function pushSinglePost(baseUrl, repo, blob) {
  const started = process.hrtime.bigint()
  const url = `${baseUrl}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`
  const response = await sendFile(url, 'POST', blob)
  expectStatus(response, 201, `single-POST push to ${url}`)
  return secondsSince(started)
}

/** The monolithic upload every registry supports: POST with no body (202 + Location), then PUT ?digest= with the whole blob (201). */
export async function pushPostPut(baseUrl, repo, blob) {
  const started = process.hrtime.bigint()
  const opened = await sendSmall(`${baseUrl}/v2/${repo}/blobs/uploads/`, 'POST')
  expectStatus(opened, 202, 'upload start')
  const putUrl = new URL(toLocation(baseUrl, opened))
  putUrl.searchParams.set('digest', blob.digest)
  const closed = await sendFile(putUrl.href, 'PUT', blob)
  expectStatus(closed, 201, `PUT ${putUrl}`)
  return secondsSince(started)
}

/**
 * Whether the registry completes a single-POST upload (201) rather than declining it (202), probed
 * with a 1 KiB blob in a repository of its own. Any other answer is an error.
 */
export async function supportsSinglePost(baseUrl) {
  const bytes = randomBytes(1024)
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  const response = await sendSmall(`${baseUrl}/v2/bench/probe/blobs/uploads/?digest=${digest}`, 'POST', bytes, {
    'Content-Type': 'application/octet-stream',
  })
  if (response.status !== 201 && response.status !== 202) expectStatus(response, 201, 'single-POST probe')
  return response.status === 201
}

/** Docker's flow: POST (202 + Location), one PATCH streaming the whole blob (202), PUT ?digest= with no body (201). */
export async function pushDockerStyle(baseUrl, repo, blob) {
  const started = process.hrtime.bigint()
  const opened = await sendSmall(`${baseUrl}/v2/${repo}/blobs/uploads/`, 'POST')
  expectStatus(opened, 202, 'upload start')
  const patchUrl = toLocation(baseUrl, opened)
  const patched = await sendFile(patchUrl, 'PATCH', blob)
  expectStatus(patched, 202, `PATCH ${patchUrl}`)
  const putUrl = new URL(toLocation(baseUrl, patched))
  putUrl.searchParams.set('digest', blob.digest)
  const closed = await sendSmall(putUrl.href, 'PUT')
  expectStatus(closed, 201, `PUT ${putUrl}`)
  return secondsSince(started)
}

/** GET /v2/<repo>/blobs/<digest> with curl, body discarded; checks status 200 and the byte count. */
export async function pullWithCurl(baseUrl, repo, blob) {
  const url = `${baseUrl}/v2/${repo}/blobs/${blob.digest}`
  const { stdout } = await execFileAsync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{time_total}', url])
  const [status, size, seconds] = stdout.trim().split(' ').map(Number)
  if (status !== 200 || size !== blob.size) throw new Error(`pull ${url}: status ${status}, ${size} bytes, expected 200 and ${blob.size} bytes`)
  return seconds
}

/** HEAD the blob and check it is complete under its digest (outside any timed section). */
export async function assertBlobStored(baseUrl, repo, blob) {
  const response = await sendSmall(`${baseUrl}/v2/${repo}/blobs/${blob.digest}`, 'HEAD')
  expectStatus(response, 200, `HEAD blob after push`)
  const length = Number(response.headers['content-length'])
  if (length !== blob.size) throw new Error(`HEAD blob after push: Content-Length ${length}, expected ${blob.size}`)
}

/** A small request with an optional in-memory body; resolves with status, headers and body text. */
export function sendSmall(url, method, body = undefined, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { 'Content-Length': body ? body.length : 0, ...headers } }, (res) => {
      collect(res).then(resolve, reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function sendFile(url, method, blob) {
  const req = request(url, {
    method,
    agent: false,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size },
  })
  const answered = once(req, 'response').then(([res]) => collect(res))
  answered.catch(() => {}) // Awaited below; this only keeps an early failure from being unhandled.
  try {
    await pipeline(createReadStream(blob.path, { highWaterMark: 1 << 20 }), req)
  } catch (error) {
    // The server may answer (e.g. with an error) before the body is sent and close the connection;
    // that answer says more than the broken pipe does.
    const early = await Promise.race([answered, setTimeout(1000)]).catch(() => undefined)
    if (early) return early
    throw error
  }
  return await answered
}

function collect(res) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    res.on('data', (chunk) => {
      // Error bodies are small; never keep more than 64 KiB of any answer.
      if (size < 65536) chunks.push(chunk)
      size += chunk.length
    })
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) }))
    res.on('error', reject)
  })
}

function expectStatus(response, status, what) {
  if (response.status !== status) throw new Error(`${what}: status ${response.status}, expected ${status}: ${response.body}`)
}

function toLocation(baseUrl, response) {
  const location = response.headers.location
  if (!location) throw new Error(`no Location header in the ${response.status} answer`)
  return new URL(location, baseUrl).href
}

function secondsSince(started) {
  return Number(process.hrtime.bigint() - started) / 1e9
}
