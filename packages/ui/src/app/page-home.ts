import { get } from './api.js'
import { formatBytes, h, href, time } from './dom.js'

interface Summary {
  repositories: number
  bytes?: number
  blobs?: number
  lastPush?: string
  uploadPurging?: { enabled: boolean; intervalMs?: number; ageMs?: number; lastRun?: string; lastRemoved?: number }
  garbageCollection?: { enabled: boolean; lastRun?: string; bytesReclaimed?: number; manifestsDeleted?: number; blobsDeleted?: number }
}

interface RepositoryPage {
  total: number
  next?: string
  namespaces: { name: string; repositories: number }[]
  repositories: { name: string; tags: number; bytes?: number; lastPushed?: number }[]
}

/** Route parameters of the home page: search text, namespace and page cursor. */
export interface HomeParams {
  q?: string
  ns?: string
  after?: string
}

const hours = (ms?: number) => (ms === undefined ? '' : ms >= 3_600_000 ? `every ${Math.round(ms / 3_600_000)} h` : `every ${Math.round(ms / 60_000)} min`)

function stat(label: string, value: Node | string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, value))
}

function summaryCards(s: Summary): HTMLElement {
  const purge = s.uploadPurging
  const gc = s.garbageCollection
  return h(
    'dl',
    { class: 'stats', 'aria-label': 'Registry summary' },
    stat('Stored (deduplicated)', formatBytes(s.bytes)),
    stat('Repositories', String(s.repositories)),
    stat('Last push', s.lastPush ? time(s.lastPush) : 'none since start'),
    purge && stat('Upload purging', purge.enabled ? `on, ${hours(purge.intervalMs)}` : 'off'),
    gc && stat('Garbage collection', gc.lastRun ? h('span', {}, time(gc.lastRun), `: ${formatBytes(gc.bytesReclaimed ?? 0)} freed`) : gc.enabled ? 'scheduled, not run yet' : 'off'),
  )
}

function namespaceTree(page: RepositoryPage, params: HomeParams): HTMLElement {
  const crumbs: (Node | string)[] = [h('a', { href: `#/?${new URLSearchParams(params.q ? { q: params.q } : {})}` }, 'all')]
  let path = ''
  for (const part of (params.ns ?? '').split('/').filter(Boolean)) {
    path = path ? `${path}/${part}` : part
    crumbs.push(' / ', h('a', { href: `#/?${new URLSearchParams({ ns: path, ...(params.q ? { q: params.q } : {}) })}` }, part))
  }
  return h(
    'nav',
    { class: 'tree', 'aria-label': 'Namespaces' },
    h('p', { class: 'crumbs' }, ...crumbs),
    page.namespaces.length === 0
      ? h('p', { class: 'muted' }, 'No namespaces below.')
      : h('ul', {}, ...page.namespaces.map((n) => h('li', {}, h('a', { href: `#/?${new URLSearchParams({ ns: n.name, ...(params.q ? { q: params.q } : {}) })}` }, `${n.name.split('/').pop()}/`), ` ${n.repositories}`))),
  )
}

function repositoryTable(page: RepositoryPage, params: HomeParams): HTMLElement {
  const rows = page.repositories.map((r) =>
    h('tr', {}, h('th', { scope: 'row' }, h('a', { href: href('repo', r.name), class: 'repo-link' }, r.name)), h('td', { class: 'num' }, String(r.tags)), h('td', { class: 'num' }, formatBytes(r.bytes)), h('td', {}, time(r.lastPushed))),
  )
  const next = page.next ? h('a', { href: `#/?${new URLSearchParams({ ...strip(params), after: page.next })}`, class: 'button' }, 'Next page') : null
  const first = params.after ? h('a', { href: `#/?${new URLSearchParams(strip(params))}`, class: 'button' }, 'First page') : null
  return h(
    'div',
    { class: 'list' },
    h(
      'table',
      {},
      h('caption', {}, `${page.total} ${page.total === 1 ? 'repository' : 'repositories'}${params.q ? ` matching “${params.q}”` : ''}${params.ns ? ` in ${params.ns}/` : ''}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Repository'), h('th', { scope: 'col', class: 'num' }, 'Tags'), h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Last pushed'))),
      h('tbody', {}, ...rows),
    ),
    rows.length === 0 ? h('p', { class: 'muted' }, 'No repository to show.') : null,
    h('p', { class: 'pager' }, first, next),
  )
}

const strip = (p: HomeParams): Record<string, string> => ({ ...(p.q ? { q: p.q } : {}), ...(p.ns ? { ns: p.ns } : {}) })

/** Home: totals, then the repositories (search, namespace tree, paged table). */
export async function renderHome(main: HTMLElement, params: HomeParams): Promise<void> {
  const [summary, page] = await Promise.all([
    get<Summary>('summary'),
    get<RepositoryPage>('repositories', { q: params.q, namespace: params.ns, after: params.after, n: '50' }),
  ])
  let timer: ReturnType<typeof setTimeout> | undefined
  const search = h('input', {
    type: 'search',
    id: 'search',
    name: 'q',
    value: params.q ?? '',
    placeholder: 'Search repositories (press /)',
    autocomplete: 'off',
    oninput: () => {
      clearTimeout(timer)
      // Waits for a pause in typing, so that a search runs once per word rather than per key.
      timer = setTimeout(() => (location.hash = `#/?${new URLSearchParams({ ...strip({ ...params, q: search.value }) })}`), 250)
    },
  })
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Registry'),
    summaryCards(summary),
    h('section', { 'aria-labelledby': 'repos-heading' },
      h('h2', { id: 'repos-heading' }, 'Repositories'),
      h('form', { role: 'search', class: 'search', onsubmit: (e: Event) => e.preventDefault() }, h('label', { for: 'search' }, 'Search'), search),
      h('div', { class: 'browse' }, namespaceTree(page, params), repositoryTable(page, params)),
    ),
  )
  if (params.q !== undefined && document.activeElement === document.body) search.focus()
}
