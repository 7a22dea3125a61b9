/**
 * Upload leases: one writing request per session at a time, across every process sharing the storage.
 *
 * THE RULE. A request that writes bytes takes the lease by compare-and-swap on the session record,
 * recording a random owner id, the holder ({@link LeaseHolder}: host, PID, process start time, realm)
 * and `until` (epoch ms, `now + leaseMs`). A lease found on the record blocks a new request (416,
 * "another request is writing to this upload") unless its holder is provably not writing:
 *
 * 1. its `until` has passed; or
 * 2. its holder process is gone: same host and PID namespace, and no process has its PID, or the
 *    process with that PID started at another time (a reused PID). A process killed with `kill -9`
 *    is therefore taken over at once by a process restarted on the same host. A PID that exists and
 *    cannot be told apart (no `/proc`) counts as alive; so does any holder on another host; or
 * 3. its holder is this very realm and no request of this realm holds it any more (its release
 *    failed); or a request of this realm holds it but its body already failed (the client went
 *    away): the new request then waits for that one to stop writing and release, and tries again.
 *
 * Taking over is the same compare-and-swap against the record as it was read, so of two requests
 * taking over one lease only one wins, and a holder that renewed in between keeps it.
 *
 * WHY TWO LIVE WRITERS NEVER INTERLEAVE. Rules 2 and 3 only ever apply to holders that cannot write.
 * For rule 1, the holder renews every `leaseMs / 4` and stops writing on its own before `until` can
 * pass: its {@link HeldLease.signal} aborts `leaseMs / 4` before the `until` of its last successful
 * renewal (measured on its own monotonic clock from before that renewal was sent), or at once when a
 * renewal finds the record changed (taken over, cancelled, purged). The abort fails the pending body
 * read and the driver's append, which settles its in-flight writes before it rejects. The margin
 * absorbs that settling and clock skew between hosts; a holder stalled longer than the margin inside
 * one driver write (or hosts whose clocks differ by more) is the limit of rule 1. Whatever happens,
 * a holder that lost its lease cannot record its bytes: its release is a compare-and-swap that fails.
 */
import { randomUUID } from 'node:crypto'
import { RegistryError } from '../errors/registry-error.js'
import type { Versioned } from '../stores/json-objects.js'
import { judgeHolder, thisHolder } from './lease-holder.js'
import { findLocalLease, registerLocalLease } from './local-leases.js'
import type { UploadStore } from './upload-store.js'
import { toRangeHeader, type UploadRecord } from './upload-state.js'

/** A held lease on an upload session: renewed in the background until released. */
export interface HeldLease {
  readonly record: UploadRecord
  /**
   * Aborts (with a 416 RegistryError) once this request must write nothing more: the lease was lost,
   * or it could not be renewed in time. Pass it to every driver write made under the lease.
   */
  readonly signal: AbortSignal
  /** Records that the request's body failed, so a new request of this realm waits rather than fail. */
  bodyFailed(): void
  /** Throws the signal's reason when the lease is no longer safe to write under. */
  assertHeld(): void
  /** Writes `next` (without the lease) by compare-and-swap and stops renewing. */
  release(next: UploadRecord): Promise<Versioned<UploadRecord>>
  /** Stops renewing without writing anything else. */
  stop(): Promise<void>
}

const conflict = (record: UploadRecord) =>
  new RegistryError('BLOB_UPLOAD_INVALID', {
    status: 416,
    message: 'another request is writing to this upload',
    headers: { Range: toRangeHeader(record.size) },
  })

/**
 * Whether the lease on `record` lets a new request take the session now (`free`), never until it
 * expires (`blocked`), or once a dying request of this realm has settled (a promise to await).
 */
function leaseVerdict(record: UploadRecord, now: number): 'free' | 'blocked' | Promise<void> {
  const lease = record.lease
  if (lease === undefined || lease.until <= now) return 'free'
  const liveness = judgeHolder(lease.holder)
  if (liveness === 'gone') return 'free'
  if (liveness === 'unknown') return 'blocked'
  const local = findLocalLease(lease.owner)
  if (local === undefined) return 'free'
  return local.dying ? local.settled : 'blocked'
}

/**
 * Takes the lease on a loaded session record so this request alone writes to it, following the rule
 * above. A session leased by another live request answers 416 with the current Range, as a chunk that
 * cannot be accepted now; so does one whose size changed while this request waited.
 */
export async function acquireLease(store: UploadStore, loaded: Versioned<UploadRecord>, leaseMs: number): Promise<HeldLease> {
  let current = loaded
  for (;;) {
    const verdict = leaseVerdict(current.value, Date.now())
    if (verdict === 'blocked') throw conflict(current.value)
    if (verdict === 'free') break
    await verdict
    const reloaded = await store.load(current.value.id)
    if (!reloaded || reloaded.value.repository !== loaded.value.repository) throw new RegistryError('BLOB_UPLOAD_UNKNOWN')
    if (reloaded.value.size !== loaded.value.size) throw conflict(reloaded.value)
    current = reloaded
  }

  const owner = randomUUID()
  const holder = thisHolder()
  const local = registerLocalLease(owner)
  const controller = new AbortController()
  const lose = (message: string) => {
    if (!controller.signal.aborted) controller.abort(new RegistryError('BLOB_UPLOAD_INVALID', { status: 416, message }))
  }
  let deadline: NodeJS.Timeout | undefined
  /** Arms the self-abort `leaseMs / 4` before the `until` a save sent at `sentAt` recorded. */
  const armDeadline = (sentAt: number) => {
    clearTimeout(deadline)
    const left = sentAt + leaseMs - Math.floor(leaseMs / 4) - performance.now()
    deadline = setTimeout(() => lose('the lease on this upload could not be renewed in time'), Math.max(0, left))
    deadline.unref?.()
  }

  const { lease: _previous, ...base } = current.value
  let sentAt = performance.now()
  let record: UploadRecord = { ...base, lease: { owner, until: Date.now() + leaseMs, holder } }
  const taken = await store.save(record, current.etag).catch((error: unknown) => {
    local.settle()
    throw error
  })
  if (!taken) {
    local.settle()
    throw conflict(current.value)
  }
  armDeadline(sentAt)
  let etag = taken.etag
  let chain: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    chain = chain.then(async () => {
      if (controller.signal.aborted) return
      sentAt = performance.now()
      const renewed: UploadRecord = { ...record, lease: { owner, until: Date.now() + leaseMs, holder } }
      const saved = await store.save(renewed, etag).then(
        (result) => result ?? ('changed' as const),
        () => undefined, // A storage failure: keep writing while the last renewal is still safe.
      )
      if (saved === 'changed') return lose('the upload was changed by another request')
      if (saved) {
        etag = saved.etag
        record = renewed
        armDeadline(sentAt)
      }
    })
  }, Math.max(25, Math.floor(leaseMs / 4)))
  timer.unref?.()

  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      clearInterval(timer)
      await chain
      clearTimeout(deadline)
    })()
    return stopped
  }
  return {
    get record() {
      return record
    },
    signal: controller.signal,
    bodyFailed: local.markDying,
    assertHeld() {
      controller.signal.throwIfAborted()
    },
    async release(next) {
      try {
        await stop()
        const { lease: _dropped, ...rest } = next
        const saved = await store.save(rest, etag)
        if (!saved) {
          throw new RegistryError('BLOB_UPLOAD_INVALID', { status: 416, message: 'the upload was changed by another request' })
        }
        return saved
      } finally {
        local.settle()
      }
    },
    async stop() {
      await stop()
      local.settle()
    },
  }
}
