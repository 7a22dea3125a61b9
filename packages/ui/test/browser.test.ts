import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from './helpers/browser.js'
import { axeViolations, contains } from './helpers/page-checks.js'
import { pushReferrer, skopeoPull, skopeoPush, writeImageLayout, writeIndexLayout } from './helpers/images.js'
import { startUiServer, type UiServer } from './helpers/ui-server.js'

// The README's screenshots: taken on every run (so they are known to render), written over docs/ only
// with WHARF_UI_SCREENSHOTS=1, so that a test run does not change tracked files.
const screenshots = process.env['WHARF_UI_SCREENSHOTS'] === '1' ? fileURLToPath(new URL('../docs/', import.meta.url)) : join(tmpdir(), 'wharf-ui-screenshots/')

describe('the UI in Chromium, without auth', () => {
  let server: UiServer
  let browser: Browser
  let closeBrowser: () => Promise<void>
  let layouts: string
  let webDigest: string
  const cspErrors: string[] = []

  beforeAll(async () => {
    server = await startUiServer()
    layouts = await mkdtemp(join(tmpdir(), 'wharf-ui-layouts-'))
    webDigest = await writeImageLayout(join(layouts, 'web'), '1.0', 'w')
    await writeIndexLayout(join(layouts, 'multi'), 'latest')
    await skopeoPush(join(layouts, 'web'), '1.0', `${server.host}/team-a/web:1.0`)
    await skopeoPush(join(layouts, 'web'), '1.0', `${server.host}/team-a/web:stable`)
    await skopeoPush(join(layouts, 'multi'), 'latest', `${server.host}/tools/multi:latest`)
    await skopeoPush(join(layouts, 'web'), '1.0', `${server.host}/team-b/api:2.0`)
    const head = await fetch(`${server.url}/v2/team-a/web/manifests/1.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
    await pushReferrer(server.url, 'team-a/web', { digest: webDigest, size: Number(head.headers.get('content-length')), mediaType: 'application/vnd.oci.image.manifest.v1+json' })
    ;({ browser, close: closeBrowser } = await launchBrowser())
  })
  afterAll(async () => {
    await closeBrowser?.()
    await server?.close()
    if (layouts) await rm(layouts, { recursive: true, force: true })
  })

  async function open(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 800 } })
    // Waits fail in seconds rather than Playwright's 30 s default.
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text())
    })
    await page.goto(`${server.url}/ui/`)
    await page.locator('h1', { hasText: 'Registry' }).waitFor()
    return page
  }

  it('serves the page with a CSP that forbids inline script and style, and no cookie without HttpOnly and SameSite', async () => {
    const page = await fetch(`${server.url}/ui/`)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const session = await fetch(`${server.url}/ui/api/session`)
    expect(session.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict$/)
    expect(await fetch(`${server.url}/`).then((r) => r.status)).toBe(404) // the bare registry: no redirect without the server
  })

  it('finds a repository by search, opens a tag and shows its layers, sizes and platforms, without counting as a pull', async () => {
    const pulls: string[] = []
    const stop = server.registry.events.on('pull', (event) => pulls.push(`${event.repository} ${event.target.digest}`))
    const page = await open()
    await contains(page.locator('.stats'), 'Repositories')
    await page.fill('#search', 'web')
    await contains(page.locator('caption'), 'matching “web”')
    expect(await page.locator('.repo-link').allTextContents()).toEqual(['team-a/web'])
    await page.click('.repo-link')
    const rows = page.locator('table.tags tbody tr')
    await rows.first().waitFor()
    expect(await page.locator('.tag-link').allTextContents()).toEqual(['1.0', 'stable'])
    await contains(rows.first(), 'linux/amd64')
    await contains(rows.first(), '7.29 kB') // config (243 bytes) + 2048 + 5000
    await page.click('.tag-link >> text=1.0')
    await page.locator('h2', { hasText: 'Layers' }).waitFor()
    const layers = await page.locator('table.descriptors').first().locator('tbody tr').allTextContents()
    expect(layers).toHaveLength(2)
    expect(layers.join()).toContain('2.05 kB')
    expect(layers.join()).toContain('5 kB')
    await contains(page.locator('main'), 'SEED=w')
    await contains(page.locator('main'), 'application/spdx+json') // the SBOM referrer, grouped by type
    await page.goto(`${server.url}/ui/#/repo/${encodeURIComponent('tools/multi')}`)
    await page.locator('.tag-link', { hasText: 'latest' }).waitFor()
    await contains(page.locator('table.tags tbody tr').first(), 'linux/amd64, linux/arm64')
    await page.context().close()
    stop()
    // Looking is not pulling: webhooks and retention's "pulled within" must not see UI views.
    expect(pulls).toEqual([])
  })

  it('deletes one of two tags of a digest; the other still pulls', async () => {
    const page = await open()
    await page.goto(`${server.url}/ui/#/repo/${encodeURIComponent('team-a/web')}`)
    await page.getByRole('button', { name: 'Delete tag stable' }).click()
    const dialog = page.locator('dialog')
    await contains(dialog, 'Only the tag stable goes')
    await contains(dialog, 'still tagged 1.0')
    await dialog.getByRole('button', { name: 'Delete tag' }).click()
    await page.locator('.tag-link', { hasText: 'stable' }).waitFor({ state: 'detached' })
    expect(await page.locator('.tag-link').allTextContents()).toEqual(['1.0'])
    expect(await skopeoPull(`${server.host}/team-a/web:1.0`)).toBe(true)
    expect(await skopeoPull(`${server.host}/team-a/web:stable`)).toBe(false)
    await page.context().close()
  })

  it('deletes a whole index by digest, after a confirmation naming its tags; the children stay listed by platform until then', async () => {
    const page = await open()
    await page.goto(`${server.url}/ui/#/manifest/${encodeURIComponent('tools/multi')}/latest`)
    await page.locator('h2', { hasText: 'Platforms' }).waitFor()
    const children = await page.locator('table.descriptors tbody th').allTextContents()
    expect(children).toEqual(['linux/amd64', 'linux/arm64'])
    await page.getByRole('button', { name: 'Delete manifest' }).click()
    const dialog = page.locator('dialog')
    await contains(dialog, 'Its tags go with it: latest.')
    await contains(dialog, 'Its child manifests stay')
    await dialog.getByRole('button', { name: 'Delete manifest' }).click()
    await page.locator('h1', { hasText: 'tools/multi' }).waitFor()
    await contains(page.locator('main'), 'No tags.')
    expect(await skopeoPull(`${server.host}/tools/multi:latest`)).toBe(false)
    await page.context().close()
  })

  it('works from the keyboard: / to search, Tab to a result, Enter to open, Escape to cancel a delete', async () => {
    const page = await open()
    await page.keyboard.press('/')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search')
    await page.keyboard.type('api')
    await contains(page.locator('caption'), 'matching “api”')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search') // typing is not interrupted
    const focused: string[] = []
    for (let i = 0; i < 10 && !focused.includes('repo-link'); i++) {
      await page.keyboard.press('Tab')
      focused.push(await page.evaluate(() => document.activeElement?.className ?? ''))
    }
    expect(focused).toContain('repo-link')
    await page.keyboard.press('Enter')
    await page.locator('h1', { hasText: 'team-b/api' }).waitFor()
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1')
    await page.getByRole('button', { name: 'Delete tag 2.0' }).focus()
    await page.keyboard.press('Enter')
    await page.locator('dialog[open]').waitFor()
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel') // Enter alone never deletes
    await page.keyboard.press('Escape')
    await page.locator('dialog').waitFor({ state: 'detached' })
    expect(await page.locator('.tag-link').allTextContents()).toEqual(['2.0'])
    await page.context().close()
  })

  it('passes axe-core (WCAG 2 A/AA) on every page, light and dark, and takes the README screenshots', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(scheme)
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `home-${scheme}.png`) })
      await page.goto(`${server.url}/ui/#/repo/${encodeURIComponent('team-a/web')}`)
      await page.locator('.tag-link').first().waitFor()
      expect(await axeViolations(page)).toEqual([])
      await page.locator('details.pull summary').first().click()
      await page.screenshot({ path: join(screenshots, `tags-${scheme}.png`) })
      await page.goto(`${server.url}/ui/#/manifest/${encodeURIComponent('team-a/web')}/1.0`)
      await page.locator('h2', { hasText: 'Layers' }).waitFor()
      expect(await axeViolations(page)).toEqual([])
      await page.screenshot({ path: join(screenshots, `manifest-${scheme}.png`), fullPage: true })
      await page.context().close()
    }
    expect(cspErrors).toEqual([])
  })
})
