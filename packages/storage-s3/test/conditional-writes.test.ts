import { isDriverError } from '@wharf/core'
import { expect, it } from 'vitest'
import { createS3Driver } from '../src/index.js'
import { testDriverOptions, uniquePrefix } from './support/s3-server.js'

const text = (s: string) => new TextEncoder().encode(s)
const lost = (e: unknown) => isDriverError(e, 'precondition-failed')

it('keeps compare-and-swap working after a lost race, on a store that wants If-Match unquoted', async () => {
  // radosgw 16 refuses the quoted ETag; the driver learns that on the first swap. A real conflict
  // before that (stale ETag) must still be a conflict and must not confuse what it learns.
  const driver = createS3Driver(testDriverOptions())
  const key = `${uniquePrefix('cas')}/tag`
  const v1 = await driver.put(key, text('v1'))
  const v2 = await driver.put(key, text('v2'))
  await expect(driver.put(key, text('stale'), { ifMatch: v1.etag })).rejects.toSatisfy(lost)
  const v3 = await driver.put(key, text('v3'), { ifMatch: v2.etag })
  await expect(driver.put(key, text('stale'), { ifMatch: v2.etag })).rejects.toSatisfy(lost)
  await driver.put(key, text('v4'), { ifMatch: v3.etag })
  expect(new TextDecoder().decode((await driver.get(key)).body)).toBe('v4')
  await driver.close?.()
})

it('with conditionalWrites off, declares it and still refuses writes whose condition is visibly false', async () => {
  const driver = createS3Driver(testDriverOptions({ conditionalWrites: false }))
  expect(driver.capabilities.conditionalWrites).toBe(false)
  const key = `${uniquePrefix('no-conditions')}/tag`
  const first = await driver.put(key, text('one'), { ifNoneMatch: '*' })
  await expect(driver.put(key, text('two'), { ifNoneMatch: '*' })).rejects.toSatisfy(lost)
  const second = await driver.put(key, text('two'), { ifMatch: first.etag })
  await expect(driver.put(key, text('three'), { ifMatch: first.etag })).rejects.toSatisfy(lost)
  await expect(driver.put(`${key}-missing`, text('x'), { ifMatch: second.etag })).rejects.toSatisfy(lost)
  expect(new TextDecoder().decode((await driver.get(key)).body)).toBe('two')
  await driver.close?.()
})
