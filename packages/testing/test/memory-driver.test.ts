import { createMemoryDriver } from '@wharf/core'
import { describeDriverSuite } from '@wharf/testing'

describeDriverSuite('memory', () => createMemoryDriver())
