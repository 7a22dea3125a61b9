import { runCommand, type CommandOutput } from './commands.js'

/** Flags every skopeo call of these tests shares: no signature policy file needed on the machine. */
const GLOBAL = ['--insecure-policy']

/** Runs `skopeo` with `args`; the registry under test speaks plain HTTP, so callers pass the tls flags. */
export function skopeo(...args: string[]): Promise<CommandOutput> {
  return runCommand('skopeo', [...GLOBAL, ...args], { timeoutMs: 60_000 })
}

/** Options of {@link copyImage}. */
export interface CopyOptions {
  /** `--all`: copy every platform of an index instead of the host's. */
  all?: boolean
  /** `--format v2s2` converts to Docker schema 2 on the way. */
  format?: 'oci' | 'v2s2'
  /** Where skopeo writes the digest of the manifest it wrote (`--digestfile`). */
  digestFile?: string
}

/** `skopeo copy` between two transports (`oci:…`, `dir:…`, `docker://…`), plain HTTP on both sides. */
export function copyImage(source: string, destination: string, options: CopyOptions = {}): Promise<CommandOutput> {
  const args = ['copy', '--src-tls-verify=false', '--dest-tls-verify=false']
  if (options.all) args.push('--all')
  if (options.format) args.push('--format', options.format)
  if (options.digestFile) args.push('--digestfile', options.digestFile)
  return skopeo(...args, source, destination)
}

/** The raw manifest bytes the registry serves for `reference` (`skopeo inspect --raw`). */
export async function inspectRaw(reference: string): Promise<string> {
  return (await skopeo('inspect', '--raw', '--tls-verify=false', reference)).stdout
}

/** What `skopeo inspect` reports about `reference` (only the fields these tests read). */
export interface InspectResult {
  Digest: string
  RepoTags: string[]
  Architecture: string
  Os: string
  Layers: string[]
}

/** `skopeo inspect` of `reference`; rejects when the registry cannot serve it. */
export async function inspectImage(reference: string): Promise<InspectResult> {
  return JSON.parse((await skopeo('inspect', '--tls-verify=false', reference)).stdout) as InspectResult
}
