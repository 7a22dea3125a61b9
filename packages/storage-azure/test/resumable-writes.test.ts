import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContainerClient } from '@azure/storage-blob'
import { isDriverError, type StorageDriver, type WriteState } from '@wharf/core'
import { createAzureDriver, toBlockId } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'

const text = (s: string) => new TextEncoder().encode(s)
const json = (state: WriteState): WriteState => JSON.parse(JSON.stringify(state)) as WriteState

async function* chunks(data: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(at + size, data.length))
}

async function readAll(driver: StorageDriver, key: string): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const part of (await driver.read(key)) as unknown as AsyncIterable<Uint8Array>) parts.push(part)
  return Buffer.concat(parts)
}

describe('resumable writes on staged blocks', () => {
  const container = freshContainer('writes')
  const blockSize = 64 * 1024
  let driver: StorageDriver
  let raw: ContainerClient

  beforeAll(async () => {
    driver = createAzureDriver(keyOptions(container, { blockSize }))
    raw = sdkService().getContainerClient(container)
    await driver.put('warm-up', text('x'))
  })
  afterAll(async () => {
    await raw.deleteIfExists()
  })

  it('gives every block id of a write the same length, whatever the index', async () => {
    expect(toBlockId('0123456789abcdef', 0)).toHaveLength(32)
    expect(toBlockId('0123456789abcdef', 49_999)).toHaveLength(32)

    const key = 'data/fixed-width'
    let state = await driver.startWrite(key)
    // Appends of 1 byte, of less than a block, and of many blocks (split at blockSize).
    for (const size of [1, 1000, blockSize * 3 + 17, blockSize]) {
      state = await driver.appendWrite(json(state), chunks(randomBytes(size), 10_000))
    }
    const staged = await raw.getBlockBlobClient(key).getBlockList('uncommitted')
    const ids = staged.uncommittedBlocks?.map((b) => b.name) ?? []
    expect(ids).toHaveLength(1 + 1 + 4 + 1)
    expect(new Set(ids.map((id) => id.length))).toEqual(new Set([32]))
    // Memory per append is one block: no staged block is larger than blockSize.
    expect(Math.max(...(staged.uncommittedBlocks ?? []).map((b) => b.size))).toBe(blockSize)

    await driver.finishWrite(json(state))
    const committed = await raw.getBlockBlobClient(key).getBlockList('committed')
    // Committed in the order the state lists them, which is the order the bytes arrived.
    const appends = (state as unknown as { appends: { id: string; blocks: number }[] }).appends
    const expected = appends.flatMap((a) => Array.from({ length: a.blocks }, (_, i) => toBlockId(a.id, i)))
    expect(committed.committedBlocks?.map((b) => b.name)).toEqual(expected)
    expect(new Set(expected)).toEqual(new Set(ids))
    expect((await driver.stat(key))?.size).toBe(1 + 1000 + blockSize * 4 + 17)
  })

  it('is continued and finished by another driver instance given only the JSON state', async () => {
    const key = 'data/two-processes'
    const first = randomBytes(blockSize + 5)
    const second = randomBytes(2 * blockSize + 9)
    const a = createAzureDriver(keyOptions(container, { blockSize }))
    const b = createAzureDriver(keyOptions(container, { blockSize }))
    const started = JSON.stringify(await a.startWrite(key))
    const afterA = JSON.stringify(await a.appendWrite(JSON.parse(started) as WriteState, chunks(first, 4096)))
    const afterB = await b.appendWrite(JSON.parse(afterA) as WriteState, chunks(second, 70_000))
    expect(await a.stat(key)).toBeUndefined()
    await b.finishWrite(json(afterB))
    expect((await readAll(a, key)).equals(Buffer.concat([first, second]))).toBe(true)
  })

  it('commits only the acknowledged state when an append is replayed from an older state', async () => {
    const key = 'data/replayed'
    let state = await driver.startWrite(key)
    state = await driver.appendWrite(json(state), chunks(text('head:'), 2))
    const acknowledged = JSON.stringify(state)
    // A process stages two blocks' worth and dies before its state is recorded.
    await driver.appendWrite(JSON.parse(acknowledged) as WriteState, chunks(randomBytes(blockSize + 1), 8192))
    state = await driver.appendWrite(JSON.parse(acknowledged) as WriteState, chunks(text('tail'), 4))
    await driver.finishWrite(json(state))
    expect((await readAll(driver, key)).toString()).toBe('head:tail')
    const list = await raw.getBlockBlobClient(key).getBlockList('all')
    expect(list.committedBlocks).toHaveLength(2)
    // Committing discarded the abandoned blocks instead of keeping them around for 7 days.
    expect(list.uncommittedBlocks ?? []).toHaveLength(0)
  })

  it('drops the staged blocks on abort, and leaves a blob that was already committed alone', async () => {
    const key = 'data/aborted'
    let state = await driver.startWrite(key)
    state = await driver.appendWrite(json(state), chunks(randomBytes(3 * blockSize), blockSize))
    expect((await raw.getBlockBlobClient(key).getBlockList('uncommitted')).uncommittedBlocks).toHaveLength(3)
    await driver.abortWrite(json(state))
    await expect(raw.getBlockBlobClient(key).getBlockList('all')).rejects.toMatchObject({ statusCode: 404 })
    expect(await driver.stat(key)).toBeUndefined()
    await expect(driver.finishWrite(json(state))).rejects.toSatisfy((e: unknown) => isDriverError(e, 'not-found'))

    const done = 'data/finished-then-aborted'
    let other = await driver.startWrite(done)
    other = await driver.appendWrite(json(other), chunks(text('kept'), 4))
    await driver.finishWrite(json(other))
    await driver.abortWrite(json(other))
    expect((await readAll(driver, done)).toString()).toBe('kept')
  })

  it('refuses an append that would pass 50,000 blocks, before staging anything', async () => {
    const full = { key: 'data/full', size: 50_000 * blockSize, appends: [{ id: 'ffffffffffffffff', blocks: 50_000 }] }
    await expect(driver.appendWrite(full, chunks(text('x'), 1))).rejects.toSatisfy((e: unknown) => isDriverError(e, 'invalid'))
    await expect(raw.getBlockBlobClient('data/full').getBlockList('all')).rejects.toMatchObject({ statusCode: 404 })
  })

  it('rejects a state it did not produce as invalid', async () => {
    const forged = { key: 'data/forged', size: 3, blocks: ['QUFB'] }
    await expect(driver.appendWrite(forged, chunks(text('x'), 1))).rejects.toSatisfy((e: unknown) => isDriverError(e, 'invalid'))
    await expect(driver.finishWrite({ key: 'data/forged', size: -1, appends: [] })).rejects.toSatisfy((e: unknown) =>
      isDriverError(e, 'invalid'),
    )
  })

  it('leaves the state unchanged for an append of no bytes', async () => {
    const state = await driver.startWrite('data/nothing')
    const after = await driver.appendWrite(json(state), chunks(new Uint8Array(0), 1))
    expect(after).toEqual(state)
  })
})
