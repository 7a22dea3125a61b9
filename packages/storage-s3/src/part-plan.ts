/**
 * How a resumable write is cut into S3 multipart-upload parts.
 *
 * S3 limits: at most 10,000 parts, each 5 MiB to 5 GiB except the last, which may be smaller. With a
 * fixed 8 MiB part a blob could not exceed 78 GiB, and with clients that send 5 MiB PATCHes (each of
 * which may end a part early) only 48 GiB. So the planned part size doubles every 1,000 parts:
 * 8 MiB parts up to ~7.8 GiB, 16 MiB up to ~23 GiB, 32 MiB up to ~55 GiB, and so on, whatever the
 * clients' chunking. Memory stays one part: small for the blobs of everyday images, bounded (and
 * growing slowly) for the rare huge one.
 */

const MiB = 1024 * 1024

/** S3's smallest part, except for the last part of an upload. */
export const MIN_PART_SIZE = 5 * MiB
/** S3's largest part. */
export const MAX_PART_SIZE = 5 * 1024 * MiB
/** S3's most parts in one multipart upload. */
export const MAX_PARTS = 10_000
/** Default size of the first parts; 8 MiB is what the AWS tools and the Go registry use. */
export const DEFAULT_PART_SIZE = 8 * MiB
/** How many parts are planned at one size before the size doubles. */
export const PARTS_PER_TIER = 1_000

/**
 * The size planned for part `partNumber` (1-based) when the first parts have `baseSize` bytes:
 * `baseSize` doubled once per {@link PARTS_PER_TIER} parts, never above {@link MAX_PART_SIZE}.
 * An append uploads a part as soon as it has buffered this many bytes.
 */
export function planPartSize(partNumber: number, baseSize: number = DEFAULT_PART_SIZE): number {
  const tier = Math.floor((partNumber - 1) / PARTS_PER_TIER)
  return Math.min(baseSize * 2 ** tier, MAX_PART_SIZE)
}

/**
 * The fewest bytes that an append may upload as part `partNumber` when its data ends before the
 * planned size is reached; a smaller remainder is kept aside (as a "tail" object) and prepended to
 * the next append. Half the planned size (at least {@link MIN_PART_SIZE}) bounds how many parts a
 * client's chunking can waste, while sparing chunked clients a re-upload of big remainders.
 */
export function minEndingPartSize(partNumber: number, baseSize: number = DEFAULT_PART_SIZE): number {
  return Math.max(MIN_PART_SIZE, Math.floor(planPartSize(partNumber, baseSize) / 2))
}

/**
 * The largest write this plan is sure to accept, whatever the chunking: parts 1 to 9,999 hold at
 * least {@link minEndingPartSize} bytes each, and part 10,000 (kept for the final remainder) holds
 * less than its planned size.
 */
export function guaranteedCapacity(baseSize: number = DEFAULT_PART_SIZE): number {
  let total = 0
  for (let n = 1; n < MAX_PARTS; n++) total += minEndingPartSize(n, baseSize)
  return total + planPartSize(MAX_PARTS, baseSize) - 1
}

/** Checks a user-chosen base part size against S3's limits; throws a RangeError when unusable. */
export function checkPartSize(baseSize: number): number {
  if (!Number.isSafeInteger(baseSize) || baseSize < MIN_PART_SIZE || baseSize > MAX_PART_SIZE) {
    throw new RangeError(`partSize must be an integer from ${MIN_PART_SIZE} (5 MiB) to ${MAX_PART_SIZE} (5 GiB), got ${baseSize}`)
  }
  return baseSize
}
