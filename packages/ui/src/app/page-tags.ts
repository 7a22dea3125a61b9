import { deleteTag, get, type SessionInfo } from './api.js'
import { confirmDialog } from './dialogs.js'
import { append, copyField, formatBytes, h, href, shortDigest, time } from './dom.js'

interface TagRow {
  tag: string
  missing?: boolean
  digest: string
  kind: 'image' | 'index' | 'artifact'
  artifactType?: string
  platforms: string[]
  size: number
  pushedAt?: number
  lastPulledAt?: number
}

interface TagPage {
  repository: string
  tags: TagRow[]
  next?: string
  canDelete: boolean
}

interface ManifestTags {
  tags: string[]
  referrers: { artifactType: string; items: unknown[] }[]
}

/** Ready-to-copy pull commands for one reference; `oras` for artifacts, `crane` for the rest. */
export function pullCommands(repository: string, ref: string, kind: string): [string, string][] {
  const target = `${location.host}/${repository}${ref.includes(':') ? `@${ref}` : `:${ref}`}`
  const plain = location.protocol === 'http:' ? ' --tls-verify=false' : ''
  return [
    ['docker', `docker pull ${target}`],
    ['podman', `podman pull${plain} ${target}`],
    ['skopeo', `skopeo copy${plain ? ' --src-tls-verify=false' : ''} docker://${target} oci:${repository.split('/').pop()}:${ref.includes(':') ? 'latest' : ref}`],
    kind === 'artifact' ? ['oras', `oras pull${location.protocol === 'http:' ? ' --plain-http' : ''} ${target}`] : ['crane', `crane pull${location.protocol === 'http:' ? ' --insecure' : ''} ${target} image.tar`],
  ]
}

function pullDetails(repository: string, row: TagRow): HTMLElement {
  return h('details', { class: 'pull' }, h('summary', {}, 'Pull'), h('ul', {}, ...pullCommands(repository, row.tag, row.kind).map(([tool, command]) => h('li', {}, h('span', { class: 'tool' }, tool), copyField(`${tool} command for ${row.tag}`, command)))))
}

function kindLabel(row: { kind: string; artifactType?: string }): Node | string {
  return row.kind === 'artifact' ? h('span', { title: row.artifactType ?? '' }, 'artifact ', h('code', {}, row.artifactType ?? '')) : row.kind
}

/** Asks, then deletes one tag: the text says what stays (other tags on the digest, the manifest itself). */
async function confirmTagDelete(repository: string, row: TagRow): Promise<boolean> {
  const manifest = await get<ManifestTags>('manifest', { repository, reference: row.digest })
  const others = manifest.tags.filter((t) => t !== row.tag)
  const text = others.length > 0
    ? `Only the tag ${row.tag} goes. ${shortDigest(row.digest)} stays, still tagged ${others.join(', ')}.`
    : `Only the tag ${row.tag} goes. No other tag points at ${shortDigest(row.digest)}: it stays, reachable by digest, until garbage collection removes untagged manifests.`
  return confirmDialog(`Delete tag ${repository}:${row.tag}?`, text, 'Delete tag')
}

/** A repository's tags: kind, platforms, size, times, pull commands, and delete when allowed. */
export async function renderTags(main: HTMLElement, session: SessionInfo, repository: string, params: { after?: string; q?: string }, rerender: () => void): Promise<void> {
  const page = await get<TagPage>('tags', { repository, after: params.after, q: params.q, n: '25' })
  const deletable = page.canDelete && session.deleteEnabled && !session.readOnly
  const status = h('p', { role: 'status', class: 'status' })
  const rows = page.tags.map((row) => {
    if (row.missing) return h('tr', {}, h('th', { scope: 'row' }, row.tag), h('td', { colspan: '7' }, 'manifest missing'))
    const remove = deletable
      ? h('button', {
          type: 'button',
          class: 'danger',
          'aria-label': `Delete tag ${row.tag}`,
          onclick: async () => {
            if (!(await confirmTagDelete(repository, row))) return
            try {
              await deleteTag(repository, row.tag)
              rerender()
            } catch (error) {
              status.textContent = `Could not delete ${row.tag}: ${(error as Error).message}`
            }
          },
        }, 'Delete')
      : null
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: href('manifest', repository, row.tag), class: 'tag-link' }, row.tag)),
      h('td', {}, h('a', { href: href('manifest', repository, row.digest), title: row.digest }, h('code', {}, shortDigest(row.digest)))),
      h('td', {}, kindLabel(row)),
      h('td', { class: 'platforms' }, row.platforms.join(', ') || '—'),
      h('td', { class: 'num' }, formatBytes(row.size)),
      h('td', {}, time(row.pushedAt)),
      h('td', {}, time(row.lastPulledAt)),
      h('td', { class: 'actions' }, pullDetails(repository, row), remove),
    )
  })
  const search = h('input', { type: 'search', id: 'tag-search', value: params.q ?? '', placeholder: 'Filter tags', autocomplete: 'off' })
  main.replaceChildren()
  append(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Registry'), ' / '),
    h('h1', { tabindex: '-1' }, repository),
    h('form', { role: 'search', class: 'search', onsubmit: (e: Event) => {
      e.preventDefault()
      location.hash = `${href('repo', repository)}?${new URLSearchParams(search.value ? { q: search.value } : {})}`
    } }, h('label', { for: 'tag-search' }, 'Tags'), search, h('button', { type: 'submit' }, 'Filter')),
    status,
    h('div', { class: 'list' }, h(
      'table',
      { class: 'tags' },
      h('caption', {}, `Tags of ${repository}`),
      h('thead', {}, h('tr', {}, ...['Tag', 'Digest', 'Kind', 'Platforms', 'Size', 'Pushed', 'Last pulled', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows),
    )),
    rows.length === 0 ? h('p', { class: 'muted' }, 'No tags.') : null,
    h('p', { class: 'pager' },
      params.after ? h('a', { class: 'button', href: href('repo', repository) }, 'First page') : null,
      page.next ? h('a', { class: 'button', href: `${href('repo', repository)}?${new URLSearchParams({ after: page.next, ...(params.q ? { q: params.q } : {}) })}` }, 'Next page') : null,
    ),
  )
}
