/**
 * `host[:port]` exactly (RFC 9110 §7.2): a DNS name or IPv4 address made of unreserved characters,
 * or a bracketed IPv6 literal. No path, query, userinfo, space or second colon, so a value that
 * passes can be put in a URL's authority without changing anything else in that URL.
 */
const HOST_HEADER = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?$/

/** True when `value` is a well-formed Host header value (see {@link HOST_HEADER}); false for `a b`, `h:1:2`, `h/x`, `u@h`, ``. */
export function isHostHeader(value: string): boolean {
  return HOST_HEADER.test(value)
}
