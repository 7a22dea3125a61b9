import { pino, type DestinationStream, type Logger } from 'pino'
import type { LogConfig } from '../config/config-types.js'
import { toLogfmt } from './logfmt.js'

/**
 * Keys never written, wherever they appear one level down: credentials a request or an error might
 * carry. The server never logs headers or query strings in the first place; this is the second lock.
 */
const REDACTED = ['authorization', 'password', 'secretkey', 'accountkey', 'sessiontoken', 'token'].flatMap((key) => [key, `*.${key}`, `*.headers.${key}`])

/**
 * The server's logger: pino at `log.level`, with `log.fields` on every line, ISO timestamps and
 * level names (`"level":"info"`). `json` writes pino's JSON lines (`time`, `msg`); `text` writes
 * logfmt lines like registry:2's text formatter; `logstash` writes JSON lines the way registry:2's
 * logstash formatter does (`@timestamp`, `"@version":"1"`, `message`). Writes are synchronous to
 * stdout unless `destination` is given, so nothing is lost when the process exits right after logging.
 */
export function createLogger(log: LogConfig, destination?: DestinationStream): Logger {
  const target = destination ?? pino.destination({ fd: 1, sync: true })
  const stream: DestinationStream = log.formatter === 'text' ? { write: (line: string) => target.write(toLogfmt(line)) } : target
  const logstash = log.formatter === 'logstash'
  return pino(
    {
      level: log.level,
      base: logstash ? { '@version': '1', ...log.fields } : { ...log.fields },
      ...(logstash ? { messageKey: 'message' } : {}),
      timestamp: logstash ? () => `,"@timestamp":"${new Date().toISOString()}"` : pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
      serializers: { err: toLoggedError },
    },
    stream,
  )
}

/**
 * An error as logged: its name, message, driver error kind and the chain of causes' messages. Not
 * pino's default serializer, which copies every enumerable property: SDK errors carry request and
 * response objects (with signed headers) that must not reach the log.
 */
export function toLoggedError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : { message: String(error) }
  const logged: Record<string, unknown> = { type: error.name, message: error.message }
  const kind = (error as { kind?: unknown }).kind
  if (typeof kind === 'string') logged['kind'] = kind
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') logged['code'] = code
  const causes: string[] = []
  let cause = error.cause
  while (cause !== undefined && causes.length < 5) {
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))
    cause = cause instanceof Error ? cause.cause : undefined
  }
  if (causes.length > 0) logged['cause'] = causes.join(' <- ')
  if (error.stack) logged['stack'] = error.stack
  return logged
}
