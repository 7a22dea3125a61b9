/** What every part of the fs driver needs to know: where the store lives and how locks behave. */
export interface FsContext {
  /** Absolute path of the store's root directory. */
  readonly root: string
  /** The file of object `key` below `root`; throws `invalid` for a key that could escape it (see `key-paths.ts`). */
  readonly objectPath: (key: string) => string
  readonly lock: { readonly staleMs: number; readonly timeoutMs: number }
  /** `stat` runs on the calling thread (see `FsDriverOptions.syncStat`). */
  readonly syncStat: boolean
}
