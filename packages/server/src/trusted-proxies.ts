import { BlockList, isIP } from 'node:net'
import type { IncomingMessage } from 'node:http'

/**
 * The proxies whose `X-Forwarded-For` and `X-Request-Id` the server believes (`http.trustedproxies`:
 * addresses and CIDR ranges). A request from any other address keeps its socket address and gets a
 * fresh request id, whatever headers it sends.
 */
export interface TrustedProxies {
  /** Whether `address` (as the socket reports it) is one of the trusted proxies. */
  trusts(address: string | undefined): boolean
}

/** Builds {@link TrustedProxies} from entries such as `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8`. Throws on a malformed entry. */
export function createTrustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/')
    const family = isIP(address)
    if (family === 0) throw new Error(`not an IP address or CIDR range: ${entry}`)
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else {
      const prefix = Number(bits)
      if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) throw new Error(`not an IP address or CIDR range: ${entry}`)
      list.addSubnet(address, prefix, type)
    }
  }
  return {
    trusts(address) {
      if (!address || entries.length === 0) return false
      const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
      const family = isIP(plain)
      return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4')
    },
  }
}

/** No proxy is trusted (the default). */
export const NO_TRUSTED_PROXIES: TrustedProxies = { trusts: () => false }

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** The `X-Request-Id` a trusted proxy sent, when it is one printable token of at most 128 characters. */
export function toForwardedRequestId(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  const value = req.headers['x-request-id']
  if (typeof value !== 'string' || !trusted.trusts(req.socket.remoteAddress)) return undefined
  return REQUEST_ID.test(value.trim()) ? value.trim() : undefined
}

/**
 * The client address: the socket's, or — when the socket is a trusted proxy — the right-most
 * address of `X-Forwarded-For` that is not itself a trusted proxy (the left-most entries are
 * whatever the client claimed). Returns `undefined` when the header gives nothing usable.
 */
export function toForwardedFor(req: IncomingMessage, trusted: TrustedProxies): string | undefined {
  if (!trusted.trusts(req.socket.remoteAddress)) return undefined
  const header = req.headers['x-forwarded-for']
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((hop) => hop.trim()).filter((hop) => isIP(hop) !== 0)
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.trusts(hops[i])) return hops[i]
  }
  return hops[0]
}
