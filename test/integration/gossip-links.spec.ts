// A gossip stream that fails while its connection stays, or a connection that identify never
// completed on: gossipsub alone never opens a stream on it again, so two connected peers do
// not hear each other's subscriptions; the links check mends it.

import assert from 'node:assert/strict'
import type { Startable } from '@libp2p/interface'
import type { MurmurLibp2p } from '../../src/network/libp2p.js'
import { createGossipLinks, type GossipLinks } from '../../src/network/gossip-links.js'
import { waitFor } from '../helpers/cli-node.js'
import { startedNetwork } from '../helpers/memory-nodes.js'

/** What the test reads of gossipsub beyond its public type. */
interface Streams {
  streamsOutbound: Map<string, { rawStream: { abort: (err: Error) => void } }>
  peers: Map<string, unknown>
}

/** Counts the node's identify runs that fail, the one libp2p starts as a connection opens among them. */
function failedIdentifies (node: MurmurLibp2p): () => number {
  const service = node.services.identify
  const run = service.identify.bind(service)
  let failures = 0
  service.identify = async (...args) => await run(...args).catch((err: Error) => { failures++; throw err })
  return () => failures
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

  const linked = async (): Promise<void> => {
    await a.dial(b.getMultiaddrs()[0])
    await waitFor('gossip streams both ways', () =>
      streams(a).streamsOutbound.has(b.peerId.toString()) && streams(b).streamsOutbound.has(a.peerId.toString()))
  }

  beforeEach(async () => {
    a = await startedNetwork('links-a')
    b = await startedNetwork('links-b')
  })

  afterEach(async () => {
    links?.stop()
    links = undefined
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('opens a failed stream again on the same connection, and both peers learn each other\'s topics', async () => {
    await linked()
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

  it('identifies again a connection whose identify failed at both ends, and both peers learn each other\'s topics', async () => {
    // identify unanswered at both ends while the connection opens, as on a node too busy to
    // answer it within its 5 s
    const identify = (node: MurmurLibp2p): Startable => node.services.identify as unknown as Startable
    const failed = [failedIdentifies(a), failedIdentifies(b)]
    await Promise.all([identify(a).stop(), identify(b).stop()])
    await a.dial(b.getMultiaddrs()[0])
    // the identify each end ran as the connection opened has failed (the other end did not speak it)
    await waitFor('identify failed at both ends', () => failed.every(count => count() === 1))
    await Promise.all([identify(a).start(), identify(b).start()])
    a.services.pubsub.subscribe(TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    const peerStoreKnows = async (node: MurmurLibp2p, peer: MurmurLibp2p): Promise<boolean> =>
      await node.peerStore.get(peer.peerId).then(p => p.protocols.length > 0, () => false)
    assert.ok(!await peerStoreKnows(a, b) && !await peerStoreKnows(b, a), 'a peer was identified')
    assert.ok(!streams(a).peers.has(b.peerId.toString()) && !streams(b).peers.has(a.peerId.toString()), 'gossipsub heard of the connection')

    links = createGossipLinks({ libp2p: a, log: a.logger.forComponent('test:gossip-links'), intervalMs: 300 })
    links.start()
    await waitFor('each peer knows the other subscribes', () => knows(a, b) && knows(b, a), 20_000)
    assert.equal(links.mended(), 1)
    assert.equal(a.getConnections(b.peerId).length, 1, 'the link was mended by a new connection, not on the old one')
  })

  it('leaves a working link alone', async () => {
    await linked()
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
