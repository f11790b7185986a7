// A topic that no connected peer shares is looked up again, each time after twice the wait of
// the time before: a node alone in its topic must not walk the DHT every few seconds for ever.

import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { createNetwork, type MurmurLibp2p } from '../../src/network/libp2p.js'
import { createTopicDiscovery, type TopicDiscovery } from '../../src/network/discovery.js'
import { waitFor } from '../helpers/cli-node.js'

describe('integration: discovery of a lonely topic backs off', function () {
  this.timeout(60_000)
  let libp2p: MurmurLibp2p
  let discovery: TopicDiscovery
  afterEach(async () => {
    await discovery?.stop()
    await libp2p?.stop()
  })

  it('doubles the wait between lookups while the topic stays lonely', async () => {
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
    const lookups: number[] = []
    const findProviders = libp2p.contentRouting.findProviders.bind(libp2p.contentRouting)
    libp2p.contentRouting.findProviders = (...args) => {
      lookups.push(Date.now())
      return findProviders(...args)
    }
    const base = 400
    discovery = createTopicDiscovery({
      libp2p,
      log: libp2p.logger.forComponent('test:discovery'),
      lonelyIntervalMs: base,
      lookupIntervalMs: 60_000,
      // a provide with no peer to send to waits for this; shorter than the first retry
      lookupTimeoutMs: 200
    })
    discovery.start()
    discovery.join('tag:alone')
    // the join's own lookup, then four retries
    await waitFor('five lookups', () => lookups.length >= 5, 30_000)
    const gaps = lookups.slice(1, 5).map((at, i) => at - lookups[i])
    // retry k (k ≥ 1) waits at least base · 2^(k-1) after retry k-1; a late timer only adds
    for (let k = 2; k < gaps.length; k++) {
      assert.ok(gaps[k] >= base * 2 ** (k - 1) - 20, `gap ${k} was ${gaps[k]} ms: ${gaps.join(', ')}`)
    }
  })
})
