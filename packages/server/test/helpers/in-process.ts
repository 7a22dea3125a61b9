import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig, startServer, toConfigDocument, toServerOptions, type RunningServer, type ServerOptions } from '@wharf/server'
import { createLogCapture, type LogCapture } from './log-capture.js'

/** A server started in this process from a YAML configuration, with its log captured. */
export interface TestServer {
  running: RunningServer
  url: string
  logs: LogCapture
  warnings: string[]
  close(drainTimeoutMs?: number): Promise<void>
}

/**
 * Starts `startServer` from registry:2 YAML (on an ephemeral loopback port unless the YAML sets
 * `http.addr`), optionally with environment overrides and a replacement for some server options.
 */
export async function startFromYaml(
  yaml: string,
  options: { env?: Record<string, string>; override?: (options: ServerOptions) => ServerOptions } = {},
): Promise<TestServer> {
  const document = toConfigDocument(yaml)
  const loaded = parseConfig(document, { env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', ...options.env } })
  const logs = createLogCapture()
  let serverOptions = await toServerOptions(loaded.config, { warnings: loaded.warnings, logDestination: logs })
  if (options.override) serverOptions = options.override(serverOptions)
  const running = await startServer(serverOptions)
  return {
    running,
    url: running.url,
    logs,
    warnings: loaded.warnings,
    close: (drainTimeoutMs = 2000) => running.close({ drainTimeoutMs }),
  }
}

/** A fresh temporary directory, removed by the returned function. */
export async function createTempDir(prefix = 'wharf-server-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}
