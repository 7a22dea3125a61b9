import { createHash, randomBytes } from 'node:crypto'
import { sendSmall } from './blob-transfer.mjs'

/** Accept header sent with every manifest GET: the two single-image formats both servers serve. */
export const manifestAccept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'

/**
 * Pushes a small Docker schema 2 image (a config blob, one 4 KiB layer, a manifest tagged `tag`)
 * the way a client would, and checks that the tag resolves. Returns what the request-rate runs hit.
 */
export async function pushSmallImage(baseUrl, repo, tag) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }))
  const layer = randomBytes(4096)
  const configDigest = await pushBytes(baseUrl, repo, config)
  const layerDigest = await pushBytes(baseUrl, repo, layer)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
    }),
  )
  const put = await sendSmall(`${baseUrl}/v2/${repo}/manifests/${tag}`, 'PUT', manifest, {
    'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
  })
  if (put.status !== 201) throw new Error(`manifest PUT: status ${put.status}: ${put.body}`)
  const get = await sendSmall(`${baseUrl}/v2/${repo}/manifests/${tag}`, 'GET', undefined, { Accept: manifestAccept })
  if (get.status !== 200 || get.body !== manifest.toString()) throw new Error(`manifest GET after push: status ${get.status}: ${get.body}`)
  return { manifestUrl: `${baseUrl}/v2/${repo}/manifests/${tag}`, blobUrl: `${baseUrl}/v2/${repo}/blobs/${layerDigest}` }
}

/** POST then PUT ?digest= with the bytes: the monolithic upload both servers support. */
async function pushBytes(baseUrl, repo, bytes) {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  const opened = await sendSmall(`${baseUrl}/v2/${repo}/blobs/uploads/`, 'POST')
  if (opened.status !== 202 || !opened.headers.location) throw new Error(`blob upload start: status ${opened.status}: ${opened.body}`)
  const putUrl = new URL(opened.headers.location, baseUrl)
  putUrl.searchParams.set('digest', digest)
  const put = await sendSmall(putUrl.href, 'PUT', bytes, { 'Content-Type': 'application/octet-stream' })
  if (put.status !== 201) throw new Error(`blob upload PUT: status ${put.status}: ${put.body}`)
  return digest
}
