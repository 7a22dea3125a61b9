// Image, pull and clock helpers shared by the retention tests of core and http-adapter.
import { createHash } from 'node:crypto'
import { expect, vi } from 'vitest'
import { createMemoryDriver, createRegistry, type Registry, type RegistryOptions, type StorageDriver } from '@wharf/core'

// Retention tests move the clock instead of waiting: only `Date` is faked, so promises and I/O run
// as usual while objects (tags, revisions, pull records) age.
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** Any function that sends a request: a registry's `fetch`, or `fetch` against a real port. */
export type Send = (path: string, init?: RequestInit) => Promise<Response>

export const inProcess =
  (registry: Registry): Send =>
  (path, init) =>
    registry.fetch(new Request(`http://registry.test${path}`, init))

/** A fake clock starting 2026-01-01; `age(ms)` moves it forward. */
export function fakeClock(): { age(ms: number): void; now(): number } {
  vi.useFakeTimers({ toFake: ['Date'] })
  let now = Date.parse('2026-01-01T00:00:00Z')
  vi.setSystemTime(now)
  return { age: (ms) => vi.setSystemTime((now += ms)), now: () => now }
}

/** A registry with `retention` on a memory driver (or the given one). */
export function retentionRegistry(options: Partial<RegistryOptions>, storage: StorageDriver = createMemoryDriver()): Registry {
  return createRegistry({ storage, ...options })
}

/** Pushes a one-layer image whose content is unique to `label` under `tag` (or by digest); its manifest digest. */
export async function pushImage(send: Send, repository: string, tag: string | undefined, label: string): Promise<string> {
  const blobs: { digest: string; size: number }[] = []
  for (const content of [`config ${label}`, `layer ${label}`]) {
    const digest = sha256(content)
    const res = await send(`/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content })
    expect(res.status).toBe(201)
    blobs.push({ digest, size: content.length })
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blobs[0] },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blobs[1] }],
  })
  const digest = sha256(manifest)
  const res = await send(`/v2/${repository}/manifests/${tag ?? digest}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })
  expect(res.status).toBe(201)
  return digest
}

/** Re-pushes the manifest `digest` under `tag` (what `docker push` of an unchanged image does). */
export async function tagManifest(send: Send, repository: string, digest: string, tag: string): Promise<void> {
  const manifest = await (await send(`/v2/${repository}/manifests/${digest}`, { headers: { Accept: OCI_MANIFEST } })).text()
  const res = await send(`/v2/${repository}/manifests/${tag}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: manifest })
  expect(res.status).toBe(201)
}

/** A pull: GET of the manifest by tag or digest. */
export async function pull(send: Send, repository: string, reference: string): Promise<void> {
  const res = await send(`/v2/${repository}/manifests/${reference}`, { headers: { Accept: OCI_MANIFEST } })
  expect(res.status).toBe(200)
  await res.arrayBuffer()
}

/** The repository's tags as a client lists them. */
export async function listTags(send: Send, repository: string): Promise<string[]> {
  const res = await send(`/v2/${repository}/tags/list`)
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : []
}

/** Whether a manifest (by tag or digest) is still served. */
export async function exists(send: Send, repository: string, reference: string): Promise<boolean> {
  return (await send(`/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } })).status === 200
}

/** Wraps a driver so tests can see (and interpose on) what it is asked. */
export function watchedDriver(inner: StorageDriver, hooks: { afterGet?(key: string): Promise<void> } = {}) {
  const puts: string[] = []
  const driver: StorageDriver = Object.create(inner) as StorageDriver
  driver.put = async (key, body, options) => {
    puts.push(key)
    return inner.put(key, body, options)
  }
  driver.get = async (key, options) => {
    const object = await inner.get(key, options)
    await hooks.afterGet?.(key)
    return object
  }
  return { driver, puts }
}
