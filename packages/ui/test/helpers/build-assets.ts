import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Vitest global setup: the handler serves the built front end (dist/assets), while tests run the
 * handler from source; so the front end is built first whenever a source is newer than the build.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs)))
  let built = 0
  try {
    built = Math.min(statSync(`${root}dist/assets/app.js`).mtimeMs, statSync(`${root}dist/assets/app.css`).mtimeMs)
  } catch {
    // not built yet
  }
  if (built >= newest(`${root}src`)) return
  execFileSync(`${root}../../node_modules/.bin/tsup`, [], { cwd: root, stdio: 'inherit' })
}
