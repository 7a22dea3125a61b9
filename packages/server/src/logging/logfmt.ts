/**
 * One pino JSON line as one logfmt line, the form of registry:2's `text` formatter:
 * `time="…" level=info msg="request" method=GET status=200`. Nested objects flatten to dotted keys;
 * values with spaces, quotes, `=` or control characters are quoted with JSON escapes, so a line never
 * spans two lines whatever a value holds. Lines that are not JSON pass through unchanged.
 */
export function toLogfmt(jsonLine: string): string {
  let entry: unknown
  try {
    entry = JSON.parse(jsonLine)
  } catch {
    return jsonLine
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return jsonLine
  const { time, level, msg, ...rest } = entry as Record<string, unknown>
  const pairs: string[] = []
  if (time !== undefined) pairs.push(`time=${toValue(time)}`)
  if (level !== undefined) pairs.push(`level=${toValue(level)}`)
  if (msg !== undefined) pairs.push(`msg=${toValue(msg)}`)
  flatten(rest, '', pairs)
  return `${pairs.join(' ')}\n`
}

function flatten(value: Record<string, unknown>, prefix: string, pairs: string[]): void {
  for (const [key, child] of Object.entries(value)) {
    const name = prefix + key.replace(/[\s="]/g, '_')
    if (typeof child === 'object' && child !== null && !Array.isArray(child)) flatten(child as Record<string, unknown>, `${name}.`, pairs)
    else pairs.push(`${name}=${toValue(child)}`)
  }
}

function toValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text !== '' && /^[^\s"=\\\u0000-\u001f\u007f]+$/.test(text) ? text : JSON.stringify(text)
}
