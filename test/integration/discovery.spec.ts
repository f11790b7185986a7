// Topic discovery through the DHT: twelve nodes that know only one bootstrap node, three of
// them in a rare topic, find each other by the topic's provider records; the post among
// them reaches them and nobody else.

import assert from 'node:assert/strict'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'

describe('integration: topic discovery through the DHT', function () {
  this.timeout(180_000)
  const nodes: TestNode[] = []
  after(async () => { await Promise.all(nodes.map(async n => n.cleanup())) })

  it('lets the three members of tag:rare find each other among twelve nodes', async () => {
    const bootstrap = await createMemoryNode()
    nodes.push(bootstrap)
    const others: TestNode[] = []
    for (let i = 0; i < 11; i++) {
      // the bootstrap module takes only IP/DNS addresses; on the memory transport, dial it
      const node = await createMemoryNode({ join: i < 3 ? ['tag:rare'] : ['tag:common'] })
      nodes.push(node)
      await connect(node, bootstrap)
      others.push(node)
    }
    const rare = others.slice(0, 3)
    const rest = [bootstrap, ...others.slice(3)]
    await waitFor('every node connected to the bootstrap node', () => bootstrap.libp2p.getConnections().length >= 11)
    // the first round publishes provider records, the second finds them
    for (const node of rare) await node.discovery.refresh('tag:rare')
    await waitFor('the rare nodes connected to each other', async () => {
      for (const node of rare) await node.discovery.refresh('tag:rare')
      return rare.every(a => rare.every(b => a === b || a.libp2p.getConnections(b.libp2p.peerId).length > 0))
    }, 90_000)
    for (const node of rare) await waitForSubscribers(node, rare.filter(n => n !== node), 'tag:rare')

    const post = await rare[0].post({ text: 'only for the rare few', tags: ['rare'] })
    for (const node of rare.slice(1)) {
      await waitFor('the post among the rare nodes', async () => (await node.store.get(post.id)) != null)
    }
    // it was published on gossip seconds ago and has reached its topic: nobody else has it
    const carried = await Promise.all(rest.map(async n => n.store.has(post.id)))
    assert.deepEqual(carried, rest.map(() => false))
  })
})
