import * as testing from '@wharf/testing'
import { expect, it } from 'vitest'

// The kit's surface is a contract for driver authors: a change here must be deliberate.
it('exports exactly the documented testing API', () => {
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "deleteImage",
      "describeDriverSuite",
      "describeRegistrySuite",
      "describeScaleOutSuite",
      "imageExists",
      "makeTinyImage",
      "pushImage",
      "resolveImage",
      "startChildRegistry",
      "startTestRegistry",
      "suiteHelpers",
      "uploadClient",
      "writeOciLayout",
    ]
  `)
})
