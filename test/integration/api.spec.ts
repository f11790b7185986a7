// The HTTP API as a hostile web page or a careless script would meet it: Host and Origin
// checks, malformed bodies, unknown routes, bad parameters — each a clear 4xx, never a hang.

import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { createApiServer, type ApiServer } from '../../src/api/server.js'
import { createMemoryNode, type TestNode } from '../helpers/memory-nodes.js'

interface Raw { status: number, body: any }

function raw (url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Raw> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let parsed: any = text
        try { parsed = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, body: parsed })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('integration: HTTP API', function () {
  this.timeout(60_000)
  let node: TestNode
  let api: ApiServer
  let url: string
  const json = { 'content-type': 'application/json' }

  before(async () => {
    node = await createMemoryNode()
    api = createApiServer({ node, listen: '127.0.0.1:0' })
    await api.start()
    url = api.url()
  })
  after(async () => {
    await api?.stop()
    await node?.cleanup()
  })

  it('answers status in the documented shape', async () => {
    const r = await raw(url, 'GET', '/api/status')
    assert.equal(r.status, 200)
    assert.equal(r.body.peerId, node.peerId)
    assert.ok(Array.isArray(r.body.addresses) && r.body.addresses.every((a: string) => a.includes('/p2p/')))
    assert.deepEqual(r.body.topics, [])
    assert.equal(r.body.peers, 0)
    assert.equal(r.body.posts, 0)
    assert.equal(r.body.verify.threads, node.config.verifyThreads)
    assert.equal(r.body.verify.failedOver, 0)
  })

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (CSRF)', async () => {
    let r = await raw(url, 'GET', '/api/status', { host: 'evil.example:80' })
    assert.equal(r.status, 403)
    assert.equal(r.body.error.code, 'BAD_HOST')
    r = await raw(url, 'POST', '/api/posts', { ...json, origin: 'http://evil.example' }, JSON.stringify({ text: 'x #y' }))
    assert.equal(r.status, 403)
    assert.equal(r.body.error.code, 'BAD_ORIGIN')
    const port = new URL(url).port
    r = await raw(url, 'GET', '/api/status', { host: `localhost:${port}`, origin: `http://localhost:${port}` })
    assert.equal(r.status, 200)
  })

  it('gives a clear 4xx for malformed requests', async () => {
    const cases: Array<[string, string, Record<string, string>, string | undefined, number, string]> = [
      ['POST', '/api/posts', {}, '{"text":"x #y"}', 400, 'BAD_CONTENT_TYPE'],
      ['POST', '/api/posts', json, '{not json', 400, 'BAD_JSON'],
      ['POST', '/api/posts', json, '[1,2]', 400, 'BAD_JSON'],
      ['POST', '/api/posts', json, '{"text":42}', 400, 'BAD_TEXT'],
      ['POST', '/api/posts', json, '{"text":"hello"}', 400, 'NO_TOPIC'],
      ['POST', '/api/posts', json, '{"text":"hi","tags":"notalist"}', 400, 'BAD_TAG'],
      ['POST', '/api/posts', json, '{"text":"hi","tags":["a b"]}', 400, 'BAD_TAG'],
      ['POST', '/api/posts', json, '{"text":"hi","tags":["a","b","c","d","e","f"]}', 400, 'TOO_MANY_TAGS'],
      ['POST', '/api/posts', json, '{"text":"hi #x","lat":91,"lon":0}', 400, 'BAD_COORDINATES'],
      ['POST', '/api/posts', json, '{"text":"hi #x","ttlSeconds":99999999}', 400, 'BAD_TTL'],
      ['POST', '/api/posts', json, '{"text":"hi","geohash":"u0"}', 400, 'BAD_GEOHASH'],
      ['GET', '/api/feed?sort=best', {}, undefined, 400, 'BAD_SORT'],
      ['GET', '/api/feed?limit=0', {}, undefined, 400, 'BAD_LIMIT'],
      ['GET', '/api/feed?near=abc', {}, undefined, 400, 'BAD_COORDINATES'],
      ['GET', '/api/feed?topic=nope', {}, undefined, 400, 'BAD_TOPIC'],
      ['GET', '/api/posts/xyz', {}, undefined, 400, 'BAD_ID'],
      ['GET', `/api/posts/${'a'.repeat(64)}`, {}, undefined, 404, 'NOT_FOUND'],
      ['POST', `/api/posts/${'a'.repeat(64)}/reactions`, json, '{"value":2}', 400, 'BAD_REACTION'],
      ['POST', `/api/posts/${'a'.repeat(64)}/reactions`, json, '{"value":1}', 404, 'NOT_FOUND'],
      ['DELETE', `/api/posts/${'a'.repeat(64)}`, {}, undefined, 404, 'NOT_FOUND'],
      ['POST', '/api/topics', json, '{"topic":"geo:toolong"}', 400, 'BAD_TOPIC'],
      ['GET', '/api/nothing', {}, undefined, 404, 'NOT_FOUND'],
      ['PUT', '/api/status', {}, undefined, 400, 'METHOD_NOT_ALLOWED'],
      ['GET', '/api/posts/%E0%A4%A', {}, undefined, 400, 'BAD_PATH']
    ]
    for (const [method, path, headers, body, status, code] of cases) {
      const r = await raw(url, method, path, headers, body)
      assert.equal(r.status, status, `${method} ${path} ${body ?? ''}: ${JSON.stringify(r.body)}`)
      assert.equal(r.body.error.code, code, `${method} ${path} ${body ?? ''}`)
      assert.equal(typeof r.body.error.message, 'string')
      assert.ok(!/at .*\.js:\d+/.test(r.body.error.message), 'no stack trace')
    }
  })

  it('refuses a text over 1000 characters with the protocol rule', async () => {
    const r = await raw(url, 'POST', '/api/posts', json, JSON.stringify({ text: 'é'.repeat(1001), tags: ['long'] }))
    assert.equal(r.status, 422)
    assert.match(r.body.error.code, /TEXT/)
  })

  it('refuses an oversize body with 413 and keeps serving', async () => {
    const r = await raw(url, 'POST', '/api/posts', json, JSON.stringify({ text: 'x'.repeat(100_000) }))
    assert.equal(r.status, 413)
    assert.equal((await raw(url, 'GET', '/api/status')).status, 200)
  })

  it('creates a post that is durably stored before it answers', async () => {
    const r = await raw(url, 'POST', '/api/posts', json, JSON.stringify({ text: 'stored first #durable', lat: 48.8566, lon: 2.3522 }))
    assert.equal(r.status, 201, JSON.stringify(r.body))
    for (const key of ['id', 'kind', 'text', 'tags', 'geohash', 'createdAt', 'expiresAt', 'author', 'isMine', 'isOp', 'up', 'down', 'score', 'replies']) {
      assert.ok(key in r.body, `post JSON has ${key}`)
    }
    assert.equal(r.body.geohash, 'u09tv')
    assert.ok(await node.store.getEnvelope(r.body.id) != null)
    const topics = await raw(url, 'GET', '/api/topics')
    assert.deepEqual(topics.body.topics.sort(), ['geo:u09t', 'tag:durable'])
  })
})
