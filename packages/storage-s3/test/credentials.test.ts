import { expect, inject, it } from 'vitest'
import { createS3Driver } from '../src/index.js'
import { testDriverOptions, uniquePrefix } from './support/s3-server.js'

it('finds credentials through the SDK default chain (here: the environment) when none are given', async () => {
  const s3 = inject('s3')
  const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] }
  process.env['AWS_ACCESS_KEY_ID'] = s3.accessKeyId
  process.env['AWS_SECRET_ACCESS_KEY'] = s3.secretAccessKey
  try {
    const { credentials: _omitted, ...options } = testDriverOptions()
    const driver = createS3Driver(options)
    const key = `${uniquePrefix('chain')}/k`
    await driver.put(key, new TextEncoder().encode('from the environment'))
    expect(new TextDecoder().decode((await driver.get(key)).body)).toBe('from the environment')
    await driver.close?.()
  } finally {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
})
