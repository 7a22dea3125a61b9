/**
 * vitest globalSetup of the storage-s3 project: provides an S3 server to the tests as `inject('s3')`.
 *
 * - With WHARF_S3_ENDPOINT (and WHARF_S3_ACCESS_KEY, WHARF_S3_SECRET, WHARF_S3_BUCKET, optionally
 *   WHARF_S3_REGION) set, the tests use that server; the bucket is created if missing.
 * - Otherwise it starts Ceph radosgw from Debian's packages (test/ceph/start-ceph.sh) on free
 *   loopback ports with its data under a temporary directory, creates a bucket, and stops it all
 *   (test/ceph/stop-ceph.sh: SIGTERM, wait) when the tests are done.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import type { TestProject } from 'vitest/node'

/** Where the tests find the S3 server. */
export interface S3TestServer {
  endpoint: string
  region: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  /** Whether this run started (and will stop) the server itself. */
  started: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestServer
  }
}

const run = promisify(execFile)
const script = (name: string) => fileURLToPath(new URL(`./ceph/${name}`, import.meta.url))

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
  const external = process.env['WHARF_S3_ENDPOINT']
  if (external) {
    const server = fromEnvironment(external)
    await ensureBucket(server)
    project.provide('s3', server)
    return async () => {}
  }

  const dir = await mkdtemp(join(tmpdir(), 'wharf-ceph-'))
  const startedAt = Date.now()
  let output: string
  try {
    output = (await run(script('start-ceph.sh'), [dir], { timeout: 120_000 })).stdout
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string }
    if (e.code === 127) {
      await rm(dir, { recursive: true, force: true })
      throw new Error(
        'storage-s3 tests need Ceph radosgw (or WHARF_S3_ENDPOINT, WHARF_S3_ACCESS_KEY, WHARF_S3_SECRET, ' +
          'WHARF_S3_BUCKET pointing at an S3 server). Install it with:\n' +
          '  apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw',
      )
    }
    throw new Error(`starting radosgw failed (logs in ${dir}/log):\n${e.stderr ?? String(error)}`)
  }
  const stop = async () => {
    await run(script('stop-ceph.sh'), [dir], { timeout: 60_000 })
  }
  try {
    const env = Object.fromEntries(
      output
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
    const server: S3TestServer = {
      endpoint: must(env['WHARF_S3_ENDPOINT']),
      region: 'us-east-1',
      bucket: 'wharf-test',
      accessKeyId: must(env['WHARF_S3_ACCESS_KEY']),
      secretAccessKey: must(env['WHARF_S3_SECRET']),
      started: true,
    }
    await ensureBucket(server)
    if (process.env['WHARF_S3_VERBOSE']) console.log(`radosgw ready at ${server.endpoint} in ${Date.now() - startedAt} ms`)
    project.provide('s3', server)
  } catch (error) {
    await stop()
    throw error
  }
  return stop
}

function fromEnvironment(endpoint: string): S3TestServer {
  const need = (name: string) => {
    const value = process.env[name]
    if (!value) throw new Error(`WHARF_S3_ENDPOINT is set, so ${name} must be set too`)
    return value
  }
  return {
    endpoint,
    region: process.env['WHARF_S3_REGION'] ?? 'us-east-1',
    bucket: need('WHARF_S3_BUCKET'),
    accessKeyId: need('WHARF_S3_ACCESS_KEY'),
    secretAccessKey: need('WHARF_S3_SECRET'),
    started: false,
  }
}

async function ensureBucket(server: S3TestServer): Promise<void> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  })
  try {
    await client.send(new CreateBucketCommand({ Bucket: server.bucket }))
  } catch (error) {
    const name = (error as { name?: string }).name
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error
  } finally {
    client.destroy()
  }
}

function must(value: string | undefined): string {
  if (!value) throw new Error('start-ceph.sh printed no endpoint')
  return value
}
