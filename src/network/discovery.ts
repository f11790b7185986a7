// Topic discovery through the DHT: a node provides one CID per joined topic and looks up
// that CID's providers to dial peers of the same topic, so a rare #tag finds its few
// members without anyone knowing the whole network.

import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { MessageType } from '@libp2p/kad-dht'
import { parseTopic, topicCidKey } from '../geo/index.js'
import { connectedPeers, connectedSubscribers } from './gossip.js'
import type { MurmurLibp2p } from './libp2p.js'
import type { KnownDials } from './known-peers.js'
import type { Logger } from '@libp2p/interface'

export interface TopicDiscoveryInit {
  libp2p: MurmurLibp2p
  log: Logger
  /** how often joined topics are looked up again (the DHT itself re-provides) */
  lookupIntervalMs?: number
  /** providers dialled per topic and lookup, at most */
  dialsPerLookup?: number
  /**
   * connected peers of a topic a node is content with: a lookup dials only what the topic
   * lacks of it, and a topic that has it is not looked up at all
   */
  topicPeers?: number
  /** give up a lookup after this long */
  lookupTimeoutMs?: number
  /**
   * the first retry of a joined topic that no connected peer subscribes to; each retry that
   * leaves it lonely doubles the wait, up to lookupIntervalMs
   */
  lonelyIntervalMs?: number
  /**
   * When this node's record of a topic last reached a peer, kept across restarts: a record
   * sent within RECENT_RECORD_MS is still held by the peers that took it
   */
  records?: ProviderRecords
  /** how long after start a topic whose record is recent waits for its provide walk */
  restartQuietMs?: number
  /** the peers a restart dialled before discovery started, known from its last run (known-peers.ts) */
  knownPeers?: () => KnownDials
  /** how long at most a start with known peers leaves its topics to them before looking any up */
  knownPeersWaitMs?: number
}

export interface ProviderRecords {
  sentAt(topic: string): Promise<number | undefined>
  sent(topic: string, at: number): void
}

/** Half of the DHT's 48 h provider validity: a record sent since is surely still held. */
const RECENT_RECORD_MS = 24 * 60 * 60_000

export interface TopicDiscovery {
  start(): void
  stop(): Promise<void>
  join(topic: string): void
  leave(topic: string): Promise<void>
  /** provide (unless its record has reached a peer already) and look up now; settles when both are done (tests, and a freshly joined topic) */
  refresh(topic: string): Promise<number>
  /** the DHT walks this node's discovery started since its start, by kind */
  walks(): DiscoveryWalks
}

export interface DiscoveryWalks {
  provide: number
  lookup: number
}

/** The CID a topic is provided under: raw sha256 of `murmur/1/topic/<topic>` (see protocol.md). */
export async function topicCid (topic: string): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(topicCidKey(parseTopic(topic))))
  return CID.createV1(raw.code, digest)
}

