// The local HTTP JSON API, Server-Sent Events and the web page, thin over a MurmurNode.
// Loopback by default; refuses any request whose Host or Origin is not its own, so no web
// page the user visits can drive it (CSRF) or reach it through a rebound DNS name.

import { createServer } from 'node:http'
import { BadRequestError, ForbiddenError, InvalidMessageError, NotFoundError, ConfigError, PayloadTooLargeError } from '../errors.js'
import { parseHostPort } from '../config.js'
import { createRouter, type Route } from './router.js'
import { serveStatic } from './static.js'
import { checkMuteType } from '../moderation/index.js'
import type { MurmurNode, FeedQuery } from '../node/types.js'
import type { IncomingMessage, ServerResponse, Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const MAX_BODY_BYTES = 64 * 1024
const BODY_TIMEOUT_MS = 10_000
const SSE_KEEPALIVE_MS = 15_000

export interface ApiServer {
  start(): Promise<void>
  stop(): Promise<void>
  /** `http://host:port`, known once started */
  url(): string
}

export interface ApiServerInit {
  node: MurmurNode
  /** `host:port`; port 0 picks a free one */
  listen: string
  /** folder of the built web page */
  webRoot?: string
  /**
   * A relay's admin interface: status, peers, topics, /health and /metrics, read only. No
   * posting and no web page, so it can face a monitoring network without speaking for anyone.
   */
  admin?: boolean
}

export function createApiServer ({ node, listen, webRoot, admin = false }: ApiServerInit): ApiServer {
  const { host, port } = parseHostPort(listen)
  let server: Server | undefined
  let allowedHosts = new Set<string>()
  const streams = new Set<ServerResponse>()

  const readOnly: Route[] = [
    ['GET', '/api/status', async () => [200, await node.status()]],
    ['GET', '/api/topics', async () => [200, { topics: node.topics() }]],
    ['GET', '/api/peers', async () => [200, { peers: node.peers() }]]
  ]
  const routes: Route[] = admin
    ? readOnly
    : [
        ...readOnly,
        ['GET', '/api/feed', async (_req, _params, url) => [200, { posts: await node.feed(feedQuery(url.searchParams)) }]],
        ['POST', '/api/posts', async (req) => [201, await node.post(postInput(await readJson(req)))]],
        ['GET', '/api/posts/:id', async (_req, { id }) => [200, await node.thread(id)]],
        ['DELETE', '/api/posts/:id', async (_req, { id }) => { await node.remove(id); return [200, { deleted: id }] }],
        ['POST', '/api/posts/:id/replies', async (req, { id }) => [201, await node.reply(id, text(await readJson(req)))]],
        ['POST', '/api/posts/:id/reactions', async (req, { id }) => [200, await node.react(id, reactionValue(await readJson(req)))]],
        ['POST', '/api/topics', async (req) => [201, { topic: await node.join(topicOf(await readJson(req))), topics: node.topics() }]],
        ['DELETE', '/api/topics/:topic', async (_req, { topic }) => [200, { topic: await node.leave(topic), topics: node.topics() }]],
        ['POST', '/api/sync', async (req) => [200, await node.syncTopic(topicOf(await readJson(req)))]],
        ...moderationRoutes(node)
      ]
  const route = createRouter(routes)

  const onPost = (evt: Event): void => {
    const data = `event: post\ndata: ${JSON.stringify((evt as CustomEvent).detail)}\n\n`
    for (const res of streams) res.write(data)
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkOrigin(req)
      const url = new URL(req.url ?? '/', 'http://murmur.invalid')
      if (req.method === 'GET' && url.pathname === '/metrics') {
        const { contentType, body } = await node.metrics()
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
        res.end(body)
        return
      }
      if (req.method === 'GET' && url.pathname === '/health') {
        sendJson(res, 200, { ok: true, peers: node.libp2p.getPeers().length })
        return
      }
      if (!admin && req.method === 'GET' && url.pathname === '/api/events') {
        openEventStream(res)
        return
      }
      if (url.pathname.startsWith('/api/')) {
        const [status, body] = await route(req, url)
        sendJson(res, status, body)
        return
      }
      if (admin || (req.method !== 'GET' && req.method !== 'HEAD')) throw new NotFoundError('no such page')
      await serveStatic(res, webRoot, url.pathname)
    } catch (err: any) {
      sendError(res, err)
    }
  }

  function checkOrigin (req: IncomingMessage): void {
    // an admin interface bound to every interface is scraped by whatever name reaches it;
    // it is read only, so there is nothing for a forged request to do
    if (admin && isWildcardHost(host)) return
    const hostHeader = req.headers.host
    if (hostHeader == null || !allowedHosts.has(hostHeader.toLowerCase())) {
      throw new ForbiddenError('this API answers only requests addressed to its own host and port', 'BAD_HOST')
    }
    const origin = req.headers.origin
    if (origin != null && !allowedHosts.has(origin.toLowerCase().replace(/^http:\/\//, ''))) {
      throw new ForbiddenError('cross-origin requests are refused', 'BAD_ORIGIN')
    }
  }

  function openEventStream (res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    })
    res.write(': murmur live posts\n\n')
    streams.add(res)
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS)
    res.on('close', () => {
      clearInterval(keepalive)
      streams.delete(res)
    })
  }

  return {
    async start () {
      // handle answers every error itself; should answering fail too, the request is dropped
      // rather than left as a rejection nobody handles, which would end the process
      server = createServer((req, res) => { handle(req, res).catch(() => { res.destroy() }) })
      server.requestTimeout = 30_000
      server.headersTimeout = 10_000
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject)
        server?.listen(port, host, () => { server?.off('error', reject); resolve() })
      })
      const bound = (server.address() as AddressInfo).port
      const names = [host, ...(isLoopbackHost(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [])]
      allowedHosts = new Set(names.map(h => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${bound}`.toLowerCase()))
      node.events.addEventListener('post', onPost)
    },
    async stop () {
      node.events.removeEventListener('post', onPost)
      for (const res of streams) res.end()
      streams.clear()
      if (server == null) return
      const s = server
      server = undefined
      s.closeAllConnections()
      await new Promise<void>(resolve => s.close(() => { resolve() }))
    },
    url () {
      const addr = server?.address() as AddressInfo | undefined
      if (addr == null) throw new Error('the API server is not started')
      const h = host.includes(':') ? `[${host}]` : host
      return `http://${h}:${addr.port}`
    }
  }
}

