import { expect, it } from 'vitest'
import { makeImage, OCI_MANIFEST, sha256Of, type TestImage } from './image.js'
import type { ScaleOutPair, ScaleOutProcess, ScaleOutSuiteSettings } from './suite.js'
import { pushMonolithic } from './upload-client.js'

/** What one process shows of a manifest: by tag, by digest, and whether tags/list names the tag. */
interface Seen {
  byTag: number
  tagDigest: string | null
  byDigest: number
  listed: boolean
}

async function see(base: string, repository: string, tag: string, digest: string): Promise<Seen> {
  const accept = { Accept: OCI_MANIFEST }
  const [byTag, byDigest, list] = await Promise.all([
    fetch(`${base}/v2/${repository}/manifests/${tag}`, { headers: accept }),
    fetch(`${base}/v2/${repository}/manifests/${digest}`, { method: 'HEAD', headers: accept }),
    fetch(`${base}/v2/${repository}/tags/list`),
  ])
  await byTag.arrayBuffer()
  const tags = list.status === 200 ? ((await list.json()) as { tags: string[] }).tags : []
  return { byTag: byTag.status, tagDigest: byTag.headers.get('docker-content-digest'), byDigest: byDigest.status, listed: tags.includes(tag) }
}

/**
 * The invariant of every race below: what a reader sees is a state some order of the requests
 * explains. The tag is listed exactly when it resolves, and it resolves to the manifest exactly when
 * that manifest is served by digest — never a listed tag with a 404 behind it.
 */
function expectConsistent(seen: Seen, digest: string): 'present' | 'deleted' {
  if (seen.listed) {
    expect(seen).toEqual({ byTag: 200, tagDigest: digest, byDigest: 200, listed: true })
    return 'present'
  }
  expect(seen.byTag).toBe(404)
  return seen.byDigest === 200 ? 'present' : 'deleted'
}

