/**
 * The blob-upload requests of the distribution API against any registry process. They live with the
 * scale-out kit of @wharf/core/testing, which drives them across processes; re-exported here for the
 * interop and S3 tests that send them one by one.
 */
export * from '../../../../core/src/testing/scale-out/upload-client.js'
