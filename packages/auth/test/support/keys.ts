import { execFileSync, spawnSync } from 'node:child_process'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh RSA or P-256 key pair. */
export function newKeyPair(type: 'rsa' | 'ec' = 'rsa'): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

/** True when the openssl CLI (used to make test certificates) is installed. */
export const hasOpenssl = !spawnSync('openssl', ['version']).error

/**
 * Makes a self-signed CA and a leaf certificate it signs, with openssl (Node cannot create
 * certificates). Returns PEM texts and the leaf's private key.
 */
export function newCertificates(type: 'rsa' | 'ec' = 'rsa'): { caPem: string; caKeyPem: string; leafPem: string; leafKeyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-certs-'))
  const file = (name: string) => join(dir, name)
  const keyArgs = type === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
  try {
    const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
    run(['req', '-x509', ...keyArgs, '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=wharf test CA'])
    run(['req', '-new', ...keyArgs, '-nodes', '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=wharf token signer'])
    run(['x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('leaf.pem'), '-days', '2'])
    return {
      caPem: readFileSync(file('ca.pem'), 'utf8'),
      caKeyPem: readFileSync(file('ca.key'), 'utf8'),
      leafPem: readFileSync(file('leaf.pem'), 'utf8'),
      leafKeyPem: readFileSync(file('leaf.key'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The base64 DER body of a PEM certificate, as an `x5c` entry. */
export function toX5c(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '')
}
