import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isRepositoryName, isTag, toChunkRange, toDigest, toReadRange, toRoute } from '@wharf/core'

const component = fc.stringMatching(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/)
const validName = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')).filter((n) => n.length <= 255)

describe('repository names', () => {
  it('accepts every name the spec grammar generates', () => {
    fc.assert(fc.property(validName, (name) => isRepositoryName(name)))
  })

  it('never accepts a name that could escape its storage prefix', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        if (!isRepositoryName(name)) return true
        const segments = name.split('/')
        return (
          !segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith('_') || s.startsWith('.')) &&
          !/[^a-z0-9._/-]/.test(name) &&
          name.length <= 255
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('routes a valid name back out of any /v2 path unchanged', () => {
    fc.assert(
      fc.property(validName, fc.constantFrom('tags/list', 'manifests/latest', `blobs/sha256:${'a'.repeat(64)}`, 'blobs/uploads/'), (name, rest) => {
        const route = toRoute(`/v2/${name}/${rest}`)
        expect(route && 'name' in route ? route.name : undefined).toBe(name)
      }),
    )
  })
})

describe('tags', () => {
  it('accepts exactly the spec grammar', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/), (tag) => isTag(tag)))
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (tag) => isTag(tag) === /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/.test(tag)),
      { numRuns: 2000 },
    )
  })
})

describe('digests', () => {
  it('parses well-formed sha256 and sha512 digests and round-trips them', () => {
    fc.assert(
      fc.property(fc.constantFrom(['sha256', 64] as const, ['sha512', 128] as const), fc.uint8Array({ minLength: 64, maxLength: 64 }), ([alg, len], bytes) => {
        const hex = Buffer.from(bytes).toString('hex').repeat(2).slice(0, len)
        const digest = toDigest(`${alg}:${hex}`)
        expect(digest).toEqual({ algorithm: alg, hex, value: `${alg}:${hex}` })
      }),
    )
  })

  it('refuses anything else without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const digest = toDigest(value)
        return digest === undefined || /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(value)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('upload Content-Range', () => {
  it('parses start-end pairs, in both the spec and the RFC form', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a]
        expect(toChunkRange(`${start}-${end}`)).toEqual({ start, end })
        expect(toChunkRange(`bytes ${start}-${end}/*`)).toEqual({ start, end })
      }),
    )
  })

  it('never returns a range whose end precedes its start, and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (header) => {
        const range = toChunkRange(header)
        return range === undefined || (range.end >= range.start && range.start >= 0)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('read Range', () => {
  it('always answers with a range inside the object, or whole/unsatisfiable', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.option(fc.nat(), { nil: undefined }), fc.option(fc.nat(), { nil: undefined })).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`)),
        fc.nat({ max: 10_000_000 }),
        (header, size) => {
          const range = toReadRange(header, size)
          if (range.kind !== 'partial') return true
          return range.start >= 0 && range.start <= range.end && range.end < size
        },
      ),
      { numRuns: 3000 },
    )
  })
})
