// A peer's gossip budget, against a real node on the in-memory transport: paid messages over
// budget are dropped without blame and forgotten, so the same message from another peer is
// still taken; unpaid ones over budget are rejected as they would be under it.

import assert from 'node:assert/strict'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import { createBareGossipNode, type BareGossipNode } from '../helpers/raw-peer.js'
import { createMessage, uniformPolicy } from '../../src/post/index.js'
import { createMemoryNode, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'
import type { Message } from '../../src/post/model.js'

const TOPIC = 'murmur/1/tag/budget'
let counter = 0

async function rawPeer (): Promise<BareGossipNode> {
  const peer = await createBareGossipNode({ listen: [`/memory/budget-${process.pid}-${++counter}`], transports: [memory()] })
  peer.services.pubsub.subscribe(TOPIC)
  return peer
}

describe('integration: a peer\'s gossip budget', function () {
  this.timeout(60_000)
  let node: TestNode
  const peers: BareGossipNode[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async p => p.stop()))
    await node?.cleanup()
  })

  async function connected (): Promise<BareGossipNode> {
    const peer = await rawPeer()
    peers.push(peer)
    await peer.dial(multiaddr(node.addresses()[0]))
    await waitFor('the node to see the peer subscribed', () => node.peers().some(p => p.peerId === peer.peerId.toString() && p.topics.includes('tag:budget')))
    await waitFor('the peer to see the node subscribed', () => peer.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(node.libp2p.peerId)))
    return peer
  }

  const score = (peer: Libp2p): number => node.peers().find(p => p.peerId === peer.peerId.toString())?.score ?? NaN

  it('drops paid messages over budget without blame, and takes them from another peer', async () => {
    node = await createMemoryNode({ join: ['tag:budget'], powBits: 0, gossipRate: 0.01, gossipBurst: 3 })
    const spammer = await connected()
    const key = crypto.getRandomValues(new Uint8Array(32))
    const posts: Message[] = []
    for (let i = 0; i < 10; i++) posts.push((await createMessage({ kind: 'post', text: `paid ${i}`, tags: ['budget'] }, key, { pow: uniformPolicy(0) })).message)
    for (const post of posts) await spammer.services.pubsub.publish(TOPIC, post.envelope)
    await waitFor('10 messages judged', async () => { const g = (await node.status()).gossip; return g.accepted + g.ignored === 10 })
    const { gossip } = await node.status()
    assert.equal(gossip.accepted, 3, JSON.stringify(gossip))
    assert.equal(gossip.limited, 7)
    assert.equal(gossip.rejected, 0)
    assert.equal(await node.store.count(), 3)
    assert.ok(score(spammer) >= 0, `no penalty for paid volume: ${score(spammer)}`)
    // the same dropped message from another peer: not a duplicate, since it was forgotten
    const other = await connected()
    await other.services.pubsub.publish(TOPIC, posts[9].envelope)
    await waitFor('the forgotten message taken from the other peer', async () => node.store.has(posts[9].id))
  })

  it('rejects unpaid messages over budget, so a flood still graylists its sender', async () => {
    node = await createMemoryNode({ join: ['tag:budget'], powBits: 12, gossipRate: 0.01, gossipBurst: 1 })
    const flooder = await connected()
    const key = crypto.getRandomValues(new Uint8Array(32))
    let sent = 0
    for (let i = 0; sent < 12; i++) {
      // no work, and far from the 8-bit floor (12 − 4): INSUFFICIENT_POW whatever the budget
      const { message } = await createMessage({ kind: 'post', text: `unpaid ${i}`, tags: ['budget'] }, key, { pow: uniformPolicy(0) })
      if (Number.parseInt(message.id.slice(0, 2), 16) >= 0x10) {
        await flooder.services.pubsub.publish(TOPIC, message.envelope)
        sent++
      }
    }
    await waitFor('12 messages judged', async () => (await node.status()).gossip.rejected === 12)
    assert.ok((await node.status()).gossip.limited >= 11)
    await waitFor('the flooder graylisted', () => score(flooder) < -80)
    assert.equal(await node.store.count(), 0)
  })
})
