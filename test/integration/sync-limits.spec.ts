// History sync's per-peer budgets between two in-memory nodes: sessions a peer may open a
// minute (RATE_LIMITED past them, no penalty), and bytes a responder sends a peer.

import assert from 'node:assert/strict'
import { defaultLogger } from '@libp2p/logger'
import { createSync, SyncRemoteError, type Sync, type SyncOptions } from '../../src/sync/index.js'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'

describe('integration: sync budgets per peer', function () {
  this.timeout(60_000)
  const nodes: TestNode[] = []
  const syncs: Sync[] = []

  async function node (options: Partial<SyncOptions>): Promise<{ node: TestNode, sync: Sync }> {
    const n = await createMemoryNode({ join: ['tag:budget'], powBits: 0 })
    nodes.push(n)
    await n.sync.stop()
    const sync = createSync({ libp2p: n.libp2p, store: n.store, ingestor: n.ingestor, log: defaultLogger().forComponent('murmur:sync'), topics: () => n.topics(), options: { intervalMs: 0, debounceMs: 60_000, ...options } })
    await sync.start()
    syncs.push(sync)
    return { node: n, sync }
  }

  afterEach(async () => {
    await Promise.all(syncs.splice(0).map(async s => s.stop()))
    await Promise.all(nodes.splice(0).map(async n => n.cleanup()))
  })

  it('refuses a peer its fourth session in a minute at 3 a minute, and serves others', async () => {
    const a = await node({ sessionsPerMinute: 3 })
    const b = await node({})
    const c = await node({})
    await connect(b.node, a.node)
    await connect(c.node, a.node)
    await waitForSubscribers(b.node, [a.node], 'tag:budget')
    await waitForSubscribers(c.node, [a.node], 'tag:budget')
    for (let i = 0; i < 3; i++) await b.sync.syncWithPeer(a.node.peerId, 'tag:budget')
    await assert.rejects(b.sync.syncWithPeer(a.node.peerId, 'tag:budget'), (err: any) => err instanceof SyncRemoteError && err.code === 'RATE_LIMITED')
    // c has its own budget, and b is not denied: a rate limit is no breach
    await c.sync.syncWithPeer(a.node.peerId, 'tag:budget')
    assert.equal(a.sync.deniedPeers().size, 0)
  })

  it('ends a session that would send a peer more than its byte budget, without penalty', async () => {
    const a = await node({ bytesOutPerMinute: 2_000 })
    const b = await node({})
    for (let i = 0; i < 40; i++) await a.node.post({ text: `budget post ${i} with some words to weigh it #budget` })
    await connect(b.node, a.node)
    await waitForSubscribers(b.node, [a.node], 'tag:budget')
    await assert.rejects(b.sync.syncWithPeer(a.node.peerId, 'tag:budget'))
    assert.ok((await b.node.store.count()) < 40, 'not everything was served')
    assert.equal(a.sync.deniedPeers().size, 0)
    // a's side ended on its own limit, which is no breach by b
    assert.ok(a.sync.progress().failed >= 1)
  })
})
