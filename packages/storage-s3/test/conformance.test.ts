import { describeDriverSuite } from '@wharf/testing'
import { createS3Driver } from '../src/index.js'
import { testDriverOptions } from './support/s3-server.js'

describeDriverSuite('s3 on radosgw', () => createS3Driver(testDriverOptions({ redirect: true })), {
  teardown: (driver) => driver.close?.(),
})

describeDriverSuite('s3 on radosgw, keys under a prefix', () => createS3Driver(testDriverOptions({ prefix: 'nested/registry' })), {
  teardown: (driver) => driver.close?.(),
})
