// A restarted node dials the topic peers it last knew, kept in its store: with no bootstrap
// list and no mDNS it would otherwise find nobody.

import assert from 'node:assert/strict'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'

describe('integration: known peers', function () {
  this.timeout(60_000)
  const nodes: TestNode[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.cleanup() })) })

  async function started (dataDir?: string): Promise<TestNode> {
    const node = await createMemoryNode({ join: ['tag:back'], ...(dataDir != null ? { dataDir } : {}) })
    nodes.push(node)
    return node
  }

  it('a node restarted on its data dir dials its topics\' peers at once, and they mesh again', async () => {
    const a = await started()
    const b = await started()
    const c = await started()
    await connect(a, b)
    await connect(a, c)
    await waitForSubscribers(a, [b, c], 'tag:back')
    const { dataDir } = a
    // the stop keeps the list (it is also kept every minute while the node runs)
    await a.stop()
    nodes.splice(nodes.indexOf(a), 1)

    const again = await started(dataDir)
    assert.equal(again.peerId, a.peerId)
    await waitForSubscribers(again, [b, c], 'tag:back')
    const post = await again.post({ text: 'back again', tags: ['back'] })
    await waitFor('the post on both peers', async () => (await b.store.get(post.id)) != null && (await c.store.get(post.id)) != null)
  })

  it('starts with a damaged list as with none', async () => {
    const a = await started()
    const { dataDir } = a
    await a.store.setSetting('network.knownPeers', [{ id: 'not a peer', addrs: ['/nonsense'] }, 42, null, { id: a.peerId, addrs: [] }])
    await a.stop()
    nodes.splice(nodes.indexOf(a), 1)
    const again = await started(dataDir)
    assert.equal(again.libp2p.getConnections().length, 0)
    assert.deepEqual(await again.store.getSetting('network.knownPeers'), [{ id: 'not a peer', addrs: ['/nonsense'] }, 42, null, { id: a.peerId, addrs: [] }])
  })
})
