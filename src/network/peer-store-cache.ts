// The peer store's records, kept decoded in memory between writes: reads are answered from
// them, and merges that would change nothing are not written.
//
// libp2p merges the negotiated protocol into the peer store for every stream it opens or
// accepts (each DHT request, sync session and ping is a stream), and the DHT reads the record
// of each of the 20 closest peers it names in every reply. @libp2p/peer-store 12 answers a
// read by decoding the record and parsing its addresses, and a merge by taking the peer's
// lock, decoding, re-parsing and sorting, then encoding and writing the record back even when
// nothing changed: in a 50-node simulation the peer store was 8–16 % of a node's busy CPU.
// Remove this when the peer store keeps decoded records and skips unchanged writes itself.

import type { AbortOptions, Peer, PeerData, PeerId, PeerStore } from '@libp2p/interface'

export interface PeerCacheOptions {
  /**
   * how long a record is answered from memory; a skipped merge leaves the stored `updated`
   * time as it was, so a record older than this is written again and never looks stale to
   * the store's expiry
   */
  refreshMs?: number
  /** records kept, the oldest dropped first */
  maxPeers?: number
}

interface Known { peer: Peer, protocols: Set<string>, addrs: Set<string>, at: number }

const cached = new WeakSet<PeerStore>()

/** Idempotent per peer store. */
export function cachePeerRecords (peerStore: PeerStore, options: PeerCacheOptions = {}): void {
  if (cached.has(peerStore)) return
  cached.add(peerStore)
  const refreshMs = options.refreshMs ?? 60_000
  const maxPeers = options.maxPeers ?? 2_048
  const known = new Map<string, Known>()
  // writes in flight per peer: the store's lock runs them in order, so only the last to
  // finish saw the record as it now is, and a read while one runs may see it before
  const writing = new Map<string, number>()
  // a read that saw a write begin (any peer's: the count is cheaper than one per peer) is not kept
  let writesBegun = 0

  const fresh = (key: string): Known | undefined => {
    const entry = known.get(key)
    if (entry === undefined || Date.now() - entry.at < refreshMs) return entry
    known.delete(key)
    return undefined
  }
  const remember = (key: string, peer: Peer): Peer => {
    if (writing.has(key)) return peer
    known.delete(key)
    known.set(key, { peer, protocols: new Set(peer.protocols), addrs: new Set(peer.addresses.map(a => a.multiaddr.toString())), at: Date.now() })
    if (known.size > maxPeers) known.delete(known.keys().next().value as string)
    return peer
  }
  const write = async <T>(id: PeerId, run: () => Promise<T>): Promise<T> => {
    const key = id.toString()
    known.delete(key)
    writesBegun++
    writing.set(key, (writing.get(key) ?? 0) + 1)
    try {
      return await run()
    } finally {
      const left = (writing.get(key) ?? 1) - 1
      if (left > 0) writing.set(key, left)
      else writing.delete(key)
    }
  }

  const get = peerStore.get.bind(peerStore)
  const merge = peerStore.merge.bind(peerStore)
  const patch = peerStore.patch.bind(peerStore)
  const save = peerStore.save.bind(peerStore)
  const remove = peerStore.delete.bind(peerStore)

  // getInfo reads through get
  peerStore.get = async (id: PeerId, opts?: AbortOptions): Promise<Peer> => {
    const key = id.toString()
    const entry = fresh(key)
    if (entry !== undefined) return copyOf(entry.peer)
    const before = writesBegun
    const peer = await get(id, opts)
    return copyOf(before === writesBegun ? remember(key, peer) : peer)
  }
  peerStore.merge = async (id: PeerId, data: PeerData, opts?: AbortOptions): Promise<Peer> => {
    const key = id.toString()
    const entry = fresh(key)
    if (entry !== undefined && addsNothing(entry, data, key)) return copyOf(entry.peer)
    const peer = await write(id, async () => await merge(id, data, opts))
    return copyOf(remember(key, peer))
  }
  peerStore.patch = async (id, data, opts) => await write(id, async () => await patch(id, data, opts))
  peerStore.save = async (id, data, opts) => await write(id, async () => await save(id, data, opts))
  peerStore.delete = async (id, opts) => { await write(id, async () => { await remove(id, opts) }) }
}

/** Only protocols and addresses the record holds already (stored without their /p2p/ suffix). */
function addsNothing (entry: Known, data: PeerData, key: string): boolean {
  for (const [field, value] of Object.entries(data)) {
    if (value === undefined) continue
    if (field === 'protocols') {
      if (!(value as string[]).every(p => entry.protocols.has(p))) return false
    } else if (field === 'multiaddrs') {
      const suffix = `/p2p/${key}`
      for (const ma of value as Array<{ toString: () => string }>) {
        const addr = ma.toString()
        if (!entry.addrs.has(addr.endsWith(suffix) ? addr.slice(0, -suffix.length) : addr)) return false
      }
    } else {
      return false
    }
  }
  return true
}

/**
 * Each caller gets its own record, as from the store: some sort or extend what they get. Tags
 * past their expiry are left out, as the store leaves them out of every read.
 */
function copyOf (peer: Peer): Peer {
  const now = BigInt(Date.now())
  return {
    ...peer,
    addresses: peer.addresses.map(a => ({ ...a })),
    protocols: [...peer.protocols],
    metadata: new Map(peer.metadata),
    // the store's tags carry their expiry, which the interface's type does not show
    tags: new Map([...peer.tags].filter(([, tag]) => { const { expiry } = tag as { expiry?: bigint }; return expiry == null || expiry >= now }))
  }
}
