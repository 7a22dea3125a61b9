import type { ConfigReader } from './config-reader.js'

/**
 * `storage.maintenance.garbagecollect` (wharf only; registry:2 has no scheduled collection, only its
 * offline `registry garbage-collect`): core's online collection run periodically by the server.
 * Several instances on one storage may each run it: the collector is safe against concurrent
 * collections as well as against pushes and deletes.
 */
export interface GarbageCollectConfig {
  /** Default false. Off in read-only mode (it writes). */
  enabled: boolean
  /** Time between collections. Default 24h; the first comes after a random delay of at most a minute. */
  interval: number
  /** What was written within this time is kept. Default 1h (core's online default); 0 is only safe with no writers. */
  grace: number
  /** Also remove manifests that no tag reaches (`registry garbage-collect -m`). Default false. */
  deleteuntagged: boolean
  /** Only log what would be removed. Default false. */
  dryrun: boolean
}

/** Reads `storage.maintenance.garbagecollect.{enabled, interval, grace, deleteuntagged, dryrun}`. */
export function readGarbageCollect(r: ConfigReader): GarbageCollectConfig {
  const p = 'storage.maintenance.garbagecollect'
  return {
    enabled: r.boolean(`${p}.enabled`) ?? false,
    // A floor, as for upload purging: an interval of 0 would collect in a busy loop.
    interval: r.duration(`${p}.interval`, { min: 100 }) ?? 24 * 3_600_000,
    grace: r.duration(`${p}.grace`) ?? 3_600_000,
    deleteuntagged: r.boolean(`${p}.deleteuntagged`) ?? false,
    dryrun: r.boolean(`${p}.dryrun`) ?? false,
  }
}
