// A relay's topic following and retention, on in-memory nodes: it joins the murmur topics its
// peers subscribe to and nothing else, stops at its limit, and trims history past its
// retention without that history coming back through sync.

import assert from 'node:assert/strict'
import { createMemoryNode, connect, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'
import { createMessage, uniformPolicy } from '../../src/post/index.js'
import { ed25519 } from '@noble/curves/ed25519.js'

/** Waits until `node`'s gossipsub knows `other` subscribes to the raw gossip topic, joined or not. */
async function seesSubscription (node: TestNode, other: TestNode, gossipTopic: string): Promise<void> {
  await waitFor(`${gossipTopic} subscription`, () => node.libp2p.services.pubsub.getSubscribers(gossipTopic).some(p => p.toString() === other.peerId))
}

describe('integration: a relay following its peers\' topics', function () {
  this.timeout(60_000)
  const nodes: TestNode[] = []

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => n.cleanup()))
  })

  it('follows valid murmur topics up to maxTopics, and ignores other gossip topics', async () => {
    const relay = await createMemoryNode({ allTopics: true, maxTopics: 3 })
    const member = await createMemoryNode({ join: ['tag:one', 'tag:two'] })
    nodes.push(relay, member)
    // names no murmur node would use: not canonical, or not murmur's at all
    for (const topic of ['murmur/1/tag/Upper', 'murmur/1/geo/toolong1', 'someone/else']) member.libp2p.services.pubsub.subscribe(topic)
    await connect(member, relay)
    await waitFor('the relay to follow both tags', () => ['tag:one', 'tag:two'].every(t => relay.topics().includes(t)))

    for (const topic of ['tag:three', 'tag:four', 'geo:u05k']) await member.join(topic)
    await waitFor('the relay to reach its limit', () => relay.topics().length === 3)
    // give the last subscriptions time to arrive: the limit must hold, not just be passed through
    await seesSubscription(relay, member, 'murmur/1/geo/u05k')
    assert.equal(relay.topics().length, 3)
    assert.ok(relay.topics().every(t => /^tag:(one|two|three|four)$/.test(t)), relay.topics().join(' '))
    // followed topics are joined for good: they survive a restart through the store
    assert.deepEqual((await relay.store.topics()).sort(), [...relay.topics()].sort())
  })

  it('a node that does not follow every topic joins only its own', async () => {
    const plain = await createMemoryNode({ join: ['tag:mine'] })
    const member = await createMemoryNode({ join: ['tag:mine', 'tag:other'] })
    nodes.push(plain, member)
    await connect(member, plain)
    await seesSubscription(plain, member, 'murmur/1/tag/other')
    assert.deepEqual(plain.topics(), ['tag:mine'])
  })

  it('a short retention neither fetches nor keeps posts older than it', async () => {
    const MINUTE = 60_000
    const topic = 'tag:kept'
    const now = Date.now()
    const make = async (createdAt: number, text: string): Promise<Uint8Array> => (await createMessage(
      { kind: 'post', text, tags: ['kept'], createdAt, expiresAt: now + 86_400_000 },
      ed25519.utils.randomSecretKey(), { pow: uniformPolicy(2) })).message.envelope
    const old = await make(now - 10 * MINUTE, 'ten minutes old')
    const recent = await make(now - MINUTE / 2, 'half a minute old')

    const keeper = await createMemoryNode({ join: [topic] })
    const relay = await createMemoryNode({ join: [topic], retentionMs: 5 * MINUTE, purgeIntervalMs: 1000 })
    nodes.push(keeper, relay)
    for (const envelope of [old, recent]) assert.equal((await keeper.ingestor.submit(envelope)).status, 'stored')

    // the relay's own sessions reconcile only its window: the old post is not fetched
    await connect(relay, keeper)
    await waitFor('the relay to see the keeper in the topic', () => relay.peers().some(p => p.topics.includes(topic)))
    const summary = await relay.syncTopic(topic)
    assert.equal(summary.ok, 1)
    assert.deepEqual((await relay.feed({ topic, sort: 'new' })).map(p => p.text), ['half a minute old'])

    // nor kept when it arrives anyway (the keeper's own session offers it; gossip could too)
    const refused = await relay.ingestor.submit(old)
    assert.deepEqual(refused.status === 'refused' && [refused.severity, refused.code], ['ignore', 'TOO_OLD'])
    await waitFor('the keeper\'s session with the relay', () => relay.sync.progress().completed >= 2)
    assert.equal(await relay.store.count(), 1)
    assert.equal((await keeper.store.count()), 2)
  })
})
