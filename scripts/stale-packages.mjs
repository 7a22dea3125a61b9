// Prints the names (folders under packages/) of those given whose build is missing or older than
// anything it is built from (src/, package.json, tsup.config.ts), one per line. `npm start` builds only
// these, so a start without changes skips tsup entirely.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, mtime(join(entry.parentPath, entry.name)))
  }
  return latest
}

for (const name of process.argv.slice(2)) {
  const root = join('packages', name)
  const built = mtime(join(root, 'dist', 'index.js'))
  const source = Math.max(newest(join(root, 'src')), mtime(join(root, 'package.json')), mtime(join(root, 'tsup.config.ts')))
  if (built === 0 || source > built) console.log(name)
}
