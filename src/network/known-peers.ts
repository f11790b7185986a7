// Known peers: a few peers of each joined topic, kept in the node's store, so that a restarted
// node dials them at once instead of finding its topics' peers again through the DHT.

import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { MurmurLibp2p } from './libp2p.js'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { connectedSubscribers } from './gossip.js'

export interface KnownPeer {
  id: string
  addrs: string[]
}

export interface KnownPeersInit {
  libp2p: MurmurLibp2p
  log: Logger
  /** topics joined now, API form */
  topics: () => string[]
  /** what `save` kept last (anything: a damaged value is ignored) */
  load: () => Promise<unknown>
  save: (peers: KnownPeer[]) => Promise<void>
  /** how often the list is saved while the node runs (default 60 s); it is saved at stop too */
  intervalMs?: number
}

export interface KnownPeers extends Startable {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** the peers the start dialled, and how many of them it reached once every dial has ended */
  dialled: () => KnownDials
}

export interface KnownDials {
  count: number
  reached: Promise<number>
}

/** Peers kept per topic, and in all: enough for a mesh to form at once, few enough to dial together. */
const PER_TOPIC = 4
const MAX_PEERS = 32
const MAX_ADDRS = 4

/**
 * A restarted node knew nobody but its bootstrap list: it found its topics' peers again by DHT
 * walks, which on a busy machine took tens of seconds (a 50-node simulation had a returning
 * node connected to none of its topics' peers 28 s after its start), and every post it made
 * meanwhile reached nobody until a sync. Its last connected subscribers are likely still
 * there. Discovery still runs: these dials only come first.
 */
export function createKnownPeers ({ libp2p, log, topics, load, save, intervalMs = 60_000 }: KnownPeersInit): KnownPeers {
  let timer: ReturnType<typeof setInterval> | undefined
  let dialled: KnownDials = { count: 0, reached: Promise.resolve(0) }

  /** Connected subscribers of the joined topics, a few per topic, with the addresses they listen on. */
  async function current (): Promise<KnownPeer[]> {
    const connected = new Set(libp2p.getConnections().filter(c => c.limits == null).map(c => c.remotePeer.toString()))
    const chosen = new Map<string, PeerId>()
    for (const topic of topics()) {
      for (const peer of connectedSubscribers(libp2p, topic, connected).slice(0, PER_TOPIC)) if (chosen.size < MAX_PEERS) chosen.set(peer.toString(), peer)
    }
    const out: KnownPeer[] = []
    for (const [id, peer] of chosen) {
      const addrs = await libp2p.peerStore.get(peer).then(p => p.addresses.map(a => a.multiaddr.toString()), () => [])
      if (addrs.length > 0) out.push({ id, addrs: addrs.slice(0, MAX_ADDRS) })
    }
    return out
  }

  async function keep (): Promise<void> {
    const peers = await current()
    // a node whose peers all left keeps the last list it had rather than none
    if (peers.length > 0) await save(peers)
  }

  /** What `load` gave, as peers and addresses; anything malformed is left out. */
  function parse (value: unknown): Array<{ peer: PeerId, addrs: Multiaddr[] }> {
    if (!Array.isArray(value)) return []
    const out: Array<{ peer: PeerId, addrs: Multiaddr[] }> = []
    for (const item of value.slice(0, MAX_PEERS)) {
      try {
        const { id, addrs } = item as KnownPeer
        const parsed = (addrs as unknown[]).slice(0, MAX_ADDRS).map(a => multiaddr(String(a)))
        out.push({ peer: peerIdFromString(String(id)), addrs: parsed })
      } catch {}
    }
    return out.filter(({ peer }) => !peer.equals(libp2p.peerId))
  }

  return {
    async start () {
      const known = parse(await load().catch(() => undefined))
      const dials = known.map(async ({ peer, addrs }) => await libp2p.peerStore.merge(peer, { multiaddrs: addrs })
        .then(async () => await libp2p.dial(peer))
        .then(() => true, err => {
          log('could not dial known peer %p - %e', peer, err)
          return false
        }))
      dialled = { count: known.length, reached: Promise.all(dials).then(ok => ok.filter(Boolean).length) }
      timer = setInterval(() => { keep().catch(err => { log('could not save known peers - %e', err) }) }, intervalMs)
      timer.unref()
    },
    async stop () {
      clearInterval(timer)
      await keep().catch(err => { log('could not save known peers - %e', err) })
    },
    dialled: () => dialled
  }
}