export function createTopicDiscovery (init: TopicDiscoveryInit): TopicDiscovery {
  const { libp2p, log } = init
  const interval = init.lookupIntervalMs ?? 5 * 60_000
  const dialsPerLookup = init.dialsPerLookup ?? 6
  const topicPeers = init.topicPeers ?? 8
  const timeout = init.lookupTimeoutMs ?? 60_000
  const lonelyInterval = init.lonelyIntervalMs ?? 15_000
  const restartQuiet = init.restartQuietMs ?? 60_000
  const knownPeersWait = init.knownPeersWaitMs ?? 15_000
  // true from a start with known peers until each topic has a connected subscriber, or knownPeersWait later (see lookup)
  let awaitingKnown = false
  let knownTimer: ReturnType<typeof setTimeout> | undefined
  // true from start until restartQuiet later, when the deferred provides go out
  let quiet = false
  let quietTimer: ReturnType<typeof setTimeout> | undefined
  // topics whose provide waits for the end of the start (see deferred)
  const deferredTopics = new Set<string>()
  let lonelyTimer: ReturnType<typeof setInterval> | undefined
  // refreshes under way: a second asks for the same walks, so it shares the first
  const refreshing = new Map<string, Promise<number>>()
  const topics = new Set<string>()
  // lonely topics: retries so far, and when the next one is due
  const lonely = new Map<string, { retries: number, due: number }>()
  // topics whose provider record reached at least one peer; the DHT re-provides them
  const provided = new Set<string>()
  const controller = new AbortController()
  const running = new Set<Promise<unknown>>()
  const walks: DiscoveryWalks = { provide: 0, lookup: 0 }
  let timer: ReturnType<typeof setInterval> | undefined
  let firstContacts: ReturnType<typeof setTimeout> | undefined

  // A topic joined before the node had peers was provided to nobody: redo it when the
  // first peers arrive (debounced, since they arrive together). A refresh still under way
  // started with peers, and a restarted node's first walks take seconds: that refresh runs
  // to its end first, and only a record it did not deliver is sent again. Redoing them at
  // once doubled the DHT requests of a restart (250–300 in its first 20 s in a 25-node
  // simulation, 3 topics), the largest share of its busy time.
  const onConnect = (): void => {
    if (libp2p.getConnections().length > dialsPerLookup) return
    clearTimeout(firstContacts)
    firstContacts = setTimeout(() => {
      const unsent = (topic: string): boolean => !provided.has(topic) && !deferredTopics.has(topic) && topics.has(topic) && !controller.signal.aborted
      for (const topic of [...topics].filter(unsent)) {
        const running = refreshing.get(topic)
        const again = async (): Promise<number> => unsent(topic) ? await refresh(topic) : 0
        track(running == null ? refresh(topic) : running.then(again, again))
      }
    }, 2_000)
    firstContacts.unref()
  }

  function track<T> (work: Promise<T>): void {
    const p = work.catch(err => { log('topic discovery failed - %e', err) })
    running.add(p)
    void p.finally(() => running.delete(p))
  }

  /**
   * Sends the topic's provider record to the closest peers, unless it has reached one
   * already. Every lonely retry and every first-contacts round sent it again: counted in a
   * 25-node simulation, provide walks and their ADD_PROVIDER messages were over half the
   * DHT's requests, and those were the most frequent streams of any protocol. A record that
   * reached a peer stays for 48 h and the DHT re-provides it before then.
   */
  async function provide (topic: string): Promise<void> {
    if (provided.has(topic) || await deferred(topic)) return
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(timeout)])
    walks.provide++
    for await (const event of libp2p.services.dht.provide(await topicCid(topic), { signal })) {
      if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.ADD_PROVIDER && topics.has(topic) && !provided.has(topic)) {
        provided.add(topic)
        init.records?.sent(topic, Date.now())
      }
    }
  }

  /**
   * A restarted node's peers still hold the records it sent in its last life, so its walks to
   * send them again wait until its start is over; its lookups do not wait. Profiled in a
   * 25-node simulation, a restart kept its event loop busy for 15–20 s, a DHT walk and the
   * peer-store merges of its answers the largest shares; with its provide walks postponed,
   * restarts were busy for 7–14 s (median 12, against 17). The DHT re-provides only what this
   * process provided, so the walks are postponed, not dropped.
   */
  async function deferred (topic: string): Promise<boolean> {
    if (deferredTopics.has(topic)) return true
    if (!quiet || init.records == null) return false
    const at = await init.records.sentAt(topic)
    // the start may have ended during the read, its deferred topics already sent
    if (at == null || Date.now() - at > RECENT_RECORD_MS || !quiet) return false
    deferredTopics.add(topic)
    return true
  }

  /**
   * Every lookup is a DHT walk that its peers serve (a peer-store read for each of the 20
   * closest peers it returns), and peer-store and DHT work was about a sixth of a busy node's
   * time in a 50-node simulation. A node looked up every topic every five minutes and dialled
   * six more providers whatever it had: a topic with enough peers is now not looked up, and
   * one short of them gets only the difference. (The nodes of that simulation still hold
   * 37–39 connections each: the DHT's own walks connect them to the peers they ask.)
   * A restart that dialled its known peers looks up none of its topics until they cover
   * every one, or for knownPeersWait, and then only those none of its connected peers
   * shares (see lookUpUncovered).
   */
  async function lookup (topic: string): Promise<number> {
    if (awaitingKnown) return 0
    const wanted = Math.min(dialsPerLookup, topicPeers - connectedSubscribers(libp2p, topic).length)
    if (wanted <= 0) return 0
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(timeout)])
    let dialled = 0
    walks.lookup++
    for await (const provider of libp2p.contentRouting.findProviders(await topicCid(topic), { signal })) {
      if (provider.id.equals(libp2p.peerId) || libp2p.getConnections(provider.id).length > 0) continue
      try {
        if (provider.multiaddrs.length > 0) await libp2p.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
        await libp2p.dial(provider.id, { signal })
        dialled++
      } catch (err: any) {
        log('could not dial provider %p of %s - %e', provider.id, topic, err)
      }
      if (dialled >= wanted) break
    }
    return dialled
  }

  async function refresh (topic: string): Promise<number> {
    const running = refreshing.get(topic)
    if (running != null) return await running
    // provide and look up in parallel: each can take a full DHT walk
    const work = Promise.all([
      provide(topic).catch(err => { log('could not provide %s - %e', topic, err) }),
      lookup(topic)
    ]).then(([, dialled]) => dialled).finally(() => refreshing.delete(topic))
    refreshing.set(topic, work)
    return await work
  }

  /**
   * A topic's first refresh can find nobody (the DHT was still empty, or every walk timed out
   * on a loaded machine), and the next would be minutes away: until some connected peer
   * subscribes to it, look again every few seconds. The simulation at 16 nodes left a third
   * of the nodes without any peer on one of their topics without this. The wait doubles:
   * a topic nobody else has joined (a quiet cell) cost two DHT walks every 15 s for ever,
   * and at 30 nodes on one machine those walks, served by every peer, were the largest
   * share of an idle node's CPU. A node with fewer connections than one lookup dials keeps
   * the first wait: its lookups ask few peers, and finding more is all it needs (a 50-node
   * run left a restarted node with one connection, lonely, waiting ever longer).
   */
  function retryLonely (): void {
    if (awaitingKnown) return
    const now = Date.now()
    const sparse = libp2p.getConnections().length < dialsPerLookup
    const connected = connectedPeers(libp2p)
    for (const topic of topics) {
      if (refreshing.has(topic)) continue
      if (connectedSubscribers(libp2p, topic, connected).length > 0) {
        lonely.delete(topic)
        continue
      }
      const state = lonely.get(topic) ?? { retries: 0, due: now }
      if (state.due > now) continue
      if (sparse) state.retries = 0
      state.due = now + Math.min(interval, lonelyInterval * 2 ** state.retries)
      state.retries++
      lonely.set(topic, state)
      track(refresh(topic))
    }
  }

  /**
   * The end of a restart's wait for its known peers. A topic one of them shares needs no walk
   * now: the periodic lookup tops it up to topicPeers later, and gossipsub meshes with what
   * it has. Each lookup at start was a DHT walk asking ≈ 25 peers, most of them dialled for
   * it, which they and the restarting node paid for in noise handshakes, identify and
   * peer-store merges while its start already kept it busy.
   */
  function lookUpUncovered (): void {
    if (!awaitingKnown) return
    awaitingKnown = false
    clearTimeout(knownTimer)
    libp2p.services.pubsub.removeEventListener('subscription-change', onKnownSubscription)
    const connected = connectedPeers(libp2p)
    for (const topic of topics) {
      if (connectedSubscribers(libp2p, topic, connected).length > 0) continue
      // a refresh still under way is the join's provide walk, its lookup skipped: that one
      // alone, beside it, as a join's lookup runs beside its provide
      track(refreshing.has(topic) ? lookup(topic) : refresh(topic))
    }
  }

  /**
   * The wait ends as soon as the known peers cover every topic. A fixed 5 s was too short
   * where it mattered: in a 50-node simulation on 2 cores, where a returning process takes
   * 20–50 s to start, the returned processes still made 11 lookups in 5 returns (19 in 7
   * with no wait at all).
   */
  function onKnownSubscription (): void {
    const connected = connectedPeers(libp2p)
    if (topics.size > 0 && [...topics].every(topic => connectedSubscribers(libp2p, topic, connected).length > 0)) lookUpUncovered()
  }

  return {
    start () {
      const known = init.knownPeers?.()
      if (known != null && known.count > 0) {
        awaitingKnown = true
        knownTimer = setTimeout(lookUpUncovered, knownPeersWait)
        knownTimer.unref()
        libp2p.services.pubsub.addEventListener('subscription-change', onKnownSubscription)
        // none of them is there any more (a restart after days away): nothing to wait for
        void known.reached.then(reached => { if (reached === 0) lookUpUncovered() })
      }
      libp2p.addEventListener('peer:connect', onConnect)
      quiet = true
      quietTimer = setTimeout(() => {
        quiet = false
        const due = [...deferredTopics]
        deferredTopics.clear()
        for (const topic of due) if (topics.has(topic)) track(provide(topic))
      }, restartQuiet)
      quietTimer.unref()
      lonelyTimer = setInterval(retryLonely, lonelyInterval)
      lonelyTimer.unref()
      timer = setInterval(() => {
        for (const topic of topics) track(lookup(topic))
      }, interval)
      timer.unref()
    },
    async stop () {
      libp2p.removeEventListener('peer:connect', onConnect)
      clearInterval(timer)
      clearInterval(lonelyTimer)
      clearTimeout(firstContacts)
      clearTimeout(quietTimer)
      awaitingKnown = false
      clearTimeout(knownTimer)
      libp2p.services.pubsub.removeEventListener('subscription-change', onKnownSubscription)
      controller.abort()
      await Promise.all([...running])
    },
    join (topic) {
      if (topics.has(topic)) return
      topics.add(topic)
      track(refresh(topic))
    },
    async leave (topic) {
      if (!topics.delete(topic)) return
      lonely.delete(topic)
      provided.delete(topic)
      deferredTopics.delete(topic)
      await libp2p.services.dht.cancelReprovide(await topicCid(topic)).catch(err => { log('cancelReprovide %s - %e', topic, err) })
    },
    refresh,
    walks: () => ({ ...walks })
  }
}
