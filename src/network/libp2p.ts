// libp2p assembly: transports, encryption, muxing, discovery, DHT and gossipsub configured
// for murmur (StrictNoSign, content-and-topic message ids). No murmur logic lives here.

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '@noble/hashes/sha2.js'
import { createLibp2p } from 'libp2p'
import type { GossipSub, Message as GossipMessage } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { Libp2p, PrivateKey, Transport, PeerDiscovery, ComponentLogger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const GOSSIP_PROTOCOLS = ['/meshsub/1.2.0', '/meshsub/1.1.0']
export const DHT_PROTOCOL = '/murmur/kad/1.0.0'

export interface MurmurServices {
  pubsub: GossipSub
  identify: Identify
  ping: Ping
  dht: KadDHT
  [key: string]: unknown
}

export type MurmurLibp2p = Libp2p<MurmurServices>

export interface NetworkOptions {
  privateKey: PrivateKey
  listen: string[]
  announce: string[]
  bootstrap: string[]
  mdns: boolean
  loopbackOnly: boolean
  /** replaces TCP + WebSockets (integration tests run on the in-memory transport) */
  transports?: Array<(components: any) => Transport>
  logger?: ComponentLogger
}

const encoder = new TextEncoder()

/**
 * The gossipsub message id: sha256(topic ‖ 0x00 ‖ data). Content-addressed so the same post
 * re-published by anyone dedupes, and topic-bound so a post on two topics travels on both.
 */
export function gossipMessageId (msg: GossipMessage): Uint8Array {
  const topic = encoder.encode(msg.topic)
  const input = new Uint8Array(topic.length + 1 + msg.data.length)
  input.set(topic, 0)
  input.set(msg.data, topic.length + 1)
  return sha256(input)
}

export function isLoopback (addr: Multiaddr): boolean {
  for (const component of addr.getComponents()) {
    if (component.name === 'ip4') return component.value?.startsWith('127.') === true
    if (component.name === 'ip6') return component.value === '::1'
    if (component.name === 'dns' || component.name === 'dns4' || component.name === 'dns6' || component.name === 'dnsaddr') return component.value === 'localhost'
    if (component.name === 'memory') return true
  }
  return false
}

export async function createNetwork (options: NetworkOptions): Promise<MurmurLibp2p> {
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (options.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: options.bootstrap, timeout: 0 }))
  if (options.mdns) peerDiscovery.push(mdns({ serviceTag: 'murmur.local' }))

  return createLibp2p<MurmurServices>({
    privateKey: options.privateKey,
    start: false,
    addresses: { listen: options.listen, announce: options.announce },
    transports: options.transports ?? [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionGater: options.loopbackOnly
      ? { denyDialMultiaddr: (addr: Multiaddr) => !isLoopback(addr) }
      : { denyDialMultiaddr: () => false },
    ...(options.logger != null ? { logger: options.logger } : {}),
    services: {
      identify: identify(),
      // two: the connection monitor's ping must not be refused while a DHT ping's stream closes
      ping: ping({ maxOutboundStreams: 2 }),
      // a private DHT: murmur peers only, addresses kept as they are so loopback and LAN work
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: true
      }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: gossipMessageId,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        // a post's validity is settled by the topic validator, which also stores it
        asyncValidation: false,
        maxInboundDataLength: 64 * 1024,
        // every peer of a loopback-only network shares 127.0.0.1: gossipsub's IP colocation
        // penalty (−5 × (peers − 10)²) graylisted them all from 14 nodes on, and the
        // 16-node simulation delivered nothing
        ...(options.loopbackOnly ? { scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1']) } } : {})
      })
    }
  })
}

export { multiaddr }
