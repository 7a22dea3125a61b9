import { defineProject } from 'vitest/config'
import { wharfAliases } from '../../vitest.shared.js'

export default defineProject({
  resolve: { alias: wharfAliases },
  test: {
    name: 'storage-s3',
    include: ['test/**/*.test.ts'],
    // Starts Ceph radosgw (or uses WHARF_S3_ENDPOINT) once for all test files; see the file.
    globalSetup: ['test/global-setup.ts'],
    // The SDK warns on every Node below 22 (we support 20); the warning is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
