// libp2p assembly: transports, encryption, muxing, discovery, DHT and gossipsub configured
// for murmur (StrictNoSign, content-and-topic message ids). No murmur logic lives here.

import { createHash } from 'node:crypto'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { peerScoreParams, PEER_SCORE_THRESHOLDS } from './score.js'
import { renewYamuxWindowsAtHalf } from './yamux-window.js'
import { noiseWholeFrames } from './noise-frames.js'
import { cachePeerRecords } from './peer-store-cache.js'
import { decodeLengthPrefixesWithoutThrowing } from './length-prefix.js'
import { gatherSocketWrites } from './socket-writes.js'
import { liveness } from './liveness.js'
import type { GossipSub, GossipsubOpts, Message as GossipMessage } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Libp2p, PrivateKey, Transport, PeerDiscovery, ComponentLogger, Metrics, ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const DHT_PROTOCOL = '/murmur/kad/1.0.0'

export interface MurmurServices {
  pubsub: GossipSub
  identify: Identify
  ping: Ping
  dht: KadDHT
  /** only on a community relay */
  relay?: CircuitRelayService
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
  /** serve circuit-relay-v2 with at most this many reservations (a community relay) */
  relayReservations?: number
  /** replaces TCP + WebSockets (integration tests run on the in-memory transport) */
  transports?: Array<(components: any) => Transport>
  logger?: ComponentLogger
  metrics?: (components: any) => Metrics
  /** more connection rules (integration tests use it to hold a topology) */
  connectionGater?: ConnectionGater
}

const SEPARATOR = Uint8Array.of(0)

/**
 * The gossipsub message id: sha256(topic ‖ 0x00 ‖ data). Content-addressed so the same post
 * re-published by anyone dedupes, and topic-bound so a post on two topics travels on both.
 * Computed for every copy received, duplicates included: OpenSSL's SHA-256 rather than the
 * pure-JS one (4 % of a node's event loop in the gossip benchmark's profile).
 */
export function gossipMessageId (msg: GossipMessage): Uint8Array {
  const digest = createHash('sha256').update(msg.topic, 'utf8').update(SEPARATOR).update(msg.data).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

/**
 * What every murmur gossipsub speaks on the wire, whatever it validates: the bare peers of the
 * tests and the gossip benchmark's baseline use them too, so that they differ from a node only
 * in murmur's own work.
 */
export const GOSSIP_WIRE = {
  globalSignaturePolicy: 'StrictNoSign',
  msgIdFn: gossipMessageId,
  allowPublishToZeroTopicPeers: true,
  ignoreDuplicatePublishError: true,
  emitSelf: false,
  maxInboundDataLength: 64 * 1024
} as const satisfies Partial<GossipsubOpts>

export function isLoopback (addr: Multiaddr): boolean {
  for (const component of addr.getComponents()) {
    if (component.name === 'ip4') return component.value?.startsWith('127.') === true
    if (component.name === 'ip6') return component.value === '::1'
    if (component.name === 'dns' || component.name === 'dns4' || component.name === 'dns6' || component.name === 'dnsaddr') return component.value === 'localhost'
    if (component.name === 'memory') return true
  }
  return false
}

/**
 * The process-wide fixes to libp2p's stream stack (each file says why): every murmur node
 * applies them, and so do the bare gossipsub nodes the gossip benchmark compares it with.
 */
export function patchStreamStack (): void {
  renewYamuxWindowsAtHalf()
  decodeLengthPrefixesWithoutThrowing()
  gatherSocketWrites()
}

/**
 * Yamux without its keepalive and no connection monitor: liveness.ts pings each connection
 * instead (its `liveness()` service goes with this), and acts on silence where the keepalive's
 * pings went unchecked. When the monitor ran, every 10 s (libp2p's default) it opened a ping
 * stream on each of a node's ~35 connections, and one ping that took over its 5 s floor
 * aborted the connection: a node whose event loop was busy for a few seconds lost its mesh
 * (the simulation at 30 nodes on 2 cores). Liveness keeps the 60 s and 20 s that fixed this.
 * The benchmark's bare nodes use the same, so that their baseline differs in murmur's own work.
 */
export function liveConnections (): { streamMuxers: Array<ReturnType<typeof yamux>>, connectionMonitor: { enabled: false } } {
  return { streamMuxers: [yamux({ enableKeepAlive: false })], connectionMonitor: { enabled: false } }
}

export async function createNetwork (options: NetworkOptions): Promise<MurmurLibp2p> {
  patchStreamStack()
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (options.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: options.bootstrap, timeout: 0 }))
  if (options.mdns) peerDiscovery.push(mdns({ serviceTag: 'murmur.local' }))

  const node = await createLibp2p<MurmurServices>({
    privateKey: options.privateKey,
    start: false,
    addresses: { listen: options.listen, announce: options.announce },
    // every node can dial through a relay, and listen on one (`/p2p-circuit`) when it is
    // behind a NAT; the relayed connection is limited, so gossip and sync run over the
    // node's direct connection to the relay, which is its mesh peer
    transports: [...(options.transports ?? [tcp(), webSockets()]), circuitRelayTransport()],
    connectionEncrypters: [noiseWholeFrames()],
    ...liveConnections(),
    peerDiscovery,
    // libp2p admits 5 inbound connections a second per IP address: every local node of a
    // loopback network is one address, so DHT walks and bootstraps were refused
    ...(options.loopbackOnly ? { connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'] } } : {}),
    connectionGater: {
      ...options.connectionGater,
      ...(options.loopbackOnly
        ? { denyDialMultiaddr: (addr: Multiaddr) => !isLoopback(addr) }
        : { denyDialMultiaddr: () => false })
    },
    ...(options.logger != null ? { logger: options.logger } : {}),
    ...(options.metrics != null ? { metrics: options.metrics } : {}),
    services: {
      ...(options.relayReservations != null
        ? {
            // libp2p's default limits per relayed connection (2 min, 128 KiB) stay: enough to
            // identify, ping and hole-punch, too little to carry other people's traffic for free
            relay: circuitRelayServer({ reservations: { maxReservations: options.relayReservations } })
          }
        : {}),
      identify: identify(),
      // the DHT pings its contacts with it, and other libp2p nodes' connection monitors ping us;
      // two outbound streams, as when the connection monitor shared it with the DHT
      ping: ping({ maxOutboundStreams: 2 }),
      liveness: liveness(),
      // a private DHT: murmur peers only, addresses kept as they are so loopback and LAN work
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: false
      }),
      pubsub: gossipsub({
        ...GOSSIP_WIRE,
        // a post's validity is settled by gossip.ts, which also stores it and then reports the
        // verdict: gossipsub forwards on Accept, to mesh peers that have not sent it a copy
        asyncValidation: true,
        scoreParams: peerScoreParams(),
        scoreThresholds: { ...PEER_SCORE_THRESHOLDS }
      })
    }
  })
  cachePeerRecords(node.peerStore)
  return node
}

export { multiaddr }
