/** A tiny DOM builder: no framework, and text always goes in as text (never parsed as HTML). */
type Child = Node | string | number | false | null | undefined
type Attrs = Record<string, string | number | boolean | ((event: Event) => void) | undefined>

/** Creates an element; `on…` attributes become listeners, `false`/`undefined` attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  append(el, ...children)
  return el
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** `1.2 MB` (decimal units, as registries and `docker images` show sizes). */
export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null) return '—'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** A time as a `<time>` element: relative text, the exact time as its title. */
export function time(value: number | string | undefined | null): Node | string {
  if (value === undefined || value === null) return '—'
  const date = new Date(value)
  const seconds = Math.round((Date.now() - date.getTime()) / 1000)
  const ago =
    seconds < 60 ? 'just now' : seconds < 3600 ? `${Math.floor(seconds / 60)} min ago` : seconds < 86400 ? `${Math.floor(seconds / 3600)} h ago` : `${Math.floor(seconds / 86400)} d ago`
  return h('time', { datetime: date.toISOString(), title: date.toLocaleString() }, ago)
}

/** `sha256:0123456789ab` (the full digest stays in the title and in what is copied). */
export function shortDigest(digest: string): string {
  return digest.length > 19 ? digest.slice(0, 19) : digest
}

/** A read-only field with a Copy button (clipboard when the page may use it, else the text is selected). */
export function copyField(label: string, value: string): HTMLElement {
  const input = h('input', { type: 'text', readonly: true, value, 'aria-label': label, class: 'copy-value', spellcheck: 'false' })
  const button = h('button', {
    type: 'button',
    class: 'copy',
    'aria-label': `Copy ${label}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value)
        button.textContent = 'Copied'
      } catch {
        input.select()
        button.textContent = 'Selected'
      }
      setTimeout(() => (button.textContent = 'Copy'), 1500)
    },
  }, 'Copy')
  return h('span', { class: 'copy-field' }, input, button)
}

/** A hash route: `#/repo/<name>` etc. Names are encoded whole (they contain `/`). */
export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`
}
