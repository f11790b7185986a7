// Mending gossip links: a connected peer that speaks gossipsub but has no stream from us
// never hears our subscriptions, so neither side counts the other as a member of any topic.

import type { MurmurLibp2p } from './libp2p.js'
import type { Connection, Logger, PeerId, Startable } from '@libp2p/interface'

export interface GossipLinksInit {
  libp2p: MurmurLibp2p
  log: Logger
  /** how often links are checked (default 15 s) */
  intervalMs?: number
}

export interface GossipLinks extends Startable {
  /** streams opened again so far */
  mended: () => number
}

/** Parts of the gossipsub instance that its public type does not show. */
interface GossipsubInternals {
  /** peer id → gossipsub's stream to that peer */
  streamsOutbound: Map<string, unknown>
  onPeerConnected: (peerId: PeerId, connection: Connection) => void
}

const GOSSIP_PROTOCOL = '/meshsub/'

/**
 * How many checks' time a connection is left to gossipsub first. It opens streams one peer at
 * a time, and a starting node's queue of them ran for most of a minute in a 50-node
 * simulation: mending connections of any age counted 308 links in one run and, on two
 * sightings 15 s apart, 146–147 in two others; every mend logged was on a node up for
 * 48–109 s, of a connection 17–57 s old that gossipsub's queue had yet to reach. A leaving
 * peer's stream also closes before its connection does.
 */
const MIN_AGE_CHECKS = 4

/**
 * Gossipsub opens its stream to a peer once, when the connection opens (or when the peer
 * opens one to it). If that fails (a negotiation that times out on a busy node), or the
 * stream later closes while the connection stays (the peer's read of it failed and it
 * dropped us), nothing opens it again while that connection lasts: our subscriptions, and
 * every one made later, never reach the peer, and discovery cannot see it: it skips
 * providers it is connected to. (In a 50-node simulation two groups of stable nodes in one
 * cell, each node connected to most others, stayed apart for a whole run; a lost stream would
 * explain it, docs/performance.md.) So a connection to a
 * gossipsub peer, open for MIN_AGE_CHECKS checks' time and found without our outbound stream
 * at two checks in a row, is handed to gossipsub as if it had just opened, which adds the
 * peer back and opens the stream (our subscriptions follow on it). Relayed connections are
 * left alone: gossipsub does not run on limited connections; so is a peer identify has not
 * completed with, whose protocols are unknown (identify-again.ts runs identify again, and the
 * registrar then tells gossipsub).
 */
export function createGossipLinks ({ libp2p, log, intervalMs = 15_000 }: GossipLinksInit): GossipLinks {
  const pubsub = libp2p.services.pubsub as unknown as GossipsubInternals
  let timer: ReturnType<typeof setInterval> | undefined
  let checking = false
  let mended = 0
  // connections found without our stream at the last check: a link is mended at the second
  let suspects = new Set<string>()

  async function speaksGossip (peer: PeerId): Promise<boolean> {
    try {
      return (await libp2p.peerStore.get(peer)).protocols.some(p => p.startsWith(GOSSIP_PROTOCOL))
    } catch {
      return false
    }
  }

  async function check (): Promise<void> {
    const now = Date.now()
    const lacking = libp2p.getConnections().filter(c =>
      c.status === 'open' && c.limits == null && now - c.timeline.open >= MIN_AGE_CHECKS * intervalMs && !pubsub.streamsOutbound.has(c.remotePeer.toString()))
    const before = suspects
    suspects = new Set(lacking.map(c => c.id))
    const done = new Set<string>()
    for (const connection of lacking) {
      const peer = connection.remotePeer.toString()
      if (!before.has(connection.id) || done.has(peer)) continue
      if (connection.status !== 'open' || pubsub.streamsOutbound.has(peer) || !await speaksGossip(connection.remotePeer)) continue
      done.add(peer)
      log('no gossip stream to %p on a connection open for %d s: opening it again', connection.remotePeer, Math.round((Date.now() - connection.timeline.open) / 1000))
      pubsub.onPeerConnected(connection.remotePeer, connection)
      mended++
    }
  }

  return {
    start () {
      timer = setInterval(() => {
        if (checking) return
        checking = true
        check().catch(err => { log('checking gossip links failed - %e', err) }).finally(() => { checking = false })
      }, intervalMs)
      timer.unref()
    },
    stop () {
      clearInterval(timer)
    },
    mended: () => mended
  }
}
