// Moderation through the HTTP API and the `murmur` CLI against an in-memory node: the routes of
// docs/api.md, their errors, and the CLI commands (including a negative hide-below).

import assert from 'node:assert/strict'
import { createApiServer, type ApiServer } from '../../src/api/server.js'
import { createMemoryNode, type TestNode } from '../helpers/memory-nodes.js'
import { runCli } from '../helpers/cli-node.js'

describe('integration: moderation API and CLI', function () {
  this.timeout(60_000)
  let node: TestNode
  let api: ApiServer
  let url: string
  let apiAddress: string

  async function call (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() }
  }

  before(async () => {
    node = await createMemoryNode()
    api = createApiServer({ node, listen: '127.0.0.1:0' })
    await api.start()
    url = api.url()
    apiAddress = url.replace('http://', '')
  })
  after(async () => {
    await api?.stop()
    await node?.cleanup()
  })

  it('sets and reads mutes, the threshold and followed moderators', async () => {
    const initial = await call('GET', '/api/moderation')
    assert.equal(initial.status, 200)
    assert.match(initial.body.moderatorId, /^[0-9a-f]{64}$/)
    assert.deepEqual(initial.body.mutes, { words: [], tags: [], pseudonyms: [] })
    assert.equal(initial.body.hideAtOrBelow, -5)

    assert.equal((await call('POST', '/api/moderation/mutes', { type: 'word', value: 'Spoiler' })).status, 201)
    const post = await call('POST', '/api/posts', { text: 'a big spoiler #films' })
    assert.equal((await call('POST', '/api/moderation/mutes', { type: 'pseudonym', value: post.body.id })).status, 201)
    let settings = (await call('GET', '/api/moderation')).body
    assert.deepEqual(settings.mutes.words, ['spoiler'])
    assert.equal(settings.mutes.pseudonyms.length, 1)
    assert.deepEqual((await call('GET', '/api/feed?topic=tag:films')).body.posts, [])
    settings = (await call('DELETE', `/api/moderation/mutes/pseudonym/${post.body.id}`)).body
    assert.deepEqual(settings.mutes.pseudonyms, [])
    settings = (await call('DELETE', '/api/moderation/mutes/word/spoiler')).body
    assert.deepEqual(settings.mutes.words, [])
    assert.equal((await call('GET', '/api/feed?topic=tag:films')).body.posts.length, 1)

    assert.equal((await call('PUT', '/api/moderation', { hideAtOrBelow: -2 })).body.hideAtOrBelow, -2)
    const mod = 'ab'.repeat(32)
    const followed = await call('POST', '/api/moderation/moderators', { id: mod, drop: ['spam'], warn: ['nsfw'] })
    assert.equal(followed.status, 201)
    assert.deepEqual(followed.body.moderators, [{ id: mod, actions: { spam: 'drop', nsfw: 'warn' } }])
    assert.ok(node.topics().includes(`mod:${mod}`), 'following joins the moderator topic')
    const unfollowed = await call('DELETE', `/api/moderation/moderators/${mod}`)
    assert.deepEqual(unfollowed.body.moderators, [])
    assert.ok(!node.topics().includes(`mod:${mod}`))
  })

  it('labels, reports and lists reports', async () => {
    const post = await call('POST', '/api/posts', { text: 'label me #api' })
    const label = await call('POST', '/api/moderation/labels', { target: post.body.id, label: 'nsfw' })
    assert.equal(label.status, 201)
    assert.deepEqual(label.body.targets, [post.body.id])
    const me = (await call('GET', '/api/moderation')).body.moderatorId
    assert.equal(label.body.moderator, me)
    const report = await call('POST', `/api/posts/${post.body.id}/reports`, { moderator: me, reason: 'spam', note: 'ads' })
    assert.equal(report.status, 201)
    const reports = await call('GET', '/api/moderation/reports')
    assert.deepEqual(reports.body.reports.map((r: any) => [r.target, r.reason, r.note]), [[post.body.id, 'spam', 'ads']])
    assert.equal((await call('GET', '/api/status')).body.moderation.reports, 1)
  })

  it('refuses bad moderation requests with clear codes', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/moderation/mutes', { type: 'colour', value: 'x' }, 'BAD_MUTE'],
      ['POST', '/api/moderation/mutes', { type: 'word', value: '...' }, 'BAD_MUTE'],
      ['POST', '/api/moderation/mutes', { type: 'tag', value: 'no spaces allowed' }, 'BAD_TAG'],
      ['PUT', '/api/moderation', { hideAtOrBelow: 3 }, 'BAD_THRESHOLD'],
      ['PUT', '/api/moderation', { hideAtOrBelow: 'low' }, 'BAD_THRESHOLD'],
      ['POST', '/api/moderation/moderators', { id: 'not-a-key' }, 'BAD_MODERATOR'],
      ['POST', '/api/moderation/moderators', { id: 'ab'.repeat(32), hide: ['boring'] }, 'BAD_LABEL'],
      ['POST', '/api/moderation/labels', { target: 'ab'.repeat(32), label: 'ugly' }, 'BAD_LABEL'],
      ['POST', '/api/moderation/labels', { targets: [], label: 'spam' }, 'BAD_TARGETS'],
      ['POST', '/api/moderation/labels', { targets: ['xyz'], label: 'spam' }, 'BAD_ID'],
      ['POST', `/api/posts/${'ab'.repeat(32)}/reports`, { moderator: 'cd'.repeat(32), reason: 'spam' }, 'NOT_FOUND']
    ]
    for (const [method, path, body, code] of cases) {
      const r = await call(method, path, body)
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${JSON.stringify(body)}: ${r.status}`)
      assert.equal(r.body.error.code, code, `${method} ${path} ${JSON.stringify(body)}`)
    }
  })

  it('drives it all from the murmur command', async () => {
    const base = ['--api', apiAddress]
    let r = await runCli(['mute', 'word', 'Lasagna', ...base])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /muted words\s+lasagna/)
    r = await runCli(['hide-below', '-3', ...base])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /score -3 or lower/)
    const mod = 'ef'.repeat(32)
    r = await runCli(['follow-mod', mod, '--drop', 'spam,hate', '--warn', 'nsfw', ...base])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /drop hate,spam|drop spam,hate/)
    r = await runCli(['mods', '--json', ...base])
    assert.deepEqual(JSON.parse(r.stdout).moderators, [{ id: mod, actions: { spam: 'drop', hate: 'drop', nsfw: 'warn' } }])
    r = await runCli(['unmute', 'word', 'lasagna', ...base])
    assert.match(r.stdout, /muted words\s+\(none\)/)
    const post = await call('POST', '/api/posts', { text: 'cli #moderation' })
    const me = (await call('GET', '/api/moderation')).body.moderatorId
    r = await runCli(['report', post.body.id, '--to', me, '--reason', 'hate', ...base])
    assert.equal(r.code, 0, r.stderr)
    r = await runCli(['label', post.body.id, 'spam', ...base])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /labelled .* spam/)
    r = await runCli(['reports', ...base])
    assert.match(r.stdout, /hate · .* post [0-9a-f]{64}/)
    r = await runCli(['label', post.body.id, 'boring', ...base])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /BAD_LABEL/)
  })
})
