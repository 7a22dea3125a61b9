import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob'
import { isDriverError, type StorageDriver } from '@wharf/core'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions, sdkService } from './connection.js'

const text = (s: string) => new TextEncoder().encode(s)
const decode = (b: Uint8Array) => new TextDecoder().decode(b)
const isUnavailable = (pattern: RegExp) => (e: unknown) => isDriverError(e, 'unavailable') && pattern.test(e.message)

async function* once(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data
}

describe('credentials, containers and SAS URLs', () => {
  const container = freshContainer('creds')
  let driver: StorageDriver

  beforeAll(async () => {
    driver = createAzureDriver(keyOptions(container, { redirect: true }))
    await driver.put('hello', text('hello'))
  })
  afterAll(async () => {
    await sdkService().getContainerClient(container).deleteIfExists()
  })

  it('reports a wrong account key as an unavailable DriverError on every operation, never a crash', async () => {
    const wrong = createAzureDriver(
      keyOptions(container, { accountKey: Buffer.from('not the key').toString('base64'), createContainer: false }),
    )
    const refused = isUnavailable(/refused the credentials \(403/)
    await expect(wrong.get('hello')).rejects.toSatisfy(refused)
    await expect(wrong.stat('hello')).rejects.toSatisfy(refused)
    await expect(wrong.read('hello')).rejects.toSatisfy(refused)
    await expect(wrong.put('other', text('x'))).rejects.toSatisfy(refused)
    await expect(wrong.list('')).rejects.toSatisfy(refused)
    await expect(wrong.delete('hello')).rejects.toSatisfy(refused)
    await expect(wrong.deletePrefix('data/')).rejects.toSatisfy(refused)
    const state = await wrong.startWrite('data/x')
    await expect(wrong.appendWrite(state, once(text('abc')))).rejects.toSatisfy(refused)
    await expect(wrong.finishWrite(state)).rejects.toSatisfy(refused)
    // Nothing was changed by the refused calls.
    expect(decode((await driver.get('hello')).body)).toBe('hello')
  })

  it('reports an unreachable endpoint as unavailable', async () => {
    const nowhere = createAzureDriver(
      keyOptions(container, { endpoint: 'http://127.0.0.1:9/devstoreaccount1', maxRetries: 0, createContainer: false }),
    )
    await expect(nowhere.get('hello')).rejects.toSatisfy(isUnavailable(/ECONNREFUSED/))
  })

  it('creates a missing container when asked to, and reports it as misconfiguration otherwise', async () => {
    const name = freshContainer('created')
    const strict = createAzureDriver(keyOptions(name, { createContainer: false }))
    await expect(strict.put('k', text('v'))).rejects.toSatisfy(isUnavailable(/container does not exist/))
    await expect(strict.stat('k')).rejects.toSatisfy(isUnavailable(/container does not exist/))

    const creating = createAzureDriver(keyOptions(name, { createContainer: true }))
    await creating.put('k', text('v'))
    expect(await sdkService().getContainerClient(name).exists()).toBe(true)
    expect(decode((await strict.get('k')).body)).toBe('v')
    await sdkService().getContainerClient(name).delete()
  })

  it('presigns a read-only URL for one blob that works without credentials and expires', async () => {
    expect(driver.capabilities.redirect).toBe(true)
    const url = await driver.presignGet!('hello', 60)
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hello')
    // The signature covers this blob only, and reading only.
    await driver.put('secret', text('secret'))
    const elsewhere = url.replace('/hello?', '/secret?')
    expect((await fetch(elsewhere)).status).toBe(403)
    expect((await fetch(url, { method: 'PUT', body: 'x', headers: { 'x-ms-blob-type': 'BlockBlob' } })).status).toBe(403)

    const short = await driver.presignGet!('hello', 1)
    await new Promise((r) => setTimeout(r, 2_200))
    expect((await fetch(short)).status).toBe(403)
  })

  it('works with a SAS token, without offering redirects (no key to sign with)', async () => {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        permissions: ContainerSASPermissions.parse('racwdl'),
        expiresOn: new Date(Date.now() + 10 * 60_000),
      },
      new StorageSharedKeyCredential(inject('azureAccountName'), inject('azureAccountKey')),
    ).toString()
    const viaSas = createAzureDriver({ container, endpoint: inject('azureEndpoint'), sasToken: `?${sas}`, redirect: true })
    expect(viaSas.capabilities.redirect).toBe(false)
    expect(viaSas.presignGet).toBeUndefined()
    await viaSas.put('sas/one', text('1'), { ifNoneMatch: '*' })
    let state = await viaSas.startWrite('sas/two')
    state = await viaSas.appendWrite(state, once(text('22')))
    await viaSas.finishWrite(state)
    expect((await viaSas.list('sas/')).keys).toEqual(['sas/one', 'sas/two'])
    await viaSas.deletePrefix('sas/')
    expect((await driver.list('sas/')).keys).toEqual([])
  })

  it('works with a connection string, which carries the key for presigning', async () => {
    const connectionString =
      `DefaultEndpointsProtocol=http;AccountName=${inject('azureAccountName')};` +
      `AccountKey=${inject('azureAccountKey')};BlobEndpoint=${inject('azureEndpoint')};`
    const viaString = createAzureDriver({ container, connectionString, redirect: true })
    expect(decode((await viaString.get('hello')).body)).toBe('hello')
    const res = await fetch(await viaString.presignGet!('hello', 60))
    expect(await res.text()).toBe('hello')
  })

  it('refuses ambiguous or missing credentials when created', () => {
    expect(() => createAzureDriver({ container, endpoint: inject('azureEndpoint') })).toThrow(TypeError)
    expect(() =>
      createAzureDriver({ container, endpoint: inject('azureEndpoint'), accountKey: 'a2V5', sasToken: 'sv=1' }),
    ).toThrow(TypeError)
    expect(() => createAzureDriver(keyOptions(container, { blockSize: 0 }))).toThrow(TypeError)
  })
})
