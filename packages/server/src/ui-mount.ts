import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthHooks, Registry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import type { UiStatus } from '@wharf/ui'
import type { Logger } from 'pino'
import type { WharfConfig } from './config/config-types.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

/** The web UI mounted in the standalone server's listener. */
export interface UiMount {
  /** Serves `/ui…`, and redirects `/` to `/ui/`; whether it took the request. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean
  close(): void
}

/** Where `createUi` mounts by default; its `matches` takes this path and everything under it. */
const BASE_PATH = '/ui'

/** What the UI is told about maintenance: the configured upload purging and scheduled GC. */
function toStatus(config: WharfConfig, readOnly: boolean): UiStatus {
  const purging = config.storage.maintenance.uploadpurging
  // Read loosely: the GC schedule is a newer section of the configuration.
  const gc = (config.storage.maintenance as { garbagecollect?: { enabled: boolean; interval: number } }).garbagecollect
  return {
    uploadPurging: { enabled: purging.enabled && !readOnly, intervalMs: purging.interval, ageMs: purging.age },
    ...(gc ? { garbageCollection: { enabled: gc.enabled && !readOnly, intervalMs: gc.interval } } : {}),
  }
}

/**
 * The UI at `/ui/` on the registry's own origin (so the browser sends no CORS preflight and the
 * cookie stays first-party), with the registry's auth, delete and read-only settings. `undefined`
 * when `ui.enabled` is false.
 *
 * `@wharf/ui` (its code, and its assets read and gzipped) is loaded on the first UI request, not at
 * start: many registries never see a browser, and the idle RSS of the server counts (issue 16). The
 * last push and garbage collection are recorded from the start, so the home page shows the same as
 * if the UI had been listening all along.
 */
export function createUiMount(options: { registry: Registry; config: WharfConfig; auth?: AuthHooks; logger: Logger }): UiMount | undefined {
  const { registry, config, logger } = options
  if ((config as { ui?: { enabled: boolean } }).ui?.enabled === false) return undefined
  const readOnly = config.storage.maintenance.readonly.enabled
  const configured = toStatus(config, readOnly)
  // Recorded as @wharf/ui records them; once loaded, the UI's own (equal) values take precedence.
  let lastPush: string | undefined
  let lastGc: Record<string, unknown> | undefined
  const off = [
    registry.events.on('push', (event) => void (lastPush = event.timestamp.toISOString())),
    registry.events.on('gc', (event) => {
      const { dryRun, manifestsDeleted, blobsDeleted, bytesReclaimed, durationMs } = event.report
      lastGc = { lastRun: event.timestamp.toISOString(), dryRun, manifestsDeleted, blobsDeleted, bytesReclaimed, durationMs }
    }),
  ]
  const status = (): UiStatus => {
    const gc = lastGc ? { ...configured.garbageCollection, ...lastGc } : configured.garbageCollection
    return { ...configured, ...(gc ? { garbageCollection: gc as UiStatus['garbageCollection'] } : {}), ...(lastPush ? { lastPush } : {}) }
  }

  let closed = false
  let stopUi: (() => void) | undefined
  let loading: Promise<Listener> | undefined
  const load = async (): Promise<Listener> => {
    const { createUi } = await import('@wharf/ui')
    const ui = createUi({
      registry,
      ...(options.auth ? { auth: options.auth } : {}),
      basePath: BASE_PATH,
      deleteEnabled: config.storage.delete.enabled,
      readOnly,
      status,
    })
    if (closed) ui.close()
    else stopUi = () => ui.close()
    return toNodeListener(ui, { onError: (err) => logger.warn({ err }, 'UI response failed') })
  }
  return {
    serve(req, res, path) {
      if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(302, { Location: '/ui/', 'Content-Length': '0' }).end()
        return true
      }
      if (path !== BASE_PATH && !path.startsWith(`${BASE_PATH}/`)) return false
      loading ??= load()
      loading.then(
        (listener) => listener(req, res),
        (err: unknown) => {
          logger.error({ err }, 'UI could not be loaded')
          if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
          res.end('the web UI could not be loaded\n')
        },
      )
      return true
    },
    close() {
      closed = true
      off.forEach((stop) => stop())
      stopUi?.()
    },
  }
}
