import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { OperationOptions } from '@wharf/core'
import { toDriverError } from './s3-errors.js'

/**
 * The driver's `listChildren` on S3: ListObjectsV2 with `Delimiter=/`, one call per 1,000 entries
 * (keys in `Contents`, deeper keys folded into `CommonPrefixes`), paged with the continuation token.
 * S3 returns both lists sorted and one page is a contiguous run of the merged order, so merging
 * each page keeps the whole listing in lexical order. `keyPrefix` is the driver's bucket prefix.
 */
export function createListChildren(client: S3Client, bucket: string, keyPrefix: string) {
  return async function* listChildren(prefix: string, options: OperationOptions = {}): AsyncGenerator<string> {
    const full = keyPrefix + prefix
    let token: string | undefined
    do {
      let out
      try {
        out = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: full, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
          options.signal ? { abortSignal: options.signal } : {},
        )
      } catch (error) {
        throw toDriverError(error, 'ListObjectsV2', prefix)
      }
      const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key.slice(full.length)]))
      const dirs = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix.slice(full.length)]))
      yield* mergeSorted(keys, dirs)
      token = out.IsTruncated ? out.NextContinuationToken : undefined
    } while (token)
  }
}

/** The union of two lists sorted in byte order (UTF-16 order equals it for the key alphabet). */
export function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) out.push(a[i++]!)
    else out.push(b[j++]!)
  }
  return out
}
