import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { axeViolations, contains } from './helpers/page-checks.js'
import { launchBrowser } from './helpers/browser.js'
import { skopeoPull, skopeoPush, writeImageLayout } from './helpers/images.js'
import { startUiServer, USERS, type UiServer } from './helpers/ui-server.js'

// The same user journeys with both kinds of auth: the UI presents the user's Basic credentials to
// htpasswd hooks, and with bearer-token hooks fetches tokens from the realm as docker does.
describe.each(['htpasswd', 'token'] as const)('the UI in Chromium, with %s auth', (mode) => {
  let server: UiServer
  let browser: Browser
  let closeBrowser: () => Promise<void>
  let layouts: string
  const admin = `admin:${USERS.admin}`

  beforeAll(async () => {
    server = await startUiServer({ auth: mode })
    layouts = await mkdtemp(join(tmpdir(), 'wharf-ui-layouts-'))
    await writeImageLayout(join(layouts, 'web'), '1.0', 'w')
    for (const target of ['team-a/web:1.0', 'team-a/web:stable', 'secret/app:1.0']) await skopeoPush(join(layouts, 'web'), '1.0', `${server.host}/${target}`, admin)
    ;({ browser, close: closeBrowser } = await launchBrowser())
  })
  afterAll(async () => {
    await closeBrowser?.()
    await server?.close()
    if (layouts) await rm(layouts, { recursive: true, force: true })
  })

  async function logIn(user: keyof typeof USERS, password: string = USERS[user]): Promise<Page> {
    const context = await browser.newContext()
    context.setDefaultTimeout(10_000)
    const page = await context.newPage()
    await page.goto(`${server.url}/ui/`)
    await page.getByLabel('User').fill(user)
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    return page
  }

  it('asks for credentials, refuses wrong ones, and passes axe-core on the login page', async () => {
    const page = await logIn('reader', 'wrong')
    await contains(page.getByRole('alert'), 'wrong user name or password')
    expect(await axeViolations(page)).toEqual([])
    const api = await fetch(`${server.url}/ui/api/repositories`)
    expect(api.status).toBe(401)
    await page.context().close()
  })

  it('shows a pull-only user what it may pull and offers no delete', async () => {
    const page = await logIn('reader')
    await contains(page.locator('caption'), '1 repository')
    expect(await page.locator('.repo-link').allTextContents()).toEqual(['team-a/web']) // not secret/app
    await contains(page.locator('header'), 'Logged in as reader')
    const cookies = await page.context().cookies()
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' })
    await page.click('.repo-link')
    await page.locator('.tag-link').first().waitFor()
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0)
    await page.click('.tag-link >> text=1.0')
    await page.locator('h2', { hasText: 'Layers' }).waitFor()
    expect(await page.getByRole('button', { name: /Delete/ }).count()).toBe(0)
    // Asked anyway (with the page's own CSRF token), the server refuses.
    const refused = await page.evaluate(async () => {
      const session = await (await fetch('/ui/api/session')).json()
      const r = await fetch('/ui/api/delete', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf }, body: JSON.stringify({ repository: 'team-a/web', tag: 'stable' }) })
      return r.status
    })
    expect(refused).toBe(403)
    await page.goto(`${server.url}/ui/#/repo/secret%2Fapp`)
    await contains(page.getByRole('alert'), 'no pull access')
    await page.context().close()
  })

  it('lets an admin delete one tag; deletes without the CSRF token are refused', async () => {
    const page = await logIn('admin')
    await page.goto(`${server.url}/ui/#/repo/${encodeURIComponent('team-a/web')}`)
    await page.locator('.tag-link').first().waitFor()
    const forged = await page.evaluate(async () => {
      const r = await fetch('/ui/api/delete', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repository: 'team-a/web', tag: '1.0' }) })
      return r.status
    })
    expect(forged).toBe(403)
    await page.getByRole('button', { name: 'Delete tag stable' }).click()
    await page.locator('dialog').getByRole('button', { name: 'Delete tag' }).click()
    await page.locator('.tag-link', { hasText: 'stable' }).waitFor({ state: 'detached' })
    expect(await skopeoPull(`${server.host}/team-a/web:1.0`, admin)).toBe(true)
    expect(await skopeoPull(`${server.host}/team-a/web:stable`, admin)).toBe(false)
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByLabel('User').waitFor()
    await page.context().close()
  })
})
