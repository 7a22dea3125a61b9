import './styles.css'
import { ApiError, getSession, login, logout, type SessionInfo } from './api.js'
import { renderLogin } from './dialogs.js'
import { h } from './dom.js'
import { renderHome } from './page-home.js'
import { renderManifest } from './page-manifest.js'
import { renderTags } from './page-tags.js'

const main = h('main', { id: 'main' })
const userBox = h('div', { class: 'user' })
let session: SessionInfo

/** Splits `#/repo/<name>?q=…` into decoded path parts and parameters. */
function parseHash(): { parts: string[]; params: URLSearchParams } {
  const hash = location.hash.replace(/^#\/?/, '')
  const [path = '', query = ''] = hash.split('?')
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) }
}

function renderUser(): void {
  userBox.replaceChildren()
  if (session.user) userBox.append(h('span', {}, `Logged in as ${session.user}`))
  if (session.canLogout) {
    userBox.append(h('button', { type: 'button', onclick: async () => {
      await logout()
      await start()
    } }, 'Log out'))
  }
  if (session.readOnly) userBox.append(h('span', { class: 'badge' }, 'read-only'))
}

/** Renders the page of the current hash, keeping the search field's focus when it is the one typing. */
async function route(): Promise<void> {
  const typing = document.activeElement instanceof HTMLInputElement && document.activeElement.type === 'search' ? document.activeElement.id : undefined
  const { parts, params } = parseHash()
  const opt = (name: string) => params.get(name) || undefined
  main.setAttribute('aria-busy', 'true')
  try {
    const [page, a, b] = parts
    if (page === 'repo' && a) await renderTags(main, session, a, { after: opt('after'), q: opt('q') }, () => void route())
    else if (page === 'manifest' && a && b) await renderManifest(main, session, a, b)
    else await renderHome(main, { q: opt('q'), ns: opt('ns'), after: opt('after') })
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return start()
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'), h('p', { role: 'alert' }, (error as Error).message), h('p', {}, h('a', { href: '#/' }, 'Back to the registry')))
  } finally {
    main.removeAttribute('aria-busy')
  }
  const field = typing ? (document.getElementById(typing) as HTMLInputElement | null) : null
  if (field) {
    field.focus()
    field.setSelectionRange(field.value.length, field.value.length)
  } else {
    // A new page: focus its heading, so screen readers announce it and Tab starts from there.
    main.querySelector<HTMLElement>('h1')?.focus()
  }
}

async function start(): Promise<void> {
  session = await getSession()
  renderUser()
  if (session.loginRequired) {
    renderLogin(main, async (user, password) => {
      await login(user, password)
      await start()
    })
    return
  }
  await route()
}

document.body.append(
  h('a', { href: '#main', class: 'skip', onclick: (e: Event) => {
    e.preventDefault()
    main.querySelector<HTMLElement>('h1')?.focus()
  } }, 'Skip to content'),
  h('header', { class: 'top' }, h('a', { href: '#/', class: 'brand' }, 'wharf'), h('span', { class: 'host' }, location.host), userBox),
  main,
)
window.addEventListener('hashchange', () => void route())
// `/` jumps to the search field, as on many code hosts; not while typing in a field.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return
  const search = document.querySelector<HTMLInputElement>('input[type=search]')
  if (!search) return
  event.preventDefault()
  search.focus()
})
void start()
