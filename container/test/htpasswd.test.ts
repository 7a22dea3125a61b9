import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestImage, createDocker, freePort, pushedDigest, sh, waitHealthy, type Docker } from './helpers/docker.js'

let docker: Docker
beforeAll(async () => {
  docker = await createDocker()
})
afterAll(async () => {
  await docker.cleanUp()
})

describe('htpasswd from REGISTRY_AUTH=htpasswd and a mounted file', () => {
  // Invariant: with -e REGISTRY_AUTH=htpasswd and the file mounted, a push without login is refused
  // and nothing is stored; after `docker login` with a bcrypt entry of that file the push succeeds;
  // a wrong password cannot log in.
  it('refuses a push without login and accepts it after docker login', async () => {
    const port = await freePort()
    const auth = await docker.tempDir('auth')
    const entry = await sh('htpasswd', ['-Bbn', 'alice', 's3cret'])
    await import('node:fs/promises').then((fs) => fs.writeFile(join(auth, 'htpasswd'), entry.stdout, { mode: 0o644 }))
    const name = docker.track('container', `registry-auth-${port}`)
    await docker.run(['run', '-d', '--name', name, '--network', 'host', '-v', `${auth}:/auth:ro`,
      '-e', `REGISTRY_HTTP_ADDR=:${port}`, '-e', 'REGISTRY_AUTH=htpasswd',
      '-e', 'REGISTRY_AUTH_HTPASSWD_REALM=Registry Realm', '-e', 'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd',
      '-v', `${docker.track('volume', `auth-${port}`)}:/var/lib/registry`, docker.image])
    const base = `http://127.0.0.1:${port}`
    await waitHealthy(docker, name, `${base}/healthz`)

    const ref = `127.0.0.1:${port}/private/app:1`
    await buildTestImage(docker, ref, `htpasswd ${port}`)
    const refused = await docker.run(['push', ref], { allowFailure: true })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr + refused.stdout).toMatch(/no basic auth credentials|unauthorized|authentication required/i)
    expect((await fetch(`${base}/v2/private/app/tags/list`)).status).toBe(401)

    const wrong = await docker.run(['login', '-u', 'alice', '--password-stdin', `127.0.0.1:${port}`], { input: 'nope', allowFailure: true })
    expect(wrong.code).not.toBe(0)
    await docker.run(['login', '-u', 'alice', '--password-stdin', `127.0.0.1:${port}`], { input: 's3cret' })
    const digest = pushedDigest((await docker.run(['push', ref])).stdout)
    const tags = await fetch(`${base}/v2/private/app/tags/list`, {
      headers: { Authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` },
    })
    expect(await tags.json()).toEqual({ name: 'private/app', tags: ['1'] })
    await docker.run(['rmi', ref])
    await docker.run(['pull', `127.0.0.1:${port}/private/app@${digest}`])
    await docker.run(['logout', `127.0.0.1:${port}`])
    expect((await docker.run(['pull', ref], { allowFailure: true })).code).not.toBe(0)
  })
})
