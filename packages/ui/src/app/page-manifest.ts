import { deleteManifest, get, type SessionInfo } from './api.js'
import { confirmDialog } from './dialogs.js'
import { append, copyField, formatBytes, h, href, shortDigest } from './dom.js'
import { pullCommands } from './page-tags.js'

interface Descriptor {
  digest: string
  mediaType: string
  size: number
  platform?: string
  artifactType?: string
  annotations?: Record<string, string>
}

interface ManifestView {
  repository: string
  reference: string
  digest: string
  mediaType: string
  kind: 'image' | 'index' | 'artifact'
  artifactType?: string
  size: number
  config: null | { platform?: string; created?: string; env?: string[]; cmd?: string[]; entrypoint?: string[]; workingDir?: string; user?: string; labels?: Record<string, string> }
  configDescriptor: Descriptor | null
  layers: Descriptor[]
  children: Descriptor[]
  subject: Descriptor | null
  referrers: { artifactType: string; items: Descriptor[] }[]
  tags: string[]
  raw: string
  canDelete: boolean
}

const facts = (pairs: [string, Node | string | undefined][]) =>
  h('dl', { class: 'facts' }, ...pairs.filter(([, v]) => v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v!)]))

const code = (v: string[] | undefined) => (v && v.length > 0 ? h('code', {}, JSON.stringify(v)) : undefined)

function descriptorTable(caption: string, rows: Descriptor[], repository: string, link: boolean, first = link ? 'Platform' : '#'): HTMLElement {
  return h(
    'table',
    { class: 'descriptors' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, first), h('th', { scope: 'col' }, 'Digest'), h('th', { scope: 'col' }, 'Media type'), h('th', { scope: 'col', class: 'num' }, 'Size'))),
    h('tbody', {}, ...rows.map((d, i) =>
      h('tr', {},
        h('th', { scope: 'row' }, link ? d.platform ?? d.artifactType ?? '—' : String(i + 1)),
        h('td', {}, link ? h('a', { href: href('manifest', repository, d.digest), title: d.digest }, h('code', {}, shortDigest(d.digest))) : h('code', { title: d.digest }, shortDigest(d.digest))),
        h('td', {}, h('code', {}, d.mediaType)),
        h('td', { class: 'num' }, formatBytes(d.size)),
      ),
    )),
  )
}

/** The delete confirmation for a whole manifest names every tag and referrer that goes with it. */
function deleteText(m: ManifestView): string {
  const tags = m.tags.length > 0 ? `Its tags go with it: ${m.tags.join(', ')}.` : 'No tag points at it.'
  const refs = m.referrers.reduce((n, g) => n + g.items.length, 0)
  const referrers = refs > 0 ? ` ${refs} referrer${refs === 1 ? '' : 's'} (signatures, SBOMs, attestations) will point at a missing subject.` : ''
  const children = m.kind === 'index' ? ' Its child manifests stay (by digest) until garbage collection.' : ''
  return `The manifest ${m.digest} is deleted. ${tags}${referrers}${children}`
}

/** A manifest: facts, pull commands, layers or children, config, referrers, subject and raw JSON. */
export async function renderManifest(main: HTMLElement, session: SessionInfo, repository: string, reference: string): Promise<void> {
  const m = await get<ManifestView>('manifest', { repository, reference })
  const status = h('p', { role: 'status', class: 'status' })
  const deletable = m.canDelete && session.deleteEnabled && !session.readOnly
  const c = m.config
  main.replaceChildren()
  append(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Registry'), ' / ', h('a', { href: href('repo', repository) }, repository), ' /'),
    h('h1', { tabindex: '-1' }, `${repository}${reference.includes(':') ? '@' : ':'}${reference.includes(':') ? shortDigest(reference) : reference}`),
    facts([
      ['Digest', copyField('digest', m.digest)],
      ['Kind', m.kind === 'artifact' ? `artifact (${m.artifactType ?? ''})` : m.kind],
      ['Media type', h('code', {}, m.mediaType)],
      ['Compressed size', formatBytes(m.size)],
      ['Platform', c?.platform],
      ['Tags', m.tags.join(', ') || 'none'],
      ['Subject', m.subject ? h('a', { href: href('manifest', repository, m.subject.digest) }, h('code', {}, shortDigest(m.subject.digest))) : undefined],
    ]),
    status,
    deletable
      ? h('p', {}, h('button', {
          type: 'button',
          class: 'danger',
          onclick: async () => {
            if (!(await confirmDialog(`Delete manifest ${shortDigest(m.digest)}?`, deleteText(m), 'Delete manifest'))) return
            try {
              await deleteManifest(repository, m.digest)
              location.hash = href('repo', repository)
            } catch (error) {
              status.textContent = `Could not delete: ${(error as Error).message}`
            }
          },
        }, 'Delete manifest'))
      : null,
    h('section', {}, h('h2', {}, 'Pull'), h('ul', { class: 'pull-list' }, ...pullCommands(repository, reference, m.kind).map(([tool, command]) => h('li', {}, h('span', { class: 'tool' }, tool), copyField(`${tool} command`, command))))),
    m.children.length > 0 ? h('section', {}, h('h2', {}, 'Platforms'), descriptorTable('Child manifests by platform', m.children, repository, true)) : null,
    m.layers.length > 0 ? h('section', {}, h('h2', {}, 'Layers'), descriptorTable(`${m.layers.length} layers, ${formatBytes(m.layers.reduce((s, l) => s + l.size, 0))}`, m.layers, repository, false)) : null,
    c ? h('section', {}, h('h2', {}, 'Config'), facts([
      ['Created', c.created ? new Date(c.created).toLocaleString() : undefined],
      ['Entrypoint', code(c.entrypoint)],
      ['Cmd', code(c.cmd)],
      ['Working dir', c.workingDir],
      ['User', c.user],
      ['Env', c.env && c.env.length > 0 ? h('ul', { class: 'plain' }, ...c.env.map((e) => h('li', {}, h('code', {}, e)))) : undefined],
      ['Labels', c.labels && Object.keys(c.labels).length > 0 ? h('ul', { class: 'plain' }, ...Object.entries(c.labels).map(([k, v]) => h('li', {}, h('code', {}, `${k}=${v}`)))) : undefined],
    ])) : null,
    h('section', {}, h('h2', {}, 'Referrers'), m.referrers.length === 0
      ? h('p', { class: 'muted' }, 'No signatures, SBOMs or attestations refer to this manifest.')
      : h('div', {}, ...m.referrers.map((g) => descriptorTable(g.artifactType, g.items, repository, true, 'Artifact type')))),
    h('details', { class: 'raw' }, h('summary', {}, 'Raw manifest JSON'), h('pre', { tabindex: '0' }, h('code', {}, prettyJson(m.raw)))),
  )
}

function prettyJson(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2)
  } catch {
    return raw
  }
}
