// A registry with Docker token auth and the token endpoint that issues its tokens, on one node:http
// server: /v2/… is the registry, /token (the realm clients are sent to) the token endpoint, which
// checks user names and passwords against an htpasswd file.
// On first start, what is missing is made in the data directory:
//   htpasswd    user `admin`, password WHARF_ADMIN_PASSWORD or a random one (printed once)
//   token.key   the P-256 key tokens are signed with (the registry checks them with its public half)
// Environment:
//   REGISTRY_HTTP_ADDR                         where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   WHARF_DATA_DIR                             data directory (default ./data next to this file)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY  where images are stored (default <data dir>/registry)
//   REGISTRY_AUTH_TOKEN_REALM                  token URL given to clients (default http://<addr>/token)
//   REGISTRY_AUTH_TOKEN_SERVICE                service name, the tokens' audience (default wharf-registry)
//   REGISTRY_AUTH_TOKEN_ISSUER                 the tokens' issuer (default wharf-token-issuer)
import { createPublicKey } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHtpasswdAuth, createTokenAuth, createTokenServer } from '@wharf/auth'
import { createRegistry } from '@wharf/core'
import { toNodeListener, toWebRequest, writeWebResponse } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'
import { ensureHtpasswd, ensureSigningKey } from './first-start.mjs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const dataDir = process.env.WHARF_DATA_DIR ?? fileURLToPath(new URL('./data', import.meta.url))
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? join(dataDir, 'registry')
const realm = process.env.REGISTRY_AUTH_TOKEN_REALM ?? `http://${toUrlHost(host)}:${port}/token`
const service = process.env.REGISTRY_AUTH_TOKEN_SERVICE ?? 'wharf-registry'
const issuer = process.env.REGISTRY_AUTH_TOKEN_ISSUER ?? 'wharf-token-issuer'

mkdirSync(dataDir, { recursive: true, mode: 0o700 })
const htpasswdPath = join(dataDir, 'htpasswd')
const newPassword = await ensureHtpasswd(htpasswdPath, process.env.WHARF_ADMIN_PASSWORD)
const signingKey = ensureSigningKey(join(dataDir, 'token.key'))

// The token endpoint: Basic credentials in, a signed token for the granted scopes out. Without a
// `policy`, every user in the htpasswd file may pull and push everything (see README for createPolicy).
const issueToken = createTokenServer({
  issuer,
  service,
  signingKey,
  authenticate: createHtpasswdAuth({ path: htpasswdPath, realm: issuer }),
})
// The registry trusts exactly the tokens signed with that key, for this service and issuer.
const registry = createRegistry({
  storage: createFsDriver({ root }),
  auth: createTokenAuth({ realm, service, issuer, keys: { publicKey: createPublicKey(signingKey) } }),
})
const serveRegistry = toNodeListener(registry)
const tokenPath = new URL(realm).pathname

const server = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://x').pathname !== tokenPath) return serveRegistry(req, res)
  // The token endpoint is a Web handler; containerd POSTs a form, so it gets a real Web body.
  issueToken(toWebRequest(req, undefined, true))
    .then((response) => writeWebResponse(response, res))
    .catch(() => res.destroy())
})
server.listen(port, host, () => {
  // The "registry on" line comes last: whoever waits for it (a script, a test) has everything
  // printed before it, the first-start password included.
  if (newPassword && !process.env.WHARF_ADMIN_PASSWORD) {
    console.log(`first start: created ${htpasswdPath} with user admin, password ${newPassword}`)
  }
  console.log(`registry on http://${toUrlHost(host)}:${port}/v2/ with tokens from ${realm}, storing under ${root}`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => void registry.close())
    server.closeIdleConnections()
  })
}

/** `host:port` as registry:2 reads it: IPv6 in brackets, a bare `:port` means every interface. */
function toListenAddress(value) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  if (!match) throw new Error(`REGISTRY_HTTP_ADDR must be host:port, got ${JSON.stringify(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(match[2]) }
}

/** The host as written in a URL clients on this machine can use (an any-address means loopback). */
function toUrlHost(listenHost) {
  if (listenHost === '0.0.0.0') return '127.0.0.1'
  if (listenHost === '::') return '[::1]'
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost
}
