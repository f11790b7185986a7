// A topic that no connected peer shares is looked up again, each time after twice the wait of
// the time before: a node alone in its topic must not walk the DHT every few seconds for ever.
// A node with too few connections keeps looking at the first pace.

import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { createNetwork, type MurmurLibp2p } from '../../src/network/libp2p.js'
import { createTopicDiscovery, type TopicDiscovery } from '../../src/network/discovery.js'
import { waitFor } from '../helpers/cli-node.js'
import { createBareGossipNode, type BareGossipNode } from '../helpers/raw-peer.js'

describe('integration: discovery of a lonely topic backs off', function () {
  this.timeout(60_000)
  const BASE = 400
  let libp2p: MurmurLibp2p
  let discovery: TopicDiscovery
  const others: BareGossipNode[] = []
  afterEach(async () => {
    await discovery?.stop()
    await libp2p?.stop()
    await Promise.all(others.splice(0).map(async p => p.stop()))
  })

  /** A node joined to a topic nobody else has, its lookups' times recorded, with `peers` bare peers connected. */
  async function lonelyNode (peers: number, retries: number): Promise<number[]> {
    libp2p = await createNetwork({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/memory/backoff-${process.pid}-${Date.now()}`],
      announce: [],
      bootstrap: [],
      mdns: false,
      loopbackOnly: true,
      transports: [memory()]
    })
    await libp2p.start()
    for (let i = 0; i < peers; i++) {
      const peer = await createBareGossipNode({ listen: [`/memory/backoff-peer-${process.pid}-${Date.now()}-${i}`], transports: [memory()] })
      others.push(peer)
      await libp2p.dial(peer.getMultiaddrs()[0])
    }
    const lookups: number[] = []
    const findProviders = libp2p.contentRouting.findProviders.bind(libp2p.contentRouting)
    libp2p.contentRouting.findProviders = (...args) => {
      lookups.push(Date.now())
      return findProviders(...args)
    }
    discovery = createTopicDiscovery({
      libp2p,
      log: libp2p.logger.forComponent('test:discovery'),
      lonelyIntervalMs: BASE,
      lookupIntervalMs: 60_000,
      dialsPerLookup: 1,
      // a provide with no peer to send to waits for this; shorter than the first retry
      lookupTimeoutMs: 200
    })
    discovery.start()
    discovery.join('tag:alone')
    // the join's own lookup, then the retries; gap i is from lookup i to lookup i + 1
    await waitFor(`${retries} retries`, () => lookups.length > retries, 30_000)
    return lookups.slice(1, retries + 1).map((at, i) => at - lookups[i])
  }

  it('doubles the wait between lookups while the topic stays lonely', async () => {
    const gaps = await lonelyNode(1, 4)
    // retry k (k ≥ 1) waits at least BASE · 2^(k-1) after retry k-1; a late timer only adds
    for (let k = 2; k < gaps.length; k++) {
      assert.ok(gaps[k] >= BASE * 2 ** (k - 1) - 20, `gap ${k} was ${gaps[k]} ms: ${gaps.join(', ')}`)
    }
  })

  it('keeps the first wait while the node has fewer connections than a lookup dials', async () => {
    const gaps = await lonelyNode(0, 5)
    // doubling would make the last two gaps 4 and 8 × BASE; the slack is for late timers
    for (let k = 1; k < gaps.length; k++) {
      assert.ok(gaps[k] < 3.5 * BASE, `gap ${k} was ${gaps[k]} ms: ${gaps.join(', ')}`)
    }
  })
})