function isWildcardHost (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff'
  })
  res.end(data)
}

const STATUS: Array<[new (...args: any[]) => Error, number]> = [
  [BadRequestError, 400],
  [ConfigError, 400],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [PayloadTooLargeError, 413],
  // a well-formed request for a message the protocol refuses (too long, no topic, …)
  [InvalidMessageError, 422]
]

function statusOf (err: unknown): number {
  return STATUS.find(([type]) => err instanceof type)?.[1] ?? 500
}

function sendError (res: ServerResponse, err: any): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const status = statusOf(err)
  const body = status === 500
    ? { error: { code: 'INTERNAL', message: 'the node failed to handle this request' } }
    : { error: { code: err.code, message: err.message } }
  sendJson(res, status, body)
}

async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? ''
  // JSON only: a browser cannot send it cross-site without a preflight this server never grants
  if (!/^application\/json\b/i.test(type)) throw new BadRequestError('send a JSON body with content-type: application/json', 'BAD_CONTENT_TYPE')
  const chunks: Buffer[] = []
  let size = 0
  const timer = setTimeout(() => req.destroy(new BadRequestError('request body too slow', 'TIMEOUT')), BODY_TIMEOUT_MS)
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        req.resume()
        throw new PayloadTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`)
      }
      chunks.push(chunk as Buffer)
    }
  } finally {
    clearTimeout(timer)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequestError('the body is not valid JSON', 'BAD_JSON')
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new BadRequestError('the body must be a JSON object', 'BAD_JSON')
  return value as Record<string, unknown>
}

function text (body: Record<string, unknown>): string {
  if (typeof body.text !== 'string') throw new BadRequestError('text must be a string', 'BAD_TEXT')
  return body.text
}

function reactionValue (body: Record<string, unknown>): 1 | -1 {
  if (body.value !== 1 && body.value !== -1) throw new BadRequestError('value must be 1 or -1', 'BAD_REACTION')
  return body.value
}

function topicOf (body: Record<string, unknown>): string {
  if (typeof body.topic !== 'string') throw new BadRequestError('topic must be a string such as "tag:lyon" or "geo:u05k"', 'BAD_TOPIC')
  return body.topic
}

function optionalNumber (body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key]
  if (value == null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError(`${key} must be a number`, 'BAD_FIELD')
  return value
}

function postInput (body: Record<string, unknown>): Parameters<MurmurNode['post']>[0] {
  const tags = body.tags
  if (tags != null && (!Array.isArray(tags) || !tags.every(t => typeof t === 'string'))) throw new BadRequestError('tags must be a list of strings', 'BAD_TAG')
  if (body.geohash != null && typeof body.geohash !== 'string') throw new BadRequestError('geohash must be a string', 'BAD_GEOHASH')
  const input: Parameters<MurmurNode['post']>[0] = { text: text(body) }
  if (tags != null) input.tags = tags as string[]
  if (body.geohash != null) input.geohash = body.geohash as string
  for (const key of ['lat', 'lon', 'precision', 'ttlSeconds'] as const) {
    const value = optionalNumber(body, key)
    if (value != null) input[key] = value
  }
  return input
}

/** Personal and community moderation: see docs/moderation.md. */
function moderationRoutes (node: MurmurNode): Route[] {
  return [
    ['GET', '/api/moderation', async () => [200, node.moderationSettings()]],
    ['PUT', '/api/moderation', async (req) => {
      const body = await readJson(req)
      if (!('hideAtOrBelow' in body)) throw new BadRequestError('send { hideAtOrBelow: N }', 'BAD_THRESHOLD')
      return [200, await node.setHideAtOrBelow(body.hideAtOrBelow as number)]
    }],
    ['POST', '/api/moderation/mutes', async (req) => {
      const body = await readJson(req)
      return [201, await node.mute(checkMuteType(body.type), stringField(body, 'value', 'BAD_MUTE'))]
    }],
    ['DELETE', '/api/moderation/mutes/:type/:value', async (_req, { type, value }) => [200, await node.unmute(checkMuteType(type), value)]],
    ['POST', '/api/moderation/moderators', async (req) => [201, await node.followModerator(await readJson(req))]],
    ['DELETE', '/api/moderation/moderators/:id', async (_req, { id }) => [200, await node.unfollowModerator(id)]],
    ['POST', '/api/moderation/labels', async (req) => {
      const body = await readJson(req)
      const targets = typeof body.target === 'string' ? [body.target] : body.targets
      if (!Array.isArray(targets)) throw new BadRequestError('send { targets: [post ids], label } or { target, label }', 'BAD_TARGETS')
      return [201, await node.label(targets as string[], stringField(body, 'label', 'BAD_LABEL'))]
    }],
    ['GET', '/api/moderation/reports', async () => [200, { reports: await node.reports() }]],
    ['POST', '/api/posts/:id/reports', async (req, { id }) => {
      const body = await readJson(req)
      const note = body.note == null ? undefined : stringField(body, 'note', 'BAD_TEXT')
      return [201, await node.report(id, {
        moderator: stringField(body, 'moderator', 'BAD_MODERATOR'),
        reason: stringField(body, 'reason', 'BAD_REASON'),
        ...(note != null ? { note } : {})
      })]
    }]
  ]
}

function stringField (body: Record<string, unknown>, key: string, code: string): string {
  const value = body[key]
  if (typeof value !== 'string') throw new BadRequestError(`${key} must be a string`, code)
  return value
}

function feedQuery (params: URLSearchParams): FeedQuery {
  const query: FeedQuery = {}
  const sort = params.get('sort')
  if (sort != null) {
    if (sort !== 'hot' && sort !== 'new' && sort !== 'top') throw new BadRequestError('sort must be hot, new or top', 'BAD_SORT')
    query.sort = sort
  }
  const limit = params.get('limit')
  if (limit != null) {
    const n = Number(limit)
    if (!Number.isInteger(n) || n < 1 || n > 200) throw new BadRequestError('limit must be a whole number from 1 to 200', 'BAD_LIMIT')
    query.limit = n
  }
  const topic = params.get('topic')
  const near = params.get('near')
  if (topic != null && near != null) throw new BadRequestError('ask for a topic or near, not both', 'BAD_QUERY')
  if (topic != null) query.topic = topic
  if (near != null) {
    const match = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(near)
    if (match == null) throw new BadRequestError('near must be LAT,LON', 'BAD_COORDINATES')
    query.near = { lat: Number(match[1]), lon: Number(match[2]) }
    const precision = params.get('precision')
    if (precision != null) query.near.precision = Number(precision)
  }
  return query
}