const send = (base: string, method: string, path: string, body?: Buffer) =>
  fetch(`${base}${path}`, { method, ...(body ? { body, headers: { 'Content-Type': OCI_MANIFEST } } : {}) }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

async function pushBlobs(base: string, repository: string, image: TestImage): Promise<void> {
  for (const blob of image.blobs) await pushMonolithic(base, repository, sha256Of(blob), blob)
}

/** Registers the tests where a delete races a write of the same manifest, tag or blob through both processes. */
export function raceTests(pair: () => ScaleOutPair, settings: ScaleOutSuiteSettings, startFresh: () => Promise<ScaleOutProcess>): void {
  /** Runs `check` with a process started now (when `now`; otherwise with one of the pair). */
  const withFreshProcess = async (check: (fresh: ScaleOutProcess) => Promise<void>, now = true) => {
    if (!now) return check(pair().a)
    const fresh = await startFresh()
    try {
      await check(fresh)
    } finally {
      await fresh.stop()
    }
  }
  it(
    'settles DELETE by digest racing a re-PUT of the same manifest by tag: a PUT is never half-lost, no tag points at a deleted manifest',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/race-delete-put'
      const images = Array.from({ length: settings.raceRounds }, (_, round) => makeImage(`race-${round}`, [100]))
      const outcomes = { present: 0, deleted: 0 }
      for (const [round, image] of images.entries()) {
        const [deleter, putter] = round % 2 === 0 ? [a, b] : [b, a]
        await pushBlobs(a.url, repository, image)
        expect(await send(putter.url, 'PUT', `/v2/${repository}/manifests/t${round}`, image.manifest)).toBe(201)
        const [deleted, put] = await Promise.all([
          send(deleter.url, 'DELETE', `/v2/${repository}/manifests/${image.digest}`),
          send(putter.url, 'PUT', `/v2/${repository}/manifests/t${round}`, image.manifest),
        ])
        expect(put).toBe(201)
        expect([202, 404]).toContain(deleted)
      }
      // Checked from both processes and from a new one, which has no memory of the requests: what
      // storage holds, not what a cache remembers. All three must agree on each round.
      await withFreshProcess(async (fresh) => {
        for (const [round, image] of images.entries()) {
          const states = await Promise.all([a, b, fresh].map(async (p) => expectConsistent(await see(p.url, repository, `t${round}`, image.digest), image.digest)))
          expect(new Set(states).size).toBe(1)
          outcomes[states[0]!]++
        }
      })
      // Either order may win a given round; what matters is that every round ended whole.
      expect(outcomes.present + outcomes.deleted).toBe(settings.raceRounds)
    },
    settings.testTimeoutMs,
  )

  it(
    'never lets DELETE of the old manifest remove a tag that a racing PUT just moved to a new one',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/race-tag-move'
      let lost = 0
      for (let round = 0; round < settings.raceRounds; round++) {
        const [deleter, putter] = round % 2 === 0 ? [a, b] : [b, a]
        const [oldImage, newImage] = [makeImage(`old-${round}`, [10]), makeImage(`new-${round}`, [10])]
        await pushBlobs(a.url, repository, oldImage)
        await pushBlobs(a.url, repository, newImage)
        expect(await send(a.url, 'PUT', `/v2/${repository}/manifests/t`, oldImage.manifest)).toBe(201)
        const [deleted, put] = await Promise.all([
          send(deleter.url, 'DELETE', `/v2/${repository}/manifests/${oldImage.digest}`),
          send(putter.url, 'PUT', `/v2/${repository}/manifests/t`, newImage.manifest),
        ])
        expect([deleted, put]).toEqual([202, 201])
        await withFreshProcess(async (fresh) => {
          const seen = await Promise.all([a, b, fresh].map((p) => see(p.url, repository, 't', newImage.digest)))
          for (const [i, p] of [a, b, fresh].entries()) {
            expect(await send(p.url, 'HEAD', `/v2/${repository}/manifests/${oldImage.digest}`)).toBe(404)
            if (settings.atomicConditionalWrites) {
              // The PUT moved the tag; the delete of the other manifest must not have touched it.
              expect(seen[i]).toEqual({ byTag: 200, tagDigest: newImage.digest, byDigest: 200, listed: true })
            } else {
              // Without atomic conditional writes the delete's tombstone can land over the PUT's tag:
              // then the tag is gone everywhere, never listed with a 404 behind it.
              expect(expectConsistent(seen[i]!, newImage.digest)).toBe('present')
            }
          }
          expect(new Set(seen.map((one) => one.listed)).size).toBe(1)
          if (!seen[0]!.listed) lost++
        }, round === settings.raceRounds - 1)
      }
      if (lost > 0) console.info(`race-tag-move: the racing PUT's tag was lost in ${lost} of ${settings.raceRounds} rounds (conditional writes not atomic)`)
    },
    settings.testTimeoutMs,
  )

  it(
    'settles DELETE by tag racing a PUT of that tag: the tag is listed exactly when it resolves',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/race-tag-delete'
      const image = makeImage('tag-delete', [10])
      await pushBlobs(a.url, repository, image)
      for (let round = 0; round < settings.raceRounds; round++) {
        const [deleter, putter] = round % 2 === 0 ? [a, b] : [b, a]
        expect(await send(putter.url, 'PUT', `/v2/${repository}/manifests/t`, image.manifest)).toBe(201)
        const [deleted, put] = await Promise.all([
          send(deleter.url, 'DELETE', `/v2/${repository}/manifests/t`),
          send(putter.url, 'PUT', `/v2/${repository}/manifests/t`, image.manifest),
        ])
        expect([deleted, put]).toEqual([202, 201])
        // The manifest stays (only the tag was deleted); the tag is either back or gone, the same for every process.
        await withFreshProcess(async (fresh) => {
          const seen = await Promise.all([a, b, fresh].map((p) => see(p.url, repository, 't', image.digest)))
          for (const one of seen) expect(expectConsistent(one, image.digest)).toBe('present')
          expect(new Set(seen.map((one) => one.listed)).size).toBe(1)
        }, round === settings.raceRounds - 1)
      }
    },
    settings.testTimeoutMs,
  )

  it(
    'lists a referrer exactly when its manifest is served, whatever a racing DELETE and re-PUT of it did',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/race-referrers'
      const subject = makeImage('subject', [10])
      await pushBlobs(a.url, repository, subject)
      expect(await send(a.url, 'PUT', `/v2/${repository}/manifests/s`, subject.manifest)).toBe(201)
      const config = subject.blobs[0]!
      const referrer = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.example.sig',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Of(config), size: config.length },
          layers: [],
          subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.manifest.length },
        }),
      )
      const referrerDigest = sha256Of(referrer)
      for (let round = 0; round < settings.raceRounds; round++) {
        const [deleter, putter] = round % 2 === 0 ? [a, b] : [b, a]
        expect(await send(putter.url, 'PUT', `/v2/${repository}/manifests/${referrerDigest}`, referrer)).toBe(201)
        const [deleted, put] = await Promise.all([
          send(deleter.url, 'DELETE', `/v2/${repository}/manifests/${referrerDigest}`),
          send(putter.url, 'PUT', `/v2/${repository}/manifests/${referrerDigest}`, referrer),
        ])
        expect(put).toBe(201)
        expect([202, 404]).toContain(deleted)
        await withFreshProcess(async (fresh) => {
          for (const p of [a, b, fresh]) {
            const listed = ((await (await fetch(`${p.url}/v2/${repository}/referrers/${subject.digest}`)).json()) as { manifests: { digest: string }[] }).manifests
            const served = await send(p.url, 'HEAD', `/v2/${repository}/manifests/${referrerDigest}`)
            expect({ listed: listed.some((m) => m.digest === referrerDigest), served }).toEqual(
              served === 200 ? { listed: true, served: 200 } : { listed: false, served: 404 },
            )
          }
        }, round === settings.raceRounds - 1)
      }
    },
    settings.testTimeoutMs,
  )

  it(
    'answers a manifest PUT racing the DELETE of one of its blobs with 201 or MANIFEST_BLOB_UNKNOWN, never 500',
    async () => {
      const { a, b } = pair()
      const repository = 'shared/race-blob-delete'
      for (let round = 0; round < settings.raceRounds; round++) {
        const [deleter, putter] = round % 2 === 0 ? [a, b] : [b, a]
        const image = makeImage(`blob-delete-${round}`, [10])
        await pushBlobs(a.url, repository, image)
        const layer = sha256Of(image.blobs[1]!)
        const [deleted, put] = await Promise.all([
          send(deleter.url, 'DELETE', `/v2/${repository}/blobs/${layer}`),
          send(putter.url, 'PUT', `/v2/${repository}/manifests/${image.digest}`, image.manifest),
        ])
        expect(deleted).toBe(202)
        expect([201, 400]).toContain(put)
        // A refused PUT left nothing behind.
        if (put === 400) for (const p of [a, b]) expect(await send(p.url, 'HEAD', `/v2/${repository}/manifests/${image.digest}`)).toBe(404)
      }
    },
    settings.testTimeoutMs,
  )
}

