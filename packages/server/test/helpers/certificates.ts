import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Files of a test PKI made with openssl: a CA, a server certificate for 127.0.0.1/localhost, a client certificate. */
export interface TestCertificates {
  caCert: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
}

/** Generates a CA, a server and a client certificate in `dir` with the openssl command (EC P-256, 1 day). */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  const f = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => run('openssl', args)
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=wharf test CA')
  await writeFile(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const [name, subject] of [['server', '/CN=127.0.0.1'], ['client', '/CN=wharf test client']] as const) {
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject)
    await openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`))
  }
  return { caCert: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') }
}

/** An htpasswd line made by Apache's `htpasswd -Bbn` (bcrypt), the tool registry:2's docs use. */
export async function createHtpasswdLine(user: string, password: string): Promise<string> {
  const { stdout } = await run('htpasswd', ['-Bbn', user, password])
  return stdout.trim()
}
