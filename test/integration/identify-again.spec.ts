// A connection identify failed on at both ends is unknown to gossipsub and the DHT for as long
// as it lasts; identifying it again makes both hear of it.

import assert from 'node:assert/strict'
import type { SingleKadDHT } from '@libp2p/kad-dht'
import type { Startable } from '@libp2p/interface'
import type { MurmurLibp2p } from '../../src/network/libp2p.js'
import { createIdentifyAgain, type IdentifyAgain } from '../../src/network/identify-again.js'
import { waitFor } from '../helpers/cli-node.js'
import { startedNetwork } from '../helpers/memory-nodes.js'

/** Counts the node's identify runs and those that failed, the one libp2p starts as a connection opens among them. */
function identifyRuns (node: MurmurLibp2p): { runs: () => number, failures: () => number } {
  const service = node.services.identify
  const run = service.identify.bind(service)
  let runs = 0
  let failures = 0
  service.identify = async (...args) => {
    runs++
    return await run(...args).catch((err: Error) => { failures++; throw err })
  }
  return { runs: () => runs, failures: () => failures }
}

describe('integration: identifying a connection again', function () {
  this.timeout(60_000)
  const TOPIC = 'murmur/1/tag/identify'
  let a: MurmurLibp2p
  let b: MurmurLibp2p
  let again: IdentifyAgain[] = []

  const identify = (node: MurmurLibp2p): Startable => node.services.identify as unknown as Startable
  const knows = (node: MurmurLibp2p, peer: MurmurLibp2p): boolean =>
    node.services.pubsub.getSubscribers(TOPIC).some(p => p.equals(peer.peerId))
  // each node's only peer is the other
  const routingTableSize = (node: MurmurLibp2p): number => (node.services.dht as SingleKadDHT).routingTable.size
  const startAgain = (node: MurmurLibp2p, afterMs: number, attempts: number): IdentifyAgain => {
    const component = createIdentifyAgain({ libp2p: node, log: node.logger.forComponent('test:identify-again'), afterMs, attempts })
    component.start()
    again.push(component)
    return component
  }

  beforeEach(async () => {
    a = await startedNetwork('identify-a')
    b = await startedNetwork('identify-b')
  })

  afterEach(async () => {
    for (const component of again) component.stop()
    again = []
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('identifies again a connection identify failed on at both ends: gossipsub and the DHT hear of the peer', async () => {
    // identify unanswered at both ends while the connection opens, as on a node too busy to
    // answer it within its 5 s
    const runs = [identifyRuns(a), identifyRuns(b)]
    await Promise.all([identify(a).stop(), identify(b).stop()])
    const components = [startAgain(a, 500, 4), startAgain(b, 500, 4)]
    await a.dial(b.getMultiaddrs()[0])
    // the identify each end ran as the connection opened has failed (the other end did not speak it)
    await waitFor('identify failed at both ends', () => runs.every(r => r.failures() >= 1))
    a.services.pubsub.subscribe(TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    // while identify is stopped no attempt can succeed, so this is the state a failed identify leaves
    const peerStoreKnows = async (node: MurmurLibp2p, peer: MurmurLibp2p): Promise<boolean> =>
      await node.peerStore.get(peer.peerId).then(p => p.protocols.length > 0, () => false)
    assert.ok(!await peerStoreKnows(a, b) && !await peerStoreKnows(b, a), 'a peer was identified')
    assert.ok(a.services.pubsub.getPeers().length === 0 && b.services.pubsub.getPeers().length === 0, 'gossipsub heard of the connection')
    assert.deepEqual([routingTableSize(a), routingTableSize(b)], [0, 0], 'the DHT heard of the connection')

    await Promise.all([identify(a).start(), identify(b).start()])
    await waitFor('each peer knows the other subscribes, and has it in its routing table', () =>
      knows(a, b) && knows(b, a) && routingTableSize(a) === 1 && routingTableSize(b) === 1, 20_000)
    assert.deepEqual(components.map(c => c.identified()), [1, 1])
    assert.equal(a.getConnections(b.peerId).length, 1, 'the peers were linked by a new connection, not the old one')
  })

  it('leaves a connection identify completed on alone', async () => {
    const runs = [identifyRuns(a), identifyRuns(b)]
    const components = [startAgain(a, 100, 4), startAgain(b, 100, 4)]
    await a.dial(b.getMultiaddrs()[0])
    a.services.pubsub.subscribe(TOPIC)
    b.services.pubsub.subscribe(TOPIC)
    await waitFor('each peer knows the other subscribes', () => knows(a, b) && knows(b, a))
    const since = Date.now()
    // past all four attempts' times: 0.1 + 0.2 + 0.4 + 0.8 s
    await waitFor('the attempts\' times have passed', () => Date.now() - since > 2_000)
    assert.deepEqual(runs.map(r => r.runs()), [1, 1], 'identify ran again')
    assert.deepEqual(components.map(c => c.identified()), [0, 0])
  })

  it('gives up on a peer that does not speak identify after its attempts', async () => {
    const runs = identifyRuns(a)
    await identify(b).stop()
    const component = startAgain(a, 100, 3)
    await a.dial(b.getMultiaddrs()[0])
    await waitFor('identify\'s own run and three more failed', () => runs.failures() === 4)
    const since = Date.now()
    // twice the last gap (0.4 s), in which a fourth attempt would have run
    await waitFor('time for another attempt has passed', () => Date.now() - since > 800)
    assert.equal(runs.runs(), 4)
    assert.equal(component.identified(), 0)
    assert.equal(a.getConnections(b.peerId).length, 1, 'the connection was closed')
  })
})
