// Liveness (src/network/liveness.ts): over real TCP on loopback, a connection whose peer answers
// yamux pings stays open and has its round trip recorded, with no ping-protocol stream opened;
// one whose peer stops answering is aborted once a ping goes unanswered for the timeout.

import assert from 'node:assert/strict'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { liveConnections } from '../../src/network/libp2p.js'
import { liveness } from '../../src/network/liveness.js'
import { noiseWholeFrames } from '../../src/network/noise-frames.js'
import { waitFor } from '../helpers/cli-node.js'
import type { Connection } from '@libp2p/interface'

const INTERVAL_MS = 240
const TIMEOUT_MS = 400
const PING_PROTOCOL = '/ipfs/ping/1.0.0'

/** murmur's muxer settings; pinging, unless told not to */
async function tcpNode (pings = true): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noiseWholeFrames()],
    ...liveConnections(),
    connectionGater: { denyDialMultiaddr: () => false },
    services: pings ? { liveness: liveness({ intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS }) } : undefined
  })
}

/** The muxer of a connection, which the public type does not show. */
function muxerOf (connection: Connection): { handlePing: (...args: unknown[]) => void, ping: () => Promise<number> } {
  return (connection as unknown as { muxer: any }).muxer
}

describe('network: liveness by yamux pings', function () {
  this.timeout(60_000)
  const nodes: Libp2p[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => n.stop())) })

  it('keeps a connection whose peer answers, timing it, without ping streams', async () => {
    const [a, b] = [await tcpNode(), await tcpNode()]
    nodes.push(a, b)
    let pingStreams = 0
    for (const node of [a, b]) await node.handle(PING_PROTOCOL, stream => { pingStreams++; stream.abort(new Error('counted')) })
    const connection = await a.dial(b.getMultiaddrs()[0])
    const pings = { sent: 0 }
    const muxer = muxerOf(connection)
    const send = muxer.ping.bind(muxer)
    muxer.ping = async (...args: unknown[]) => { pings.sent++; return await (send as (...a: unknown[]) => Promise<number>)(...args) }
    await waitFor('three pings answered', () => pings.sent >= 3 && connection.rtt !== undefined, 10_000)
    assert.equal(connection.status, 'open')
    assert.equal(b.getConnections(a.peerId).length, 1, 'the peer still holds the connection')
    assert.equal(pingStreams, 0, 'no stream was opened to ping')
  })

  it('aborts a connection whose peer stops answering pings', async () => {
    // the silent peer answers nothing: its muxer drops ping frames, and it pings nobody itself
    const [a, silent] = [await tcpNode(), await tcpNode(false)]
    nodes.push(a, silent)
    silent.addEventListener('connection:open', evt => { muxerOf(evt.detail).handlePing = () => {} })
    const connection = await a.dial(silent.getMultiaddrs()[0])
    const opened = Date.now()
    await waitFor('the silent peer\'s connection to end', () => connection.status !== 'open', 10_000)
    assert.equal(connection.status, 'aborted')
    assert.ok(Date.now() - opened >= TIMEOUT_MS, `closed after ${Date.now() - opened} ms, not before a ping timed out`)
    assert.equal(a.getConnections(silent.peerId).length, 0)
  })
})