/**
 * Registers the test where a process dies by SIGKILL in the middle of pushes and deletes. The
 * invariant: afterwards, a new process serves every push that was acknowledged and never targeted by
 * a delete, and every tag it lists resolves to a manifest it serves (nothing half-written shows).
 */
export function killedWriterTest(pair: () => ScaleOutPair, settings: ScaleOutSuiteSettings, start: () => Promise<ScaleOutProcess>): void {
  it(
    'leaves no half-written manifest or tag visible when a process is killed with SIGKILL amid pushes and deletes',
    async () => {
      const { a } = pair()
      const repository = 'shared/killed-writer'
      const images = Array.from({ length: 24 }, (_, i) => makeImage(`killed-${i}`, [10]))
      for (const image of images) await pushBlobs(a.url, repository, image)
      const victim = await start()
      // Kill after a random number of answers, so the kill lands at a different point each run.
      const killAfter = 4 + Math.floor(Math.random() * 16)
      let answered = 0
      let killing: Promise<void> | undefined
      const acknowledged = new Set<number>()
      const deleted = new Set<number>()
      const counted = async (status: Promise<number>) => {
        const result = await status.catch(() => 0)
        if (++answered === killAfter) killing = victim.stop('SIGKILL')
        return result
      }
      await Promise.all(
        images.map(async (image, i) => {
          const put = await counted(send(victim.url, 'PUT', `/v2/${repository}/manifests/t${i}`, image.manifest))
          if (put === 201) acknowledged.add(i)
          // Every third image is also deleted at once, while the others are still being pushed.
          if (i % 3 === 0 && put === 201) {
            deleted.add(i)
            await counted(send(victim.url, 'DELETE', `/v2/${repository}/manifests/${image.digest}`))
          }
        }),
      )
      await (killing ?? victim.stop('SIGKILL'))
      const fresh = await start()
      try {
        const list = await fetch(`${fresh.url}/v2/${repository}/tags/list`)
        const tags = list.status === 200 ? ((await list.json()) as { tags: string[] }).tags : []
        for (const tag of tags) {
          const image = images[Number(tag.slice(1))]!
          expect(await see(fresh.url, repository, tag, image.digest)).toEqual({ byTag: 200, tagDigest: image.digest, byDigest: 200, listed: true })
        }
        for (const i of acknowledged) {
          if (deleted.has(i)) continue
          expect(await see(fresh.url, repository, `t${i}`, images[i]!.digest)).toEqual({ byTag: 200, tagDigest: images[i]!.digest, byDigest: 200, listed: true })
        }
      } finally {
        await fresh.stop()
      }
    },
    settings.testTimeoutMs,
  )
}
