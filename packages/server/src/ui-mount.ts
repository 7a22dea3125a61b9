import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthHooks, Registry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import { createUi, type UiHandler, type UiStatus } from '@wharf/ui'
import type { Logger } from 'pino'
import type { WharfConfig } from './config/config-types.js'

/** The web UI mounted in the standalone server's listener. */
export interface UiMount {
  /** Serves `/ui…`, and redirects `/` to `/ui/`; whether it took the request. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean
  close(): void
}

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
 * Cheap until a browser comes: `createUi` reads and gzips its front end on first use (issue 16).
 */
export function createUiMount(options: { registry: Registry; config: WharfConfig; auth?: AuthHooks; logger: Logger }): UiMount | undefined {
  const { registry, config } = options
  if ((config as { ui?: { enabled: boolean } }).ui?.enabled === false) return undefined
  const readOnly = config.storage.maintenance.readonly.enabled
  const status = toStatus(config, readOnly)
  const ui: UiHandler = createUi({
    registry,
    ...(options.auth ? { auth: options.auth } : {}),
    deleteEnabled: config.storage.delete.enabled,
    readOnly,
    status: () => status,
  })
  const listener = toNodeListener(ui, { onError: (err) => options.logger.warn({ err }, 'UI response failed') })
  return {
    serve(req, res, path) {
      if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(302, { Location: '/ui/', 'Content-Length': '0' }).end()
        return true
      }
      if (!ui.matches(path)) return false
      listener(req, res)
      return true
    },
    close: () => ui.close(),
  }
}
