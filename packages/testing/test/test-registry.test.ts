import { access } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from '@wharf/testing/registry'

for (const storage of ['memory', 'temp-dir'] as const) {
  describe(`startTestRegistry on ${storage} storage`, () => {
    let registry: TestRegistry
    beforeAll(async () => {
      registry = await startTestRegistry({ storage })
    })
    afterAll(() => registry?.stop())

    it('listens on a real port and answers /v2/', async () => {
      expect(registry.hostAddress).toMatch(/^127\.0\.0\.1:\d+$/)
      expect((await fetch(`${registry.url}/v2/`)).status).toBe(200)
    })

    it('pushes a generated image, finds it by tag and digest, and deletes it', async () => {
      const pushed = await registry.pushImage('team/app:1.0')
      expect(await registry.imageExists('team/app:1.0')).toBe(true)
      expect(await registry.imageExists(`team/app@${pushed.digest}`)).toBe(true)
      expect(await registry.resolveImage('team/app:1.0')).toBe(pushed.digest)
      expect(await registry.deleteImage('team/app:1.0')).toBe(true)
      expect(await registry.imageExists('team/app:1.0')).toBe(false)
      expect(await registry.deleteImage('team/app:1.0')).toBe(false)
    })

    it('answers false for an image never pushed', async () => {
      expect(await registry.imageExists('nobody/here:latest')).toBe(false)
    })
  })
}

it('removes its temporary directory on stop', async () => {
  const registry = await startTestRegistry({ storage: 'temp-dir' })
  await registry.pushImage('app')
  await registry.stop()
  await expect(access(registry.directory!)).rejects.toThrow()
})
