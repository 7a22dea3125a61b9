import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryDriver, createRegistry, type Registry } from '@wharf/core'

// Mark-and-sweep on random histories of pushes, tag moves and deletes across repositories that
// share layers, with the clock moved between steps. After the collector ran with everything past
// the grace period, two properties must hold:
// - nothing reachable was removed: every tag (and, without deleteUntagged, every manifest) pulls
//   whole, config and layers byte-identical;
// - everything unreachable was removed: the data objects left are exactly the blobs kept manifests use.
const HOUR = 60 * 60_000
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`
const REPOSITORIES = ['a', 'b', 'team/c']
const TAGS = ['latest', 'v1', 'v2']
const LAYERS = ['layer-0', 'layer-1', 'layer-2', 'layer-3']
/** Image i: its own config and two of the shared layers. */
const IMAGES = Array.from({ length: 5 }, (_, i) => [`config-${i}`, LAYERS[i % 4]!, LAYERS[(i + 1) % 4]!])

afterEach(() => {
  vi.useRealTimers()
})

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
/** Manifests are numbered: 0–4 images, 10 + 5i + j the index of images i and j. */
const childrenOf = (id: number): number[] => (id >= 10 ? [Math.floor((id - 10) / 5), (id - 10) % 5] : [])
const mediaTypeOf = (id: number) => (id >= 10 ? OCI_INDEX : OCI_MANIFEST)

type Step =
  | { kind: 'push'; image: number; repository: number; tag: number }
  | { kind: 'index'; first: number; second: number; repository: number; tag: number }
  | { kind: 'untag'; repository: number; tag: number }
  | { kind: 'delete'; image: number; repository: number }
  | { kind: 'age'; ms: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), image: fc.nat(4), repository: fc.nat(2), tag: fc.nat(2) }),
  fc.record({ kind: fc.constant('index' as const), first: fc.nat(4), second: fc.nat(4), repository: fc.nat(2), tag: fc.nat(2) }),
  fc.record({ kind: fc.constant('untag' as const), repository: fc.nat(2), tag: fc.nat(2) }),
  fc.record({ kind: fc.constant('delete' as const), image: fc.nat(4), repository: fc.nat(2) }),
  fc.record({ kind: fc.constant('age' as const), ms: fc.constantFrom(0, 20 * 60_000, 2 * HOUR) }),
)

const call = (registry: Registry, path: string, init?: RequestInit) => registry.fetch(new Request(`http://registry.test${path}`, init))

function manifestOf(image: number): string {
  if (image >= 10) {
    const manifests = childrenOf(image).map((child, i) => ({ mediaType: OCI_MANIFEST, digest: sha256(manifestOf(child)), size: manifestOf(child).length, platform: { os: 'linux', architecture: `arch${i}` } }))
    return JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests })
  }
  const [config, ...layers] = IMAGES[image]!
  const descriptor = (mediaType: string, content: string) => ({ mediaType, digest: sha256(content), size: content.length })
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor('application/vnd.oci.image.config.v1+json', config!),
    layers: layers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar', l)),
  })
}

/** The registry's expected state: per repository, live manifests (by image) and tags. */
interface Model {
  live: Set<number>[]
  tags: Map<string, number>[]
}

async function apply(registry: Registry, model: Model, s: Step, age: (ms: number) => void): Promise<void> {
  if (s.kind === 'age') return age(s.ms)
  const repository = REPOSITORIES[s.repository]!
  if (s.kind === 'push' || s.kind === 'index') {
    const id = s.kind === 'push' ? s.image : 10 + 5 * s.first + s.second
    for (const child of childrenOf(id)) await pushManifest(registry, repository, child, sha256(manifestOf(child)))
    if (s.kind === 'push') await pushManifest(registry, repository, id, TAGS[s.tag]!)
    else expect((await put(registry, repository, TAGS[s.tag]!, id)).status).toBe(201)
    for (const child of childrenOf(id)) model.live[s.repository]!.add(child)
    model.live[s.repository]!.add(id)
    model.tags[s.repository]!.set(TAGS[s.tag]!, id)
  } else if (s.kind === 'untag') {
    const had = model.tags[s.repository]!.delete(TAGS[s.tag]!)
    expect((await call(registry, `/v2/${repository}/manifests/${TAGS[s.tag]}`, { method: 'DELETE' })).status).toBe(had ? 202 : 404)
  } else {
    const had = model.live[s.repository]!.delete(s.image)
    for (const [tag, image] of model.tags[s.repository]!) if (image === s.image) model.tags[s.repository]!.delete(tag)
    expect((await call(registry, `/v2/${repository}/manifests/${sha256(manifestOf(s.image))}`, { method: 'DELETE' })).status).toBe(had ? 202 : 404)
  }
}

