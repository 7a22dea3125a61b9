import { createHash, randomBytes } from 'node:crypto'

/**
 * A Bloom filter of strings: a fixed number of bits whatever the number of items, no false
 * negatives, rare false positives. The collector uses it for "is this blob still linked somewhere"
 * and "is this data object still referenced": a false positive only keeps a piece of garbage until a
 * later run (each filter is salted at random, so the same item is not kept twice in a row).
 */
export interface BloomFilter {
  add(item: string): void
  has(item: string): boolean
}

/** A filter of `bytes` bytes (default 8 MiB: under 1e-6 false positives at a million items). */
export function createBloomFilter(bytes = 8 * 1024 * 1024): BloomFilter {
  const bits = new Uint8Array(bytes)
  const size = bytes * 8
  const salt = randomBytes(16)
  // Seven positions from the eight 32-bit words of one sha256 of salt + item.
  const positions = (item: string): number[] => {
    const hash = createHash('sha256').update(salt).update(item).digest()
    return Array.from({ length: 7 }, (_, i) => hash.readUInt32LE(i * 4) % size)
  }
  return {
    add(item) {
      for (const p of positions(item)) bits[p >>> 3]! |= 1 << (p & 7)
    },
    has(item) {
      return positions(item).every((p) => (bits[p >>> 3]! & (1 << (p & 7))) !== 0)
    },
  }
}
