import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (scripts/test.sh installs the `chromium` package); no browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Launches headless Chromium. The background-networking flags matter: without them Chromium
 * reaches out to update, sync and component servers, which this machine (and an air-gapped CI) refuses.
 * The profile is fresh each time: Playwright gives every launch its own temporary --user-data-dir
 * (it refuses the flag in `args`) and removes it on close.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    browser,
    async close() {
      await browser.close()
    },
  }
}