const put = (registry: Registry, repository: string, reference: string, id: number) =>
  call(registry, `/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'Content-Type': mediaTypeOf(id) }, body: manifestOf(id) })

async function pushManifest(registry: Registry, repository: string, image: number, reference: string): Promise<void> {
  for (const content of IMAGES[image]!) {
    const response = await call(registry, `/v2/${repository}/blobs/uploads/?digest=${sha256(content)}`, { method: 'POST', body: content })
    expect(response.status).toBe(201)
  }
  expect((await put(registry, repository, reference, image)).status).toBe(201)
}

/** Pulls a manifest and what it reaches; `live` says which children a DELETE has not removed since. */
async function expectPullsWhole(registry: Registry, repository: string, reference: string, image: number, live: Set<number>): Promise<void> {
  const manifest = await call(registry, `/v2/${repository}/manifests/${reference}`, { headers: { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })
  expect([repository, reference, manifest.status]).toEqual([repository, reference, 200])
  expect(await manifest.text()).toBe(manifestOf(image))
  for (const child of childrenOf(image)) if (live.has(child)) await expectPullsWhole(registry, repository, sha256(manifestOf(child)), child, live)
  if (image >= 10) return
  for (const content of IMAGES[image]!) {
    const blob = await call(registry, `/v2/${repository}/blobs/${sha256(content)}`)
    expect([repository, content, blob.status]).toEqual([repository, content, 200])
    expect(await blob.text()).toBe(content)
  }
}

describe('garbage collection on random histories', () => {
  it.each([[false], [true]])('removes nothing reachable and everything unreachable (deleteUntagged %s)', async (deleteUntagged) => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        vi.useFakeTimers({ toFake: ['Date'] })
        let now = Date.parse('2026-01-01T00:00:00Z')
        vi.setSystemTime(now)
        const age = (ms: number) => vi.setSystemTime((now += ms))
        const driver = createMemoryDriver()
        const registry = createRegistry({ storage: driver })
        const model: Model = { live: REPOSITORIES.map(() => new Set()), tags: REPOSITORIES.map(() => new Map()) }
        for (const s of steps) await apply(registry, model, s, age)
        age(2 * HOUR)
        await registry.collectGarbage({ deleteUntagged })

        const used = new Set<string>()
        for (const [r, repository] of REPOSITORIES.entries()) {
          for (const [tag, image] of model.tags[r]!) await expectPullsWhole(registry, repository, tag, image, model.live[r]!)
          const kept = deleteUntagged ? new Set(model.tags[r]!.values()) : model.live[r]!
          for (const id of kept) {
            await expectPullsWhole(registry, repository, sha256(manifestOf(id)), id, model.live[r]!)
            // A child deleted by digest is gone even while its index stays (as in distribution).
            const reached = [id, ...childrenOf(id).filter((child) => model.live[r]!.has(child))]
            for (const image of reached) for (const content of IMAGES[image] ?? []) used.add(content)
          }
        }
        expect((await driver.list('data/', { limit: 1000 })).keys.length).toBe(used.size)
        // Usage is kept up to date through the collection, without a rebuild.
        expect((await registry.usage()).total.bytes).toBe([...used].reduce((sum, content) => sum + content.length, 0))
        vi.useRealTimers()
      }),
      { numRuns: 40 },
    )
  })
})
