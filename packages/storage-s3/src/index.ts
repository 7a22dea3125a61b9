export { createS3Driver } from './s3-driver.js'
export type { S3DriverOptions } from './s3-driver-options.js'
export type { S3WriteState, PartRecord, TailRecord } from './write-state.js'
export { planPartSize, minEndingPartSize, guaranteedCapacity, MIN_PART_SIZE, MAX_PART_SIZE, MAX_PARTS, DEFAULT_PART_SIZE } from './part-plan.js'
