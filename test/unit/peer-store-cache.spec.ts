// The peer store's records kept in memory (src/network/peer-store-cache.ts): reads come from
// memory, merges that change nothing are not written, and the store still holds everything
// written to it: a libp2p node's own peer store, over a datastore that counts its calls.

import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p, type Libp2p } from 'libp2p'
import { createNetwork } from '../../src/network/libp2p.js'
import { cachePeerRecords } from '../../src/network/peer-store-cache.js'
import type { PeerId } from '@libp2p/interface'

class CountingDatastore extends MemoryDatastore {
  puts = 0
  gets = 0
  get (...args: Parameters<MemoryDatastore['get']>): ReturnType<MemoryDatastore['get']> {
    this.gets++
    return super.get(...args)
  }

  put (...args: Parameters<MemoryDatastore['put']>): ReturnType<MemoryDatastore['put']> {
    this.puts++
    return super.put(...args)
  }
}

describe('network: peer store records cached', function () {
  this.timeout(30_000)
  let node: Libp2p
  let datastore: CountingDatastore
  let peer: PeerId

  beforeEach(async () => {
    datastore = new CountingDatastore()
    node = await createLibp2p({ start: false, datastore })
    peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  })
  afterEach(async () => { await node.stop() })

  it('writes a protocol or address once, and anything new at once', async () => {
    cachePeerRecords(node.peerStore)
    await node.peerStore.merge(peer, { protocols: ['/a/1'], multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001')] })
    const first = datastore.puts
    for (let i = 0; i < 5; i++) await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    await node.peerStore.merge(peer, { multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peer.toString()}`)] })
    assert.equal(datastore.puts, first, 'merges of what the record holds are not written')
    await node.peerStore.merge(peer, { protocols: ['/b/1'] })
    await node.peerStore.merge(peer, { multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4002')] })
    assert.equal(datastore.puts, first + 2)
    const stored = await node.peerStore.get(peer)
    assert.deepEqual([...stored.protocols].sort(), ['/a/1', '/b/1'])
    assert.deepEqual(stored.addresses.map(a => a.multiaddr.toString()).sort(), ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002'])
  })

  it('writes again what a patch, a save or a delete took away, even while the merge was in flight', async () => {
    cachePeerRecords(node.peerStore)
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    await node.peerStore.patch(peer, { protocols: [] })
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    assert.deepEqual((await node.peerStore.get(peer)).protocols, ['/a/1'])

    await node.peerStore.save(peer, { protocols: ['/c/1'] })
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    assert.deepEqual([...(await node.peerStore.get(peer)).protocols].sort(), ['/a/1', '/c/1'])

    await node.peerStore.delete(peer)
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    assert.deepEqual((await node.peerStore.get(peer)).protocols, ['/a/1'])

    // the patch queues behind the merge's lock and empties the record after it: the merge's
    // result must not be remembered as the record
    await Promise.all([node.peerStore.merge(peer, { protocols: ['/d/1'] }), node.peerStore.patch(peer, { protocols: [] })])
    await node.peerStore.merge(peer, { protocols: ['/d/1'] })
    assert.deepEqual((await node.peerStore.get(peer)).protocols, ['/d/1'])
  })

  it('always writes tags and metadata, and refreshes a record older than refreshMs', async () => {
    cachePeerRecords(node.peerStore, { refreshMs: 0 })
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    const first = datastore.puts
    await node.peerStore.merge(peer, { protocols: ['/a/1'] })
    assert.equal(datastore.puts, first + 1, 'refreshMs 0: every merge is written')
    await node.peerStore.merge(peer, { tags: { mesh: { value: 10 } } })
    assert.equal((await node.peerStore.get(peer)).tags.get('mesh')?.value, 10)
  })

  it('answers reads from memory with a record of their own, and a write from the store again', async () => {
    cachePeerRecords(node.peerStore)
    await node.peerStore.merge(peer, { protocols: ['/a/1'], multiaddrs: [multiaddr('/ip4/127.0.0.1/tcp/4001')] })
    const gets = datastore.gets
    const first = await node.peerStore.get(peer)
    first.protocols.push('/mutated/1')
    first.addresses.pop()
    const info = await node.peerStore.getInfo(peer)
    assert.equal(datastore.gets, gets, 'read from memory')
    assert.deepEqual(info.multiaddrs.map(String), ['/ip4/127.0.0.1/tcp/4001'])
    assert.deepEqual((await node.peerStore.get(peer)).protocols, ['/a/1'], "a caller's changes stay its own")
    await node.peerStore.merge(peer, { tags: { mesh: { value: 10 }, brief: { value: 1, ttl: 20 } } })
    assert.deepEqual([...(await node.peerStore.get(peer)).tags.keys()].sort(), ['brief', 'mesh'])
    // a tag past its time is left out of a read from memory, as the store leaves it out
    const expired = Date.now() + 20
    while (Date.now() <= expired) await new Promise(resolve => setImmediate(resolve))
    const reads = datastore.gets
    assert.deepEqual([...(await node.peerStore.get(peer)).tags.keys()], ['mesh'])
    assert.equal(datastore.gets, reads, 'read from memory')
    await node.peerStore.patch(peer, { protocols: ['/b/1'] })
    assert.deepEqual((await node.peerStore.get(peer)).protocols, ['/b/1'])
    await node.peerStore.delete(peer)
    await assert.rejects(node.peerStore.get(peer), { name: 'NotFoundError' })
  })

  it('is installed on every murmur network', async () => {
    const network = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), listen: [], announce: [], bootstrap: [], mdns: false, loopbackOnly: true, transports: [] })
    try {
      assert.ok(Object.hasOwn(network.peerStore, 'merge'), 'the instance carries the skipping merge')
    } finally {
      await network.stop()
    }
  })
})
