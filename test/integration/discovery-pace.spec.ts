// How often and how much a node looks up its topics in the DHT. A topic that no connected
// peer shares is looked up again, each time after twice the wait of the time before: a node
// alone in its topic must not walk the DHT every few seconds for ever; a node with too few
// connections keeps looking at the first pace. A topic with enough connected peers is not
// looked up at all: each lookup is a DHT walk that leaves connections behind.

import assert from 'node:assert/strict'
import { memory } from '@libp2p/memory'
import type { MurmurLibp2p } from '../../src/network/libp2p.js'
import { createTopicDiscovery, topicCid, type TopicDiscovery, type TopicDiscoveryInit } from '../../src/network/discovery.js'
import { parseTopic, toGossipTopic } from '../../src/geo/index.js'
import { waitFor } from '../helpers/cli-node.js'
import { createBareGossipNode, type BareGossipNode } from '../helpers/raw-peer.js'
import { startedNetwork } from '../helpers/memory-nodes.js'

describe('integration: the pace of topic discovery', function () {
  this.timeout(60_000)
  const BASE = 400
  let libp2p: MurmurLibp2p
  let discovery: TopicDiscovery
  const others: BareGossipNode[] = []
  /** the CID each lookup asked for, in order */
  const lookupKeys: string[] = []
  afterEach(async () => {
    await discovery?.stop()
    await libp2p?.stop()
    await Promise.all(others.splice(0).map(async p => p.stop()))
  })

  /**
   * A node with `peers` bare peers connected, `subscribed` of them in `topic`, and a
   * discovery that has not joined anything yet; every lookup's time is recorded.
   */
  async function discoveringNode (topic: string, peers: number, subscribed: number, init: Partial<TopicDiscoveryInit> = {}): Promise<number[]> {
    libp2p = await startedNetwork('pace-node')
    const gossipName = toGossipTopic(parseTopic(topic))
    for (let i = 0; i < peers; i++) {
      const peer = await createBareGossipNode({ listen: [`/memory/pace-peer-${process.pid}-${Date.now()}-${i}`], transports: [memory()] })
      others.push(peer)
      if (i < subscribed) peer.services.pubsub.subscribe(gossipName)
      await libp2p.dial(peer.getMultiaddrs()[0])
    }
    await waitFor(`${subscribed} subscribers known`, () => libp2p.services.pubsub.getSubscribers(gossipName).length === subscribed)
    const lookups: number[] = []
    const findProviders = libp2p.contentRouting.findProviders.bind(libp2p.contentRouting)
    lookupKeys.length = 0
    libp2p.contentRouting.findProviders = (...args) => {
      lookups.push(Date.now())
      lookupKeys.push(args[0].toString())
      return findProviders(...args)
    }
    discovery = createTopicDiscovery({
      libp2p,
      log: libp2p.logger.forComponent('test:discovery'),
      lonelyIntervalMs: BASE,
      lookupIntervalMs: 60_000,
      dialsPerLookup: 1,
      // a provide with no peer to send to waits for this; shorter than the first retry
      lookupTimeoutMs: 200,
      ...init
    })
    discovery.start()
    return lookups
  }

  /**
   * Records each provide of the node's DHT and counts the peers that took a record. With
   * `firstHeld`, the first provide waits for it and reaches nobody, as a restarted node's
   * first walk can.
   */
  function watchProvides (firstHeld?: Promise<void>): { provides: number[], keys: string[], reached: () => number } {
    const dht = libp2p.services.dht
    const provide = dht.provide.bind(dht)
    const provides: number[] = []
    const keys: string[] = []
    let reached = 0
    dht.provide = async function * (...args) {
      provides.push(Date.now())
      keys.push(args[0].toString())
      if (firstHeld != null && provides.length === 1) {
        await firstHeld
        return
      }
      for await (const event of provide(...args)) {
        if (event.name === 'PEER_RESPONSE' && event.messageType === 'ADD_PROVIDER') reached++
        yield event
      }
    }
    return { provides, keys, reached: () => reached }
  }

  /** Gap i is from lookup i to lookup i + 1: the join's own lookup, then the retries. */
  async function lonelyGaps (peers: number, retries: number): Promise<number[]> {
    const lookups = await discoveringNode('tag:alone', peers, 0)
    discovery.join('tag:alone')
    await waitFor(`${retries} retries`, () => lookups.length > retries, 30_000)
    return lookups.slice(1, retries + 1).map((at, i) => at - lookups[i])
  }

  it('doubles the wait between lookups while the topic stays lonely', async () => {
    const gaps = await lonelyGaps(1, 4)
    // retry k (k ≥ 1) waits at least BASE · 2^(k-1) after retry k-1; a late timer only adds
    for (let k = 2; k < gaps.length; k++) {
      assert.ok(gaps[k] >= BASE * 2 ** (k - 1) - 20, `gap ${k} was ${gaps[k]} ms: ${gaps.join(', ')}`)
    }
  })

  it('keeps the first wait while the node has fewer connections than a lookup dials', async () => {
    const gaps = await lonelyGaps(0, 5)
    // doubling would make the last two gaps 4 and 8 × BASE; the slack is for late timers
    for (let k = 1; k < gaps.length; k++) {
      assert.ok(gaps[k] < 3.5 * BASE, `gap ${k} was ${gaps[k]} ms: ${gaps.join(', ')}`)
    }
  })

  it('sends a lonely topic\'s provider record until it reaches a peer, then only looks the topic up', async () => {
    const lookups = await discoveringNode('tag:alone', 0, 0, { lookupTimeoutMs: 1_000 })
    const { provides, reached } = watchProvides()
    discovery.join('tag:alone')
    await waitFor('three lookups with nobody to send the record to', () => lookups.length >= 3, 30_000)
    assert.ok(provides.length >= 3, `${provides.length} provides in ${lookups.length} lookups with no peer`)

    // a DHT peer (not in the topic, so the topic stays lonely) takes the next record
    const peer = await startedNetwork('pace-dht')
    try {
      await libp2p.dial(peer.getMultiaddrs()[0])
      await waitFor('the record reached the DHT peer', () => reached() > 0, 30_000)
      const providesThen = provides.length
      const lookupsThen = lookups.length
      await waitFor('two more lookups', () => lookups.length >= lookupsThen + 2, 30_000)
      assert.equal(provides.length, providesThen, 'the record was sent again after it had reached a peer')
    } finally {
      await peer.stop()
    }
  })

  it('lets a refresh under way finish before the first contacts send its record again', async () => {
    // lonely retries out of the way: only the join and the first-contacts round refresh
    const lookups = await discoveringNode('tag:first', 0, 0, { lonelyIntervalMs: 600_000, lookupTimeoutMs: 10_000 })
    let release = (): void => {}
    // the join's provide is slow and reaches nobody
    const { provides, reached } = watchProvides(new Promise<void>(resolve => { release = resolve }))
    discovery.join('tag:first')
    await waitFor('the join\'s refresh started', () => provides.length === 1 && lookups.length === 1)

    const peer = await startedNetwork('pace-first')
    try {
      await libp2p.dial(peer.getMultiaddrs()[0])
      const connectedAt = Date.now()
      // the first-contacts round is due 2 s after the connection
      await waitFor('the first-contacts round is due', () => Date.now() - connectedAt > 3_000)
      assert.deepEqual([provides.length, lookups.length], [1, 1], 'a second refresh started while the first was under way')
      release()
      await waitFor('the record the first refresh did not deliver was sent again, and reached the peer', () => reached() > 0, 30_000)
      assert.equal(provides.length, 2)
    } finally {
      release()
      await peer.stop()
    }
  })

  it('on a restart, sends a record its peers still hold only after the start, and looks the topic up at once', async () => {
    const sent = new Map<string, number>()
    // tag:back's record reached a peer an hour ago, in the node's last life; tag:new's never did
    const records = {
      sentAt: async (topic: string) => topic === 'tag:back' ? Date.now() - 3_600_000 : undefined,
      sent: (topic: string, at: number) => { sent.set(topic, at) }
    }
    // long enough that starting two nodes and a dial fit in it on a loaded CI machine (2 s did not)
    const quietMs = 8_000
    const startedAt = Date.now()
    const lookups = await discoveringNode('tag:back', 0, 0, { records, restartQuietMs: quietMs, lonelyIntervalMs: 600_000, lookupTimeoutMs: 5_000 })
    const { keys } = watchProvides()
    const peer = await startedNetwork('pace-back')
    try {
      await libp2p.dial(peer.getMultiaddrs()[0])
      discovery.join('tag:back')
      discovery.join('tag:new')
      await waitFor('both topics looked up, and tag:new\'s record with the peer', () => lookups.length >= 2 && sent.has('tag:new'))
      assert.ok(Date.now() - startedAt < quietMs, 'the start was over before the check: the test proves nothing')
      assert.deepEqual(keys, [(await topicCid('tag:new')).toString()], 'tag:back\'s record was sent during the start')
      await waitFor('tag:back\'s record with the peer after the start', () => sent.has('tag:back'))
      assert.ok((sent.get('tag:back') as number) - startedAt >= quietMs, 'tag:back\'s record went before the start was over')
      assert.equal(keys.length, 2)
    } finally {
      await peer.stop()
    }
  })

  it('on a restart with known peers, leaves its topics to them for a while, then looks up only one none of its peers shares', async () => {
    const waitMs = 1_500
    // the known peer is connected and in tag:shared
    const lookups = await discoveringNode('tag:shared', 1, 1, { knownPeers: () => ({ count: 1, reached: Promise.resolve(1) }), knownPeersWaitMs: waitMs })
    const startedAt = Date.now()
    let release = (): void => {}
    // tag:unshared's provide walk is still going when the wait ends: its lookup must not wait for it
    const { provides } = watchProvides(new Promise<void>(resolve => { release = resolve }))
    try {
      discovery.join('tag:unshared')
      discovery.join('tag:shared')
      await waitFor('tag:unshared looked up', () => lookups.length >= 1)
      assert.ok(lookups[0] - startedAt >= waitMs - 50, `a lookup ${lookups[0] - startedAt} ms after the start, before the known peers' time was over`)
      assert.equal(provides.length, 2, 'both topics\' records were to be sent at the join')
      release()
      // the lonely retries look tag:unshared up again; tag:shared is never looked up
      await waitFor('a lonely retry of tag:unshared', () => lookups.length >= 2)
      assert.deepEqual(new Set(lookupKeys), new Set([(await topicCid('tag:unshared')).toString()]))
    } finally {
      release()
    }
  })

  it('on a restart with known peers, ends the wait as soon as they cover every topic', async () => {
    // the known peer is connected, in no topic yet; the wait would last a minute
    const lookups = await discoveringNode('tag:soon', 1, 0, { knownPeers: () => ({ count: 1, reached: Promise.resolve(1) }), knownPeersWaitMs: 60_000 })
    discovery.join('tag:soon')
    others[0].services.pubsub.subscribe(toGossipTopic(parseTopic('tag:soon')))
    await waitFor('the known peer\'s subscription', () => libp2p.services.pubsub.getSubscribers(toGossipTopic(parseTopic('tag:soon'))).length === 1)
    // the wait is over: a topic joined now is looked up at once
    discovery.join('tag:later')
    await waitFor('tag:later looked up', () => lookups.length >= 1, 10_000)
    assert.deepEqual(new Set(lookupKeys), new Set([(await topicCid('tag:later')).toString()]))
  })

  it('on a restart whose known peers are all gone, looks its topics up as soon as their dials have failed', async () => {
    let fail = (): void => {}
    const reached = new Promise<number>(resolve => { fail = () => { resolve(0) } })
    const lookups = await discoveringNode('tag:gone', 0, 0, { knownPeers: () => ({ count: 2, reached }), knownPeersWaitMs: 60_000 })
    discovery.join('tag:gone')
    // the join's refresh ends with its provide walk, its lookup left to the known peers
    await discovery.refresh('tag:gone')
    assert.equal(lookups.length, 0, 'looked up while the known peers\' dials were under way')
    fail()
    await waitFor('tag:gone looked up', () => lookups.length >= 1, 10_000)
  })

  it('does not look up a topic that has the peers it wants, and looks up one short of them', async () => {
    const lookups = await discoveringNode('tag:busy', 4, 3, { topicPeers: 3 })
    assert.equal(await discovery.refresh('tag:busy'), 0)
    assert.equal(lookups.length, 0, 'a topic with three connected subscribers of the three wanted was looked up')
    // one more wanted than connected: the same topic is looked up (the bare peers run no DHT,
    // so the walk times out)
    await discovery.stop()
    discovery = createTopicDiscovery({ libp2p, log: libp2p.logger.forComponent('test:discovery'), lookupTimeoutMs: 200, topicPeers: 4 })
    discovery.start()
    await discovery.refresh('tag:busy').catch(() => {})
    assert.equal(lookups.length, 1, 'a topic short of one wanted peer was not looked up')
  })
})
