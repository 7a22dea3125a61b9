import { access, cp, mkdir, readFile, realpath, rm, symlink } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { setTimeout } from 'node:timers/promises'

/**
 * Copies the built wharf server (the package holding `cli`, and every @wharf/* package it depends
 * on, transitively: package.json and dist/) into `dir`, and links their other dependencies to where
 * the workspace installed them. Returns the path of the copied cli.
 *
 * Why: the checkout is shared, and a `tsup` build elsewhere empties dist/ for a moment. Without a
 * copy, a server started mid-rebuild fails, or worse, later servers in one run measure a different
 * build from earlier ones. Retries for a few seconds if an entry point is missing (a build in flight).
 */
export async function snapshotWharf(cli, dir) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await copyOnce(cli, dir)
    } catch (error) {
      if (attempt === 10) throw new Error(`cannot copy the built wharf server: ${error.message} (run \`pnpm run build\`)`)
      await setTimeout(1000)
    }
  }
}

async function copyOnce(cli, dir) {
  await rm(dir, { recursive: true, force: true })
  const serverRoot = await findPackageRoot(await realpath(cli))
  const modules = join(dir, 'node_modules')
  const copied = new Map() // package name → its copy's directory
  const linked = new Set()
  const queue = [serverRoot]
  while (queue.length) {
    const root = queue.shift()
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
    if (copied.has(manifest.name)) continue
    const target = join(modules, manifest.name)
    await mkdir(target, { recursive: true })
    await cp(join(root, 'package.json'), join(target, 'package.json'))
    await cp(join(root, 'dist'), join(target, 'dist'), { recursive: true })
    await assertEntryPoints(target, manifest)
    copied.set(manifest.name, target)
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const installed = await realpath(join(root, 'node_modules', name))
      if (name.startsWith('@wharf/')) queue.push(installed)
      else if (!linked.has(name)) {
        linked.add(name)
        await mkdir(dirname(join(modules, name)), { recursive: true })
        await symlink(installed, join(modules, name), 'dir')
      }
    }
  }
  return join(copied.get(JSON.parse(await readFile(join(serverRoot, 'package.json'), 'utf8')).name), relative(serverRoot, await realpath(cli)))
}

/** The package's main entry point must exist, or the copy caught a build half-done. */
async function assertEntryPoints(dir, manifest) {
  const main = manifest.exports?.['.']?.import ?? manifest.exports?.['.'] ?? manifest.main ?? './dist/index.js'
  if (typeof main === 'string') await access(join(dir, main))
}

async function findPackageRoot(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (await access(join(dir, 'package.json')).then(() => true, () => false)) return dir
  }
  throw new Error(`no package.json above ${file}`)
}
