// Several nodes in one process on the in-memory transport: gossip across hops, a post on
// two topics forwarded on both, near-me across a cell border, and expiry.

import assert from 'node:assert/strict'
import { bounds, encode } from '../../src/geo/index.js'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'

describe('integration: gossip between in-memory nodes', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []
  const make = async (join: string[]): Promise<TestNode> => {
    const node = await createMemoryNode({ join })
    nodes.push(node)
    return node
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => n.cleanup()))
  })

  it('carries a post, its reply and reactions across a line of four nodes', async () => {
    const line = await Promise.all([0, 1, 2, 3].map(async () => make(['tag:chain'])))
    for (let i = 0; i < 3; i++) await connect(line[i], line[i + 1])
    for (let i = 0; i < 3; i++) await waitForSubscribers(line[i], [line[i + 1]], 'tag:chain')
    const post = await line[0].post({ text: 'down the line', tags: ['chain'] })
    await waitFor('the post at the far end', async () => (await line[3].store.get(post.id)) != null)
    await line[3].reply(post.id, 'got it')
    await line[2].react(post.id, 1)
    await line[1].react(post.id, -1)
    for (const node of line) {
      await waitFor('counters everywhere', async () => {
        const { post: p, replies } = await node.thread(post.id)
        return p.up === 1 && p.down === 1 && p.replies === 1 && replies.length === 1
      })
    }
    // changing one's mind replaces the reaction rather than adding one
    await line[1].react(post.id, 1)
    for (const node of line) {
      await waitFor('the changed reaction everywhere', async () => {
        const { post: p } = await node.thread(post.id)
        return p.up === 2 && p.down === 0
      })
    }
  })

  it('forwards a post on each of its topics, so a node on the second topic only gets it', async () => {
    const x = await make(['tag:alpha'])
    const z = await make(['tag:alpha', 'tag:beta'])
    const y = await make(['tag:beta'])
    await connect(x, z)
    await connect(z, y)
    await waitForSubscribers(x, [z], 'tag:alpha')
    await waitForSubscribers(y, [z], 'tag:beta')
    await waitForSubscribers(z, [y], 'tag:beta')
    const post = await x.post({ text: 'two topics', tags: ['alpha', 'beta'] })
    await waitFor('the post on the beta-only node', async () => (await y.store.get(post.id)) != null)
  })

  it('shows a post 100 m across a cell border in near me', async () => {
    const node = await make([])
    const cell = bounds('u05kq')
    const lat = (cell.minLat + cell.maxLat) / 2
    const inside = { lat, lon: cell.maxLon - 0.0006 }
    const across = { lat, lon: cell.maxLon + 0.0006 }
    assert.equal(encode(inside.lat, inside.lon, 5), 'u05kq')
    assert.notEqual(encode(across.lat, across.lon, 5), 'u05kq')
    const post = await node.post({ text: 'just over the border', lat: across.lat, lon: across.lon })
    const near = await node.feed({ near: inside })
    assert.ok(near.some(p => p.id === post.id), 'the post across the border is near')
    assert.equal(near.find(p => p.id === post.id)?.distance, '< 5 km')
    const far = await node.feed({ near: { lat: 48.85, lon: 2.35 } })
    assert.ok(!far.some(p => p.id === post.id), 'and not near Paris')
  })

  it('never shows an expired post and purges it', async () => {
    const node = await make([])
    const post = await node.post({ text: 'short lived #ephemeral', ttlSeconds: 60 })
    assert.equal((await node.feed({ topic: 'tag:ephemeral' })).length, 1)
    const removed = await node.store.purge(post.expiresAt + 1)
    assert.ok(removed >= 1)
    assert.equal(await node.store.get(post.id), undefined)
    assert.equal((await node.feed({ topic: 'tag:ephemeral' })).length, 0)
  })
})
