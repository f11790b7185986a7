// A gossip stream that fails while its connection stays: gossipsub alone never opens it again,
// so two connected peers stop hearing each other's subscriptions; the links check mends it.

import assert from 'node:assert/strict'
import type { MurmurLibp2p } from '../../src/network/libp2p.js'
import { createGossipLinks, type GossipLinks } from '../../src/network/gossip-links.js'
import { waitFor } from '../helpers/cli-node.js'
import { startedNetwork } from '../helpers/memory-nodes.js'

/** What the test reads of gossipsub beyond its public type. */
interface Streams {
  streamsOutbound: Map<string, { rawStream: { abort: (err: Error) => void } }>
  peers: Map<string, unknown>
}

describe('integration: mending gossip links', function () {
  this.timeout(60_000)
  const TOPIC = 'murmur/1/tag/links'
  let a: MurmurLibp2p
  let b: MurmurLibp2p
  let links: GossipLinks | undefined

  const streams = (node: MurmurLibp2p): Streams => node.services.pubsub as unknown as Streams
  const knows = (node: MurmurLibp2p, peer: MurmurLibp2p): boolean =>
    node.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(peer.peerId))

  beforeEach(async () => {
    a = await startedNetwork('links-a')
    b = await startedNetwork('links-b')
    await a.dial(b.getMultiaddrs()[0])
    await waitFor('gossip streams both ways', () =>
      streams(a).streamsOutbound.has(b.peerId.toString()) && streams(b).streamsOutbound.has(a.peerId.toString()))
  })

  afterEach(async () => {
    links?.stop()
    links = undefined
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('opens a failed stream again on the same connection, and both peers learn each other\'s topics', async () => {
    // A's stream to B fails: B's read of it errs and B drops A from gossip, closing its own stream to A
    streams(a).streamsOutbound.get(b.peerId.toString())?.rawStream.abort(new Error('a stream failed in the test'))
    await waitFor('both streams gone, the connection still up', () =>
      !streams(a).streamsOutbound.has(b.peerId.toString()) && !streams(b).peers.has(a.peerId.toString()))
    assert.equal(a.getConnections(b.peerId).length, 1)

    a.services.pubsub.subscribe(TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    assert.ok(!knows(a, b) && !knows(b, a), 'a subscription crossed a link with no stream')

    // one side's check is enough: the stream it opens makes the other side open its own
    links = createGossipLinks({ libp2p: a, log: a.logger.forComponent('test:gossip-links'), intervalMs: 300 })
    links.start()
    await waitFor('each peer knows the other subscribes', () => knows(a, b) && knows(b, a), 20_000)
    assert.equal(links.mended(), 1)
    assert.equal(a.getConnections(b.peerId).length, 1, 'the link was mended by a new connection, not on the old one')
  })

  it('leaves a working link alone', async () => {
    links = createGossipLinks({ libp2p: a, log: a.logger.forComponent('test:gossip-links'), intervalMs: 200 })
    links.start()
    a.services.pubsub.subscribe(TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    await waitFor('each peer knows the other subscribes', () => knows(a, b) && knows(b, a))
    const before = Date.now()
    // the connection is left alone for four checks' time (0.8 s), then checked five times more
    await waitFor('nine checks have run', () => Date.now() - before > 1_800)
    assert.equal(links.mended(), 0)
  })
})
