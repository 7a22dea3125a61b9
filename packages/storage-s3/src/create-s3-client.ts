import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client } from '@aws-sdk/client-s3'
import type { S3DriverOptions } from './s3-driver-options.js'

const CONNECT_TIMEOUT_MS = 5_000

/**
 * Builds the SDK client the driver uses: retries with backoff, time-outs, and keep-alive agents with
 * enough sockets for many concurrent pulls (the SDK's default is 50).
 *
 * Checksums are computed only where S3 requires them: the driver verifies nothing through them
 * (the registry checks digests), and Ceph radosgw refuses the aws-chunked trailer bodies that the
 * SDK sends otherwise.
 */
export function createS3Client(options: S3DriverOptions): S3Client {
  const maxSockets = options.maxSockets ?? 128
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 64) }
  return new S3Client({
    region: options.region,
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: options.retryMode ?? 'standard',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      // An inactivity limit rather than a total one: a 5 GiB part or a long download is fine as long
      // as bytes keep moving.
      socketTimeout: options.requestTimeoutMs ?? 60_000,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
    ...options.clientConfig,
  })
}
