// The image's HEALTHCHECK: GET /healthz on the address wharf listens on, exit 0 when it answers 200.
// The slim Node image has no curl, and the address comes from the same configuration wharf read
// (file, then REGISTRY_* variables), so a mounted config.yml on another port or with TLS is probed
// right. With a debug listener (http.debug.addr) that one is probed: it never asks for a client
// certificate, where the main listener may (http.tls.clientcas).
import { existsSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { loadConfig, toListenAddress } from '/opt/wharf/dist/index.js'

// Keep in step with entrypoint.sh, which picks the file the server was started with.
const CANDIDATES = ['/etc/docker/registry/config.yml', '/etc/distribution/config.yml', '/etc/wharf/config.yml']
const path = process.env.REGISTRY_CONFIGURATION_PATH || CANDIDATES.find((file) => existsSync(file))
const { http } = loadConfig(path === undefined ? {} : { path }).config

const debug = http.debug?.addr
const { host, port } = toListenAddress(debug ?? http.addr, 'http.addr')
const secure = debug === undefined && http.tls !== undefined
// A wildcard address is reached on loopback; the certificate is not what this check is about.
const hostname = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
const send = secure ? httpsRequest : httpRequest
const req = send({ hostname, port, path: '/healthz', timeout: 4000, rejectUnauthorized: false }, (res) => {
  res.resume()
  process.exit(res.statusCode === 200 ? 0 : 1)
})
req.on('timeout', () => req.destroy(new Error('timed out')))
req.on('error', (error) => {
  console.error(`healthcheck: ${error.message}`)
  process.exit(1)
})
req.end()
