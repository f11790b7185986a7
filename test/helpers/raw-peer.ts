// Bare libp2p peers that speak gossipsub as murmur does on the wire (StrictNoSign, murmur's
// message ids) but run no murmur validation: the attackers of the tests and the baseline of
// the gossip benchmark, free to publish any bytes on any topic.

import { gossipsub, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { GOSSIP_WIRE, liveConnections, patchStreamStack } from '../../src/network/libp2p.js'
import { liveness } from '../../src/network/liveness.js'
import { noiseWholeFrames } from '../../src/network/noise-frames.js'
import { nodeLogger } from '../../src/network/quiet-logger.js'
import { waitFor } from './cli-node.js'
import { createMessage, decodeEnvelope, uniformPolicy } from '../../src/post/index.js'
import type { Identify } from '@libp2p/identify'
import type { Transport } from '@libp2p/interface'

export type BareGossipNode = Libp2p<{ identify: Identify, pubsub: GossipSub }>

export interface BareGossipOptions {
  /** one loopback TCP listener unless told otherwise */
  listen?: string[]
  transports?: Array<(components: any) => Transport>
  /** over murmur's wire settings */
  pubsub?: Partial<GossipsubOpts>
}

export async function createBareGossipNode (options: BareGossipOptions = {}): Promise<BareGossipNode> {
  // the same transport and liveness as murmur's nodes: the gossip benchmark's baseline differs only in murmur's own work
  patchStreamStack()
  return createLibp2p({
    addresses: { listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
    transports: options.transports ?? [tcp()],
    connectionEncrypters: [noiseWholeFrames()],
    ...liveConnections(),
    connectionGater: { denyDialMultiaddr: () => false },
    logger: nodeLogger(),
    services: {
      identify: identify(),
      liveness: liveness(),
      pubsub: gossipsub({
        ...GOSSIP_WIRE,
        ...options.pubsub
      })
    }
  })
}

export interface RawPeer {
  peerId: string
  dial(addr: string): Promise<void>
  publish(topic: string, data: Uint8Array): Promise<void>
  /** builds, signs and mines a genuine post with a throwaway key; returns its id */
  publishValid(topic: string, post: { text: string, tags: string[] }, powBits: number): Promise<string>
  /** an envelope received by gossip, by post id */
  seen(id: string): Uint8Array | undefined
  stop(): Promise<void>
}

export async function createRawPeer (topics: string[]): Promise<RawPeer> {
  // forget sent messages at once, so the peer can replay them
  const node = await createBareGossipNode({ pubsub: { seenTTL: 1 } })
  const seen = new Map<string, Uint8Array>()
  node.services.pubsub.addEventListener('message', (evt) => {
    try {
      seen.set(bytesToHex(sha256(decodeEnvelope(evt.detail.data).body)), evt.detail.data)
    } catch {}
  })
  for (const topic of topics) node.services.pubsub.subscribe(topic)
  return {
    peerId: node.peerId.toString(),
    async dial (addr) { await node.dial(multiaddr(addr)) },
    async publish (topic, data) { await node.services.pubsub.publish(topic, data) },
    async publishValid (topic, post, powBits) {
      const key = crypto.getRandomValues(new Uint8Array(32))
      const { message } = await createMessage({ kind: 'post', ...post }, key, { pow: uniformPolicy(powBits) })
      await node.services.pubsub.publish(topic, message.envelope)
      return message.id
    },
    seen: (id) => seen.get(id),
    async stop () { await node.stop() }
  }
}

/** A loaded machine resets the odd loopback connection: dial until it holds (or 20 s pass). */
export async function dialPersistently (from: Libp2p<any>, addr: string | Multiaddr): Promise<void> {
  let last: unknown
  await waitFor(`a connection to ${addr.toString()}`, async () => {
    try {
      await from.dial(typeof addr === 'string' ? multiaddr(addr) : addr)
      return true
    } catch (err) {
      last = err
      return false
    }
  }, 20_000).catch(() => { throw last })
}
