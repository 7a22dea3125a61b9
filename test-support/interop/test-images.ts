import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCommand } from './commands.js'
import { readTaggedDescriptor, sha256Of, toBlobPath, type Descriptor } from './oci-layout.js'

const INDEX = 'application/vnd.oci.image.index.v1+json'

/** One platform image of the multi-arch index. */
export interface PlatformImage {
  architecture: 'amd64' | 'arm64'
  digest: string
}

/** The images {@link createTestImages} wrote into one OCI layout. */
export interface TestImages {
  /** Directory of the OCI image layout. */
  layout: string
  /** `app`: a linux/amd64 image with two layers (one of 2 MiB of random bytes, so uploads are not trivial). */
  single: { tag: string; digest: string }
  /** `multi`: an OCI image index of two platform images, linux/amd64 and linux/arm64. */
  multi: { tag: string; digest: string; platforms: PlatformImage[] }
}

/** Adds one layer holding `files` to `layout:tag` (unpack, write, repack), as a user building an image would. */
async function addLayer(layout: string, tag: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const bundle = await mkdtemp(`${layout}-bundle-`)
  await runCommand('umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, bundle])
  for (const [name, content] of Object.entries(files)) await writeFile(join(bundle, 'rootfs', name), content)
  await runCommand('umoci', ['repack', '--image', `${layout}:${tag}`, bundle])
  await rm(bundle, { recursive: true, force: true })
}

async function buildImage(layout: string, tag: string, architecture: string, layers: Record<string, Uint8Array | string>[]) {
  await runCommand('umoci', ['new', '--image', `${layout}:${tag}`])
  for (const files of layers) await addLayer(layout, tag, files)
  await runCommand('umoci', ['config', '--image', `${layout}:${tag}`, '--architecture', architecture, '--os', 'linux', '--config.cmd', '/hello'])
}

/** Writes `index` as a blob of `layout` and tags it `tag` in index.json. */
async function addIndex(layout: string, tag: string, manifests: Descriptor[]): Promise<string> {
  const bytes = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests })
  const digest = sha256Of(bytes)
  await writeFile(toBlobPath(layout, digest), bytes)
  const indexPath = join(layout, 'index.json')
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Descriptor[] }
  index.manifests.push({ mediaType: INDEX, digest, size: Buffer.byteLength(bytes), annotations: { 'org.opencontainers.image.ref.name': tag } })
  await writeFile(indexPath, JSON.stringify(index))
  return digest
}

/**
 * Builds the interop test images offline with umoci in a new OCI layout under `parent`: a two-layer
 * single-platform image and a two-platform index. Layers hold fresh random bytes, so every run pushes
 * blobs no registry has seen.
 */
export async function createTestImages(parent: string): Promise<TestImages> {
  const layout = join(parent, 'layout')
  await runCommand('umoci', ['init', '--layout', layout])
  await buildImage(layout, 'app', 'amd64', [{ 'data.bin': randomBytes(2 * 1024 * 1024) }, { 'hello.txt': `hello ${Date.now()}\n` }])
  const platforms: PlatformImage[] = []
  for (const architecture of ['amd64', 'arm64'] as const) {
    await buildImage(layout, architecture, architecture, [{ 'arch.txt': `${architecture} ${randomBytes(8).toString('hex')}\n` }])
  }
  // Drop the intermediate manifests and configs each umoci step left behind.
  await runCommand('umoci', ['gc', '--layout', layout])
  const platformDescriptors: Descriptor[] = []
  for (const architecture of ['amd64', 'arm64'] as const) {
    const { mediaType, digest, size } = await readTaggedDescriptor(layout, architecture)
    platforms.push({ architecture, digest })
    platformDescriptors.push({ mediaType, digest, size, platform: { architecture, os: 'linux' } })
  }
  const multiDigest = await addIndex(layout, 'multi', platformDescriptors)
  const single = await readTaggedDescriptor(layout, 'app')
  return { layout, single: { tag: 'app', digest: single.digest }, multi: { tag: 'multi', digest: multiDigest, platforms } }
}
