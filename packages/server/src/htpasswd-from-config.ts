import { resolve } from 'node:path'
import type { HtpasswdAuth } from '@wharf/auth'
import type { Logger } from 'pino'
import { ConfigError } from './config/config-error.js'
import type { HtpasswdConfig } from './config/config-types.js'

/** Where `createHtpasswdFromConfig` reports what it finds in the file. */
export interface HtpasswdReporting {
  /** Receives the warnings found at start (the server logs them once it starts). */
  warnings: string[]
  /** The logger for what is found later, when the file changes; called only then. */
  logger(): Logger
}

/**
 * The auth hooks of `auth.htpasswd`. A line whose user cannot log in (not bcrypt, malformed) is a
 * warning naming the line and user, never the hash: at start it joins `reporting.warnings`, after a
 * change of the file it is logged at once. With `strict`, such a line at start stops the start.
 *
 * A missing (or unreadable) file stops the start with a ConfigError. registry:2 instead creates
 * the file with a user `docker` and a random password that it writes to its log; wharf does not,
 * because a wrong path would then start a registry nobody configured users for, with a live
 * password in the log (often shipped to places with wider access than the registry itself).
 */
export async function createHtpasswdFromConfig(config: HtpasswdConfig, reporting: HtpasswdReporting): Promise<HtpasswdAuth> {
  const { createHtpasswdAuth } = await import('@wharf/auth')
  const path = resolve(config.path)
  let started = false
  try {
    const auth = createHtpasswdAuth({
      path,
      realm: config.realm,
      strict: config.strict ?? false,
      onWarning: ({ message, line, user }) => {
        if (started) reporting.logger().warn({ line, user }, message)
        else reporting.warnings.push(message)
      },
      onReloadError: (error) => reporting.logger().warn(error.message),
    })
    started = true
    return auth
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new ConfigError(
        `auth.htpasswd.path: ${path} does not exist; create it with \`htpasswd -Bc ${path} <user>\` (wharf does not provision a default user as registry:2 does)`,
      )
    }
    throw new ConfigError(`auth.htpasswd.path: ${error instanceof Error ? error.message : String(error)}`)
  }
}
