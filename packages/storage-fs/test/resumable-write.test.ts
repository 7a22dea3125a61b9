import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isDriverError } from '@wharf/core'
import { decode, readAll, text, useTempStore } from './helpers/temp-store.js'

const store = useTempStore()

describe('resumable writes', () => {
  it('rethrows the source’s own error unchanged, so the caller can tell a client failure from a disk failure', async () => {
    const driver = store.driver()
    const state = await driver.startWrite('resume/source-error')
    const failure = new Error('body too large')
    const source = (async function* () {
      yield new Uint8Array(3 * 1024 * 1024)
      throw failure
    })()
    await expect(driver.appendWrite(state, source)).rejects.toBe(failure)
    await driver.abortWrite(state)
  })

  it('copies chunks, so a source may reuse one buffer for every chunk, and memory stays bounded', async () => {
    const driver = store.driver()
    const total = 256 * 1024 * 1024
    const buffer = new Uint8Array(64 * 1024)
    const expected = createHash('sha256')
    async function* reusing() {
      for (let i = 0; i < total / buffer.length; i++) {
        buffer.fill(i % 251)
        expected.update(buffer)
        yield buffer
      }
    }
    const before = process.memoryUsage()
    let state = await driver.startWrite('resume/reused-buffer')
    state = await driver.appendWrite(state, reusing())
    const after = process.memoryUsage()
    expect(state.size).toBe(total)
    // Two 1 MiB batch buffers per append; nothing proportional to the 256 MiB written.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(32 * 1024 * 1024)
    await driver.finishWrite(state)
    const actual = createHash('sha256')
    for await (const chunk of (await driver.read('resume/reused-buffer')) as unknown as AsyncIterable<Uint8Array>) actual.update(chunk)
    expect(actual.digest('hex')).toBe(expected.digest('hex'))
  })

  it('finishes by renaming the staged file: the bytes are not copied and nothing is left in .writes', async () => {
    const driver = store.driver()
    let state = await driver.startWrite('resume/renamed')
    state = await driver.appendWrite(state, (async function* () {
      yield text('payload')
    })())
    const staged = join(store.root(), String(state['tempPath']))
    const { stat } = await import('node:fs/promises')
    const stagedInode = (await stat(staged)).ino
    await driver.finishWrite(state)
    expect((await stat(join(store.root(), 'resume', 'renamed,'))).ino).toBe(stagedInode)
    expect(await readdir(join(store.root(), '.writes'))).not.toContain(String(state['tempPath']).split('/')[1])
    expect(decode((await driver.get('resume/renamed')).body)).toBe('payload')
  })

  it('reports appends and finishes of an aborted write as not-found', async () => {
    const driver = store.driver()
    const state = await driver.startWrite('resume/aborted')
    await driver.abortWrite(state)
    const notFound = (e: unknown) => isDriverError(e, 'not-found')
    await expect(driver.appendWrite(state, (async function* () {
      yield text('late')
    })())).rejects.toSatisfy(notFound)
    await expect(driver.finishWrite(state)).rejects.toSatisfy(notFound)
    expect(await driver.stat('resume/aborted')).toBeUndefined()
  })

  it('refuses to append to or finish a state that claims more bytes than were staged', async () => {
    const driver = store.driver()
    let state = await driver.startWrite('resume/overclaim')
    state = await driver.appendWrite(state, (async function* () {
      yield text('abc')
    })())
    const invalid = (e: unknown) => isDriverError(e, 'invalid')
    await expect(driver.appendWrite({ ...state, size: 10 }, (async function* () {
      yield text('d')
    })())).rejects.toSatisfy(invalid)
    await expect(driver.finishWrite({ ...state, size: 10 })).rejects.toSatisfy(invalid)
    expect(await driver.stat('resume/overclaim')).toBeUndefined()
  })

  it('stops an append when its signal aborts, keeping the old state usable', async () => {
    const driver = store.driver()
    let state = await driver.startWrite('resume/aborting')
    state = await driver.appendWrite(state, (async function* () {
      yield text('kept:')
    })())
    const controller = new AbortController()
    async function* endless() {
      for (let i = 0; ; i++) {
        if (i === 10) controller.abort()
        yield new Uint8Array(64 * 1024).fill(1)
      }
    }
    await expect(driver.appendWrite(state, endless(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    state = await driver.appendWrite(state, (async function* () {
      yield text('done')
    })())
    await driver.finishWrite(state)
    expect((await readAll(await driver.read('resume/aborting'))).toString()).toBe('kept:done')
  })
})
