import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import type * as Zlib from 'node:zlib'
import { SECURITY_HEADERS } from './http-util.js'

/** A static file held in memory, with its gzip form and ETag. */
interface Asset {
  type: string
  body: Uint8Array
  gzip: Uint8Array
  etag: string
}

/** The page and its two assets, loaded once. */
export interface Assets {
  /** Answers `GET`/`HEAD` for `index.html`, `app.js` or `app.css`; `undefined` for other names. */
  serve(name: string, request: Request): Response | undefined
  /** Bytes of app.js and app.css, raw and gzipped (for the README's size figure and a test). */
  sizes(): { raw: number; gzip: number }
}

/**
 * Where the built front end is: `dist/assets` beside the bundled `dist/index.js`, or the package's
 * `dist/assets` when this module runs from its TypeScript source (tests resolve @wharf/ui to src).
 */
export function findAssetsDir(): string {
  const candidates = [new URL('./assets/', import.meta.url), new URL('../../dist/assets/', import.meta.url)]
  for (const url of candidates) {
    const dir = fileURLToPath(url)
    if (existsSync(`${dir}app.js`)) return dir
  }
  throw new Error('@wharf/ui: the front end is not built (dist/assets/app.js missing); run `pnpm --filter @wharf/ui build`')
}

// node:zlib is loaded with the first asset, not with the module (see createUi: a server that never
// sees a browser should not pay for it).
const require = createRequire(import.meta.url)

function toAsset(type: string, body: Uint8Array): Asset {
  const { gzipSync } = require('node:zlib') as typeof Zlib
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag }
}

/** The HTML shell: no inline script or style, so the CSP can forbid both. */
function toIndexHtml(base: string, version: string): string {
  const b = base.replace(/[&"<>]/g, '')
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark">' +
    `<title>wharf registry</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${b}/assets/app.css?v=${version}">` +
    `<script src="${b}/assets/app.js?v=${version}" defer></script></head>` +
    `<body data-base="${b}"><noscript>This page needs JavaScript.</noscript></body></html>`
  )
}

/** Loads the built assets and renders the page for the mount path `base` (e.g. `/ui`). */
export function loadAssets(base: string, dir = findAssetsDir()): Assets {
  const js = toAsset('text/javascript; charset=utf-8', readFileSync(`${dir}app.js`))
  const css = toAsset('text/css; charset=utf-8', readFileSync(`${dir}app.css`))
  const version = (js.etag + css.etag).replace(/\W/g, '').slice(0, 12)
  const html = toAsset('text/html; charset=utf-8', new TextEncoder().encode(toIndexHtml(base, version)))
  const files = new Map<string, Asset>([['index.html', html], ['app.js', js], ['app.css', css]])
  return {
    serve(name, request) {
      const asset = files.get(name)
      if (!asset) return undefined
      // Assets are named by version in the page, so they may be cached for good; the page never is.
      const cache = name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable'
      const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': cache, Vary: 'Accept-Encoding' }
      if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
      const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
      const body = gzip ? asset.gzip : asset.body
      if (gzip) headers['Content-Encoding'] = 'gzip'
      headers['Content-Length'] = String(body.byteLength)
      return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers })
    },
    sizes: () => ({ raw: js.body.byteLength + css.body.byteLength, gzip: js.gzip.byteLength + css.gzip.byteLength }),
  }
}
