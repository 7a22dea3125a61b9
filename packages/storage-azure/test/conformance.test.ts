import { describeDriverSuite } from '@wharf/testing'
import { createAzureDriver } from '../src/index.js'
import { freshContainer, keyOptions } from './connection.js'

describeDriverSuite('azure', () => createAzureDriver(keyOptions(freshContainer('conformance'), { redirect: true })))

// The same contract with every key under a folder of a shared container.
describeDriverSuite('azure under a prefix', () =>
  createAzureDriver(keyOptions(freshContainer('conformance-prefixed'), { prefix: 'tenant/registry' })),
)
