/**
 * Starts the same registry behind each adapter inside a small host app with routes of its own, on an
 * ephemeral loopback port. Shared by the adapter tests so every behaviour is checked everywhere.
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Registry } from '@wharf/core'
import { startRegistry, toFetchHandler } from '@wharf/http-adapter'
import { createExpressRouter } from '@wharf/http-adapter/express'
import { wharfFastify } from '@wharf/http-adapter/fastify'
import { createKoaMiddleware } from '@wharf/http-adapter/koa'
import express5 from 'express'
// @ts-expect-error -- express 4 installed under an alias, without types
import express4 from 'express4'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa3 from 'koa'
// @ts-expect-error -- koa 2 installed under an alias, without types
import Koa2 from 'koa2'

/** A host app serving the registry on a real port. */
export interface AdapterServer {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** `127.0.0.1:PORT` */
  address: string
  close(): Promise<void>
}

export interface AdapterCase {
  name: string
  /**
   * True when the host server, not wharf, turns the request line and Host header into the request
   * URL (a fetch handler gets a ready Web `Request`): malformed Hosts are then that server's to answer.
   */
  hostServerBuildsUrl?: boolean
  /**
   * Starts the app. `beforeRegistry` mounts a body-consuming middleware ahead of the registry (to
   * check the consumed-body answer); by default the app's body parser comes after the registry.
   */
  start(registry: Registry, options?: { beforeRegistry?: 'body-parser' }): Promise<AdapterServer>
}

/** What every host app answers on its own routes. */
export const OWN_ROUTE_TEXT = 'own route'

async function listening(server: Server): Promise<AdapterServer> {
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function expressCase(name: string, express: typeof express5): AdapterCase {
  return {
    name,
    async start(registry, options = {}) {
      const app = express()
      if (options.beforeRegistry) app.use(express.raw({ type: '*/*', limit: '64mb' }))
      app.use(createExpressRouter(registry))
      app.use(express.json())
      app.get('/own', (_req, res) => void res.send(OWN_ROUTE_TEXT))
      app.post('/own/json', (req, res) => void res.json({ got: req.body as unknown }))
      return listening(app.listen(0, '127.0.0.1'))
    },
  }
}

/** Reads the whole body as koa-bodyparser would, and leaves it on ctx.request.body. */
async function koaBodyParser(ctx: { req: AsyncIterable<Buffer>; request: { body?: unknown }; method: string }, next: () => Promise<unknown>) {
  if (ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH') {
    const parts: Buffer[] = []
    for await (const part of ctx.req) parts.push(part)
    const text = Buffer.concat(parts).toString()
    ctx.request.body = text === '' ? {} : text.startsWith('{') ? (JSON.parse(text) as unknown) : text
  }
  return next()
}

function koaCase(name: string, Koa: typeof Koa3): AdapterCase {
  return {
    name,
    async start(registry, options = {}) {
      const app = new Koa()
      if (options.beforeRegistry) app.use(koaBodyParser as never)
      app.use(createKoaMiddleware(registry))
      if (!options.beforeRegistry) app.use(koaBodyParser as never)
      app.use(async (ctx) => {
        if (ctx.path === '/own') ctx.body = OWN_ROUTE_TEXT
        else if (ctx.path === '/own/json') ctx.body = { got: (ctx.request as { body?: unknown }).body }
      })
      return listening(app.listen(0, '127.0.0.1'))
    },
  }
}

const fastifyCase: AdapterCase = {
  name: 'fastify 5 plugin',
  async start(registry) {
    const app = Fastify()
    await app.register(wharfFastify, { registry })
    app.get('/own', async () => OWN_ROUTE_TEXT)
    app.post('/own/json', async (request) => ({ got: request.body }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, close: () => app.close() }
  },
}

const honoCase: AdapterCase = {
  name: 'hono (fetch handler) on @hono/node-server',
  hostServerBuildsUrl: true,
  async start(registry) {
    const app = new Hono()
    const wharf = toFetchHandler(registry)
    app.all('/v2', (c) => wharf(c.req.raw))
    app.all('/v2/*', (c) => wharf(c.req.raw))
    app.get('/own', (c) => c.text(OWN_ROUTE_TEXT))
    app.post('/own/json', async (c) => c.json({ got: await c.req.json() }))
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
  },
}

const nodeHttpCase: AdapterCase = {
  name: 'node:http listener (baseline)',
  async start(registry) {
    const running = await startRegistry(registry)
    return {
      url: running.url,
      address: running.address,
      close: async () => {
        running.server.closeAllConnections()
        await running.close()
      },
    }
  },
}

/** Every framework adapter (not the bare node listener, which has its own suite). */
export const FRAMEWORK_ADAPTERS: AdapterCase[] = [
  expressCase('express 5 middleware', express5),
  expressCase('express 4 middleware', express4 as typeof express5),
  koaCase('koa 3 middleware', Koa3),
  koaCase('koa 2 middleware', Koa2 as typeof Koa3),
  fastifyCase,
  honoCase,
]

/** The framework adapters plus the bare node:http listener, for measurements against the baseline. */
export const ALL_ADAPTERS: AdapterCase[] = [nodeHttpCase, ...FRAMEWORK_ADAPTERS]
