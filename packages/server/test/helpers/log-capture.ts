import type { DestinationStream } from 'pino'

/** A log destination that keeps every line, parsed when it is JSON. */
export interface LogCapture extends DestinationStream {
  lines: string[]
  /** The JSON lines as objects. */
  entries(): Record<string, unknown>[]
  /** Entries whose `msg` contains `text`. */
  find(text: string): Record<string, unknown>[]
}

export function createLogCapture(): LogCapture {
  const lines: string[] = []
  const entries = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>]
      } catch {
        return []
      }
    })
  return {
    lines,
    write(line: string) {
      lines.push(line)
    },
    entries,
    find: (text) => entries().filter((entry) => typeof entry['msg'] === 'string' && entry['msg'].includes(text)),
  }
}
