import { describe, expect, it } from 'vitest'
import { createS3Driver } from '../src/index.js'
import {
  DEFAULT_PART_SIZE,
  MAX_PARTS,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
  guaranteedCapacity,
  minEndingPartSize,
  planPartSize,
} from '../src/part-plan.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/**
 * Replays how appends cut a write into parts (full planned parts while data streams, the end of an
 * append a part of its own when at least `minEndingPartSize`, else a tail carried to the next
 * append) for `total` bytes arriving in appends of `appendSize`; returns the parts used and the
 * largest part. Arithmetic only: no bytes.
 */
function cut(total: number, appendSize: number, base = DEFAULT_PART_SIZE) {
  let parts = 0
  let largest = 0
  let carried = 0
  for (let sent = 0; sent < total; sent += appendSize) {
    let buffered = carried + Math.min(appendSize, total - sent)
    while (buffered >= planPartSize(parts + 1, base)) {
      largest = Math.max(largest, planPartSize(parts + 1, base))
      buffered -= planPartSize(parts + 1, base)
      parts++
    }
    if (buffered >= minEndingPartSize(parts + 1, base)) {
      largest = Math.max(largest, buffered)
      parts++
      buffered = 0
    }
    carried = buffered
  }
  return { parts: parts + (carried > 0 ? 1 : 0), largest: Math.max(largest, carried) }
}

describe('part plan', () => {
  it('uploads 8 MiB parts for the first 1,000 parts, then doubles the size every 1,000 parts', () => {
    expect(planPartSize(1)).toBe(8 * MiB)
    expect(planPartSize(1000)).toBe(8 * MiB)
    expect(planPartSize(1001)).toBe(16 * MiB)
    expect(planPartSize(2001)).toBe(32 * MiB)
    expect(planPartSize(1, 6 * MiB)).toBe(6 * MiB)
  })

  it('never plans a part larger than S3 accepts, nor ends one below 5 MiB', () => {
    for (let n = 1; n <= MAX_PARTS; n++) {
      expect(planPartSize(n, MAX_PART_SIZE)).toBeLessThanOrEqual(MAX_PART_SIZE)
      expect(minEndingPartSize(n)).toBeGreaterThanOrEqual(MIN_PART_SIZE)
      expect(minEndingPartSize(n)).toBeLessThanOrEqual(planPartSize(n))
    }
  })

  it('accepts a 50 GiB blob within 10,000 parts whatever the size of the appends', () => {
    expect(guaranteedCapacity()).toBeGreaterThan(1024 * GiB)
    for (const appendSize of [50 * GiB, 1 * GiB, 100 * MiB, 8 * MiB, 5 * MiB + 1, 5 * MiB, 3 * MiB]) {
      const { parts } = cut(50 * GiB, appendSize)
      expect(parts, `appends of ${appendSize} bytes`).toBeLessThan(MAX_PARTS)
    }
  })

  it('keeps parts (the memory of an append) small: 8 MiB for 5 GiB, 32 MiB for 50 GiB in one stream', () => {
    expect(cut(5 * GiB, 5 * GiB).largest).toBe(8 * MiB)
    expect(cut(50 * GiB, 50 * GiB).largest).toBe(32 * MiB)
    // Small appends end parts early, so the size grows sooner, but stays bounded.
    expect(cut(50 * GiB, 5 * MiB).largest).toBeLessThanOrEqual(64 * MiB)
  })

  it('refuses a part size outside S3 limits when the driver is created', () => {
    const options = { bucket: 'b', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }
    expect(() => createS3Driver({ ...options, partSize: 1 * MiB })).toThrow(RangeError)
    expect(() => createS3Driver({ ...options, partSize: 6 * GiB })).toThrow(RangeError)
    expect(createS3Driver({ ...options, partSize: 16 * MiB }).capabilities.minChunkSize).toBe(MIN_PART_SIZE)
  })
})
