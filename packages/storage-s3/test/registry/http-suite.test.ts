import { describeRegistrySuite } from '@wharf/testing'
import { startS3Registry } from './support/registry-on-s3.js'

// The whole /v2 API and its error paths, with every object on radosgw and every request over a real
// port: what a client of a registry deployed on S3 sees.
describeRegistrySuite('S3 (radosgw) behind node:http', async ({ deleteEnabled }) => {
  const started = await startS3Registry({
    name: 'http-suite',
    registry: deleteEnabled === undefined ? {} : { deleteEnabled },
  })
  return {
    fetch: (path, init) => fetch(`${started.url}${path}`, init),
    close: () => started.close(),
  }
})
