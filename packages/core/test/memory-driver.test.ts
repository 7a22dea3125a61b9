import { createMemoryDriver } from '@wharf/core'
import { describeDriverSuite } from '@wharf/core/testing'

describeDriverSuite('memory', () => createMemoryDriver())
