/**
 * `@wharf/testing/registry`: an in-process registry for tests and the image helpers, without vitest
 * (usable from node:test, jest or mocha as well).
 */
export { startTestRegistry, type TestRegistry, type TestRegistryOptions } from './start-test-registry.js'
export { pushImage, imageExists, resolveImage, deleteImage, type PushedImage } from './image-client.js'
export { makeTinyImage, writeOciLayout, type TinyImage, type TinyImageOptions } from './tiny-image.js'
