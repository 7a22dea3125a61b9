import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sh } from './docker.js'

/**
 * A CA and a server certificate signed by it for `addresses` (IP SANs), made with openssl in `dir`:
 * ca.crt, domain.crt, domain.key (readable by the container's non-root user).
 */
export async function makeCertificates(dir: string, addresses: string[]): Promise<void> {
  const at = (name: string) => join(dir, name)
  await sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=wharf test CA',
    '-keyout', at('ca.key'), '-out', at('ca.crt')])
  await sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${addresses[0]}`,
    '-keyout', at('domain.key'), '-out', at('domain.csr')])
  await writeFile(at('san.ext'), `subjectAltName=${addresses.map((a) => `IP:${a}`).join(',')}\nextendedKeyUsage=serverAuth\n`)
  await sh('openssl', ['x509', '-req', '-in', at('domain.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'),
    '-CAcreateserial', '-days', '2', '-extfile', at('san.ext'), '-out', at('domain.crt')])
  await sh('chmod', ['0644', at('domain.key')])
}
