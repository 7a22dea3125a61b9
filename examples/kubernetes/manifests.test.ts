import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Deployment } from 'kubernetes-models/apps/v1'
import { PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))

/** Each kind the manifests use: its kubernetes-models class (JSON schema) and kubernetes-types type. */
const KINDS: Record<string, { model: { new (data: object): { validate(): void } }; module: string; type: string }> = {
  'v1/Secret': { model: Secret, module: 'kubernetes-types/core/v1', type: 'Secret' },
  'v1/Service': { model: Service, module: 'kubernetes-types/core/v1', type: 'Service' },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, module: 'kubernetes-types/core/v1', type: 'PersistentVolumeClaim' },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-types/apps/v1', type: 'Deployment' },
}

interface Manifest {
  file: string
  kind: string
  name: string
  value: Record<string, unknown>
}

function readManifests(): Manifest[] {
  return readdirSync(here)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(here, file), 'utf8')).map((doc) => {
        expect(doc.errors, file).toEqual([])
        const value = doc.toJS() as Record<string, unknown>
        const name = (value['metadata'] as { name?: string } | undefined)?.name ?? '?'
        return { file, kind: `${String(value['apiVersion'])}/${String(value['kind'])}`, name, value }
      }),
    )
}

/**
 * The JSON schemas (kubernetes-models) check types, formats and required fields but accept unknown
 * fields, as the API server's non-strict decoding does. Typing each document as an object literal of
 * its kubernetes-types type makes the TypeScript compiler's excess-property check find those too
 * (`livenesProbe` for `livenessProbe`), as `kubectl apply --validate=strict` would.
 */
function unknownFields(manifests: Manifest[]): string[] {
  const fileName = join(here, '__manifests__.ts')
  const source = manifests
    .map((m, i) => `import type { ${KINDS[m.kind]!.type} as T${i} } from '${KINDS[m.kind]!.module}'\nexport const d${i}: T${i} = ${JSON.stringify(m.value, null, 1)}\n`)
    .join('')
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, types: [], skipLibCheck: true }
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, version) : getSourceFile.call(host, name, version, ...rest)
  host.fileExists = (name) => name === fileName || fileExists.call(host, name)
  host.readFile = (name) => (name === fileName ? source : readFile.call(host, name))
  const program = ts.createProgram([fileName], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
    const doc = at ? source.slice(0, d.start).match(/export const d(\d+)/g)?.pop()?.slice('export const d'.length) : undefined
    const where = doc === undefined ? '' : `${manifests[Number(doc)]!.file} ${manifests[Number(doc)]!.kind} ${manifests[Number(doc)]!.name}: `
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

const manifests = readManifests()

describe('the Kubernetes manifests', () => {
  // Invariant: every document is a kind we check, and valid against the Kubernetes API's schema.
  it.each(manifests.map((m) => [`${m.file}: ${m.kind} ${m.name}`, m] as const))('%s is valid', (_, m) => {
    const kind = KINDS[m.kind]
    expect(kind, `no schema check for ${m.kind}`).toBeDefined()
    expect(() => new kind!.model(m.value).validate()).not.toThrow()
  })

  // Invariant: no field is unknown to the Kubernetes API (a typo the API server would drop silently).
  it('use no field the Kubernetes API does not know', () => {
    expect(unknownFields(manifests)).toEqual([])
  })

  // Invariant: what the README promises of the S3 setup: three replicas behind a Service without
  // session affinity, probes on /healthz, and every Deployment pulling with the pull secret.
  it('run three S3 replicas without session affinity, probed on /healthz', () => {
    const find = (file: string, kind: string) => manifests.filter((m) => m.file === file && m.kind === kind).map((m) => m.value as any)
    const [s3] = find('s3-three-replicas.yaml', 'apps/v1/Deployment')
    expect(s3.spec.replicas).toBe(3)
    expect(find('s3-three-replicas.yaml', 'v1/Service')[0].spec.sessionAffinity).toBe('None')
    for (const deployment of manifests.filter((m) => m.kind === 'apps/v1/Deployment').map((m) => m.value as any)) {
      expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'wharf-pull' }])
    }
    for (const file of ['single-replica.yaml', 's3-three-replicas.yaml']) {
      const container = find(file, 'apps/v1/Deployment')[0].spec.template.spec.containers[0]
      expect(container.readinessProbe.httpGet.path).toBe('/healthz')
      expect(container.livenessProbe.httpGet.path).toBe('/healthz')
    }
  })

  // The check itself finds what it is for: a misspelt field and a wrong type.
  it('would catch a misspelt field and a wrong type', () => {
    const broken = structuredClone(manifests.find((m) => m.kind === 'apps/v1/Deployment')!)
    const spec = (broken.value as any).spec
    spec.template.spec.containers[0].livenesProbe = { httpGet: { path: '/healthz', port: 5000 } }
    expect(unknownFields([broken]).join('\n')).toMatch(/livenesProbe/)
    spec.replicas = 'three'
    expect(() => new Deployment(broken.value).validate()).toThrow(/replicas/)
  })
})
