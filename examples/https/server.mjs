// A registry on node:https. Without a certificate of your own, a self-signed one for localhost and
// 127.0.0.1 is generated with openssl into ./certs on first start.
//   REGISTRY_HTTP_ADDR                          where to listen (default 127.0.0.1:5000; ":5000" = all interfaces)
//   REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY   where to store (default ./data next to this file)
//   REGISTRY_HTTP_TLS_CERTIFICATE, REGISTRY_HTTP_TLS_KEY   PEM files to use instead (as registry:2)
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { fileURLToPath } from 'node:url'
import { createRegistry } from '@wharf/core'
import { toNodeListener } from '@wharf/http-adapter'
import { createFsDriver } from '@wharf/storage-fs'

const { host, port } = toListenAddress(process.env.REGISTRY_HTTP_ADDR ?? '127.0.0.1:5000')
const root = process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY ?? fileURLToPath(new URL('./data', import.meta.url))
const tls = loadOrCreateCertificate()

const registry = createRegistry({ storage: createFsDriver({ root }) })
const server = createServer({ cert: tls.cert, key: tls.key }, toNodeListener(registry))
server.listen(port, host, () => console.log(`registry on https://${host}:${port}/v2/ (certificate ${tls.certPath}), storing under ${root}`))

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => void registry.close())
    server.closeIdleConnections()
  })
}

function loadOrCreateCertificate() {
  let certPath = process.env.REGISTRY_HTTP_TLS_CERTIFICATE
  let keyPath = process.env.REGISTRY_HTTP_TLS_KEY
  if (!certPath || !keyPath) {
    const dir = fileURLToPath(new URL('./certs', import.meta.url))
    certPath = `${dir}/cert.pem`
    keyPath = `${dir}/key.pem`
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, { recursive: true })
      // prettier-ignore
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '365',
        '-keyout', keyPath, '-out', certPath,
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ], { stdio: 'ignore' })
      console.log(`generated a self-signed certificate: ${certPath}`)
    }
  }
  return { certPath, cert: readFileSync(certPath), key: readFileSync(keyPath) }
}

/** `host:port` as registry:2 reads it: IPv6 in brackets, a bare `:port` means every interface. */
function toListenAddress(value) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim())
  if (!match) throw new Error(`REGISTRY_HTTP_ADDR must be host:port, got ${JSON.stringify(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(match[2]) }
}
