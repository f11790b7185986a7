// The sync service: serves /murmur/sync/2.0.0, starts sessions when a peer sharing a topic
// appears (unless the topic is covered already), when a session brought news (to pass it on)
// and periodically, bounds concurrency, penalises peers that break the protocol, and reports
// progress.

import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { parseTopic, formatTopic, toGossipTopic, fromGossipTopic } from '../geo/index.js'
import { SYNC_PROTOCOL, DEFAULT_LIMITS, initiateSession, respondSession, newProgress } from './session.js'
import { SyncFrame } from './sync.js'
import { SyncProtocolError, SyncDeniedError, SyncRemoteError } from './errors.js'
import { PeerLimiter } from '../network/limits.js'
import type { SyncLimits, SessionProgress, SessionContext } from './session.js'
import type { MurmurLibp2p } from '../network/libp2p.js'
import type { PostStore } from '../store/index.js'
import type { Ingestor } from '../node/ingest.js'
import type { AbortOptions, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { SubscriptionChangeData } from '@libp2p/gossipsub'

export interface SyncOptions extends SyncLimits {
  /** periodic sync of every joined topic with a few random subscribers; 0 turns it off */
  intervalMs: number
  /**
   * subscribers per topic per periodic round, and to pass news on to after a session that
   * stored some; and how many peers cover a topic: reconciled over the connection still open
   * to them, or being reconciled with, so that a newly met subscriber need not be
   */
  fanout: number
  /** a trigger waits 0.5–1.5 × this, so bursts merge and two peers rarely start at once */
  debounceMs: number
  /** concurrent inbound sessions from one peer, and from everyone */
  maxInboundPerPeer: number
  maxInbound: number
  /** how long a peer that broke the protocol is refused, and how many such peers are remembered */
  denyMs: number
  maxDenied: number
  /** inbound sessions a peer may open a minute (a burst of as many); more are refused RATE_LIMITED */
  sessionsPerMinute: number
  /** bytes we send a peer as responder, per minute (a burst of as many): a session past it ends */
  bytesOutPerMinute: number
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  ...DEFAULT_LIMITS,
  intervalMs: 5 * 60_000,
  fanout: 4,
  debounceMs: 1_000,
  maxInboundPerPeer: 2,
  maxInbound: 16,
  denyMs: 10 * 60_000,
  maxDenied: 1_024,
  sessionsPerMinute: 12,
  bytesOutPerMinute: 64 * 1024 * 1024
}

export interface SyncInit {
  libp2p: MurmurLibp2p
  store: PostStore
  ingestor: Ingestor
  log: Logger
  /** the joined topics, API form (`tag:x`) */
  topics: () => string[]
  options?: Partial<SyncOptions>
}

/** A finished session: its progress counters, and how long it took. */
export type SyncResult = Omit<SessionProgress, 'role' | 'phase' | 'startedAt'> & { durationMs: number }

export interface SyncTopicSummary {
  topic: string
  peers: number
  ok: number
  failed: number
  stored: number
}

export interface SyncSessionView extends Omit<SessionProgress, 'startedAt'> {
  durationMs: number
}

/** The `sync` field of the node's status. */
export interface SyncStatus {
  active: number
  sessions: SyncSessionView[]
  completed: number
  failed: number
  bytesIn: number
  bytesOut: number
  /** peers currently refused for breaking the protocol */
  denied: number
  /** sessions this node started by itself, by what started them (the API's are not counted) */
  triggered: Record<Trigger, number>
  /** newly met subscribers not synced with because `fanout` peers covered the topic already */
  covered: number
  /** failed sessions, either role, by the code a peer refused with (BUSY, NOT_JOINED…) or the error's name */
  failures: Record<string, number>
}

export interface Sync extends Startable {
  /** Syncs a joined topic with each connected subscriber in turn (the first brings most, the rest only their differences). */
  syncTopic(topic: string, options?: AbortOptions): Promise<SyncTopicSummary>
  /** One session as initiator; joins a session already running with that peer on that topic. */
  syncWithPeer(peer: PeerId | string, topic: string, options?: AbortOptions): Promise<SyncResult>
  progress(): SyncStatus
  /** Peers refused for breaking the protocol (id → until, ms). */
  deniedPeers(): Map<string, number>
}

export type Trigger = 'subscription' | 'propagate' | 'periodic'

const MAX_FAILURE_REASONS = 32

export function createSync (init: SyncInit): Sync {
  return new SyncService(init)
}

class SyncService implements Sync {
  private readonly libp2p: MurmurLibp2p
  private readonly init: SyncInit
  private readonly options: SyncOptions
  private readonly log: Logger
  private started = false
  private shutdown = new AbortController()
  private timer: ReturnType<typeof setInterval> | undefined
  /** peer|topic → the running outbound session */
  private readonly outbound = new Map<string, Promise<SyncResult>>()
  /** peer|topic → a scheduled trigger */
  private readonly pending = new Map<string, { timer: ReturnType<typeof setTimeout>, trigger: Trigger }>()
  private readonly active = new Set<SessionProgress>()
  private readonly running = new Set<Promise<unknown>>()
  private readonly inboundByPeer = new Map<string, number>()
  private readonly denied = new Map<string, number>()
  private readonly sessionBudget: PeerLimiter
  private readonly byteBudget: PeerLimiter
  private totals = { completed: 0, failed: 0, bytesIn: 0, bytesOut: 0 }
  private readonly triggered: Record<Trigger, number> = { subscription: 0, propagate: 0, periodic: 0 }
  private coveredSkips = 0
  /** topic → peer → how and when the last session with it on the topic ended, either role */
  private readonly ended = new Map<string, Map<string, { id: PeerId, at: number, ok: boolean }>>()
  private readonly failures = new Map<string, number>()

  constructor (init: SyncInit) {
    this.init = init
    this.libp2p = init.libp2p
    this.log = init.log
    this.options = { ...DEFAULT_SYNC_OPTIONS, ...init.options }
    this.sessionBudget = new PeerLimiter({ rate: this.options.sessionsPerMinute / 60, burst: this.options.sessionsPerMinute })
    this.byteBudget = new PeerLimiter({ rate: this.options.bytesOutPerMinute / 60, burst: this.options.bytesOutPerMinute })
    this.onStream = this.onStream.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    if (this.started) return
    this.shutdown = new AbortController()
    await this.libp2p.handle(SYNC_PROTOCOL, this.onStream, {
      maxInboundStreams: this.options.maxInboundPerPeer,
      maxOutboundStreams: 64
    })
    this.libp2p.services.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => { this.periodic() }, this.options.intervalMs)
      this.timer.unref()
    }
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.timer)
    for (const { timer } of this.pending.values()) clearTimeout(timer)
    this.pending.clear()
    this.libp2p.services.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.shutdown.abort(new Error('sync stopped'))
    await Promise.allSettled([...this.running])
    // fails only if libp2p has already stopped, which unhandles everything anyway
    await this.libp2p.unhandle(SYNC_PROTOCOL).catch(() => {})
  }

  async syncTopic (topic: string, options: AbortOptions = {}): Promise<SyncTopicSummary> {
    const name = formatTopic(parseTopic(topic))
    const peers = this.subscribers(name)
    const summary: SyncTopicSummary = { topic: name, peers: peers.length, ok: 0, failed: 0, stored: 0 }
    for (const peer of peers) {
      options.signal?.throwIfAborted()
      try {
        summary.stored += (await this.syncWithPeer(peer, name, options)).stored
        summary.ok++
      } catch {
        summary.failed++
      }
    }
    return summary
  }

  async syncWithPeer (peer: PeerId | string, topic: string, options: AbortOptions = {}): Promise<SyncResult> {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const name = formatTopic(parseTopic(topic))
    const key = `${peerId.toString()}|${name}`
    const running = this.outbound.get(key)
    if (running != null) return running
    if (!this.started) throw new Error('sync is not started')
    if (this.isDenied(peerId.toString())) throw new SyncDeniedError(`${peerId.toString()} is refused for breaking the sync protocol`)
    const session = this.initiate(peerId, name, options).finally(() => { this.outbound.delete(key) })
    this.outbound.set(key, session)
    return session
  }

  progress (): SyncStatus {
    const now = Date.now()
    const sessions = [...this.active].map(({ startedAt, ...rest }) => ({ ...rest, durationMs: now - startedAt }))
    return {
      active: sessions.length,
      sessions,
      completed: this.totals.completed,
      failed: this.totals.failed,
      bytesIn: this.totals.bytesIn + sessions.reduce((n, s) => n + s.bytesIn, 0),
      bytesOut: this.totals.bytesOut + sessions.reduce((n, s) => n + s.bytesOut, 0),
      denied: this.deniedPeers().size,
      triggered: { ...this.triggered },
      covered: this.coveredSkips,
      failures: Object.fromEntries(this.failures)
    }
  }

  deniedPeers (): Map<string, number> {
    const now = Date.now()
    for (const [peer, until] of this.denied) if (until <= now) this.denied.delete(peer)
    return new Map(this.denied)
  }

  // ------------------------------------------------------------------ sessions

  private async initiate (peerId: PeerId, topic: string, options: AbortOptions): Promise<SyncResult> {
    const peer = peerId.toString()
    const progress = newProgress(peer, topic, 'initiator')
    const ctx = this.context(progress, options.signal)
    let stream: Stream | undefined
    const work = (async () => {
      try {
        stream = await this.libp2p.dialProtocol(peerId, SYNC_PROTOCOL, { signal: ctx.signal })
        await initiateSession(stream, topic, ctx)
        this.succeeded(progress)
        return result(progress)
      } catch (err: any) {
        this.failedWith(err, progress, stream)
        throw err
      }
    })()
    return this.track(work, progress)
  }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (this.isDenied(peer)) { refuse(stream, 'DENIED'); return }
    const fromPeer = this.inboundByPeer.get(peer) ?? 0
    const inbound = [...this.active].filter(s => s.role === 'responder').length
    if (!this.started || fromPeer >= this.options.maxInboundPerPeer || inbound >= this.options.maxInbound) {
      refuse(stream, 'BUSY')
      return
    }
    if (!this.sessionBudget.take(peer)) {
      this.log('%s opens sync sessions faster than %d a minute: refused', peer, this.options.sessionsPerMinute)
      refuse(stream, 'RATE_LIMITED')
      return
    }
    this.inboundByPeer.set(peer, fromPeer + 1)
    const progress = newProgress(peer, '', 'responder')
    const ctx = { ...this.context(progress), spend: (bytes: number) => this.byteBudget.take(peer, bytes) }
    const work = (async () => {
      try {
        const joined = new Set(this.init.topics())
        await respondSession(stream, ctx, topic => joined.has(topic))
        this.succeeded(progress)
      } catch (err: any) {
        this.failedWith(err, progress, stream)
      } finally {
        const left = (this.inboundByPeer.get(peer) ?? 1) - 1
        if (left > 0) this.inboundByPeer.set(peer, left)
        else this.inboundByPeer.delete(peer)
      }
    })()
    await this.track(work, progress)
  }

  private context (progress: SessionProgress, signal?: AbortSignal): SessionContext {
    const signals = [this.shutdown.signal, AbortSignal.timeout(this.options.sessionTimeoutMs)]
    if (signal != null) signals.push(signal)
    return {
      store: this.init.store,
      ingestor: this.init.ingestor,
      limits: this.options,
      progress,
      signal: AbortSignal.any(signals)
    }
  }

  private async track<T> (work: Promise<T>, progress: SessionProgress): Promise<T> {
    this.active.add(progress)
    this.running.add(work)
    try {
      return await work
    } finally {
      this.active.delete(progress)
      this.running.delete(work)
      this.totals.bytesIn += progress.bytesIn
      this.totals.bytesOut += progress.bytesOut
    }
  }

  private succeeded (progress: SessionProgress): void {
    this.totals.completed++
    this.noteEnd(progress, true)
    this.log('%s sync of %s with %s: need %d, have %d, stored %d, sent %d, %d rounds, %d ms',
      progress.role, progress.topic, progress.peer, progress.need, progress.have, progress.stored, progress.sent, progress.rounds, Date.now() - progress.startedAt)
    // what we just learned, our other peers on the topic may lack too: pass it on
    if (progress.stored > 0 && progress.topic !== '') {
      const others = shuffle(this.subscribers(progress.topic).filter(p => p.toString() !== progress.peer))
      for (const peer of others.slice(0, this.options.fanout)) this.schedule(peer, progress.topic, 'propagate')
    }
  }

  private failedWith (err: any, progress: SessionProgress, stream: Stream | undefined): void {
    this.totals.failed++
    this.noteEnd(progress, false)
    const reason = err instanceof SyncRemoteError ? err.code : String(err?.name ?? 'Error')
    // a peer names its refusal codes: only so many distinct ones are kept
    if (this.failures.has(reason) || this.failures.size < MAX_FAILURE_REASONS) this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1)
    stream?.abort(err)
    this.log('%s sync of %s with %s failed - %s: %s', progress.role, progress.topic, progress.peer, err?.name, err?.message)
    if (err instanceof SyncProtocolError) this.penalise(progress.peer, err)
    // a session that would have covered the topic failed: another subscriber is asked instead
    if (progress.role === 'initiator' && progress.topic !== '' && this.started) this.replace(progress)
  }

  private noteEnd (progress: SessionProgress, ok: boolean): void {
    if (progress.topic === '') return
    let peers = this.ended.get(progress.topic)
    if (peers == null) this.ended.set(progress.topic, peers = new Map())
    peers.delete(progress.peer)
    peers.set(progress.peer, { id: peerIdFromString(progress.peer), at: Date.now(), ok })
  }

  /**
   * Peers that keep this node current on a topic: those it reconciled the topic with over the
   * connection it still has to them (gossip from them has covered what came since), and those
   * it is reconciling it with now.
   */
  private coverage (topic: string, ending?: SessionProgress): Set<string> {
    const peers = new Set<string>()
    for (const s of this.active) if (s.topic === topic && s !== ending) peers.add(s.peer)
    const ended = this.ended.get(topic)
    for (const [peer, { id, at, ok }] of ended ?? []) {
      const since = connectedSince(this.libp2p, id)
      if (since === undefined) ended?.delete(peer)
      else if (ok && at >= since) peers.add(peer)
    }
    return peers
  }

  private replace (failed: SessionProgress): void {
    const topic = failed.topic
    if (this.coverage(topic, failed).size >= this.options.fanout) return
    const ended = this.ended.get(topic)
    const untried = this.subscribers(topic).filter(p => {
      const last = ended?.get(p.toString())
      const since = connectedSince(this.libp2p, p)
      return !this.pending.has(`${p.toString()}|${topic}`) && (last === undefined || since === undefined || last.at < since)
    })
    if (untried.length > 0) this.schedule(untried[Math.floor(Math.random() * untried.length)], topic, 'subscription')
  }

  /**
   * A peer that broke the protocol: its sync streams are refused for denyMs, its connections
   * closed, and gossipsub's score (when reachable) learns of it too.
   */
  private penalise (peer: string, err: Error): void {
    this.log.error('penalising %s for breaking the sync protocol: %s', peer, err.message)
    this.denied.delete(peer)
    this.denied.set(peer, Date.now() + this.options.denyMs)
    while (this.denied.size > this.options.maxDenied) this.denied.delete(this.denied.keys().next().value as string)
    // GossipSub's class exposes `score` at runtime, though its interface type does not
    const score = (this.libp2p.services.pubsub as unknown as { score?: { addPenalty?: (id: string, penalty: number, label: string) => void } }).score
    if (typeof score?.addPenalty === 'function') score.addPenalty(peer, 1, 'murmur_sync')
    this.libp2p.hangUp(peerIdFromString(peer)).catch(e => { this.log('could not hang up on %s - %e', peer, e) })
  }

  private isDenied (peer: string): boolean {
    const until = this.denied.get(peer)
    if (until == null) return false
    if (until > Date.now()) return true
    this.denied.delete(peer)
    return false
  }

  // ------------------------------------------------------------------ triggers

  /** Connected peers subscribed to the topic's gossip name, minus those refused. */
  private subscribers (topic: string): PeerId[] {
    const gossipName = toGossipTopic(parseTopic(topic))
    return this.libp2p.services.pubsub.getSubscribers(gossipName).filter(p => !this.isDenied(p.toString()))
  }

  private onSubscriptionChange (evt: CustomEvent<SubscriptionChangeData>): void {
    const joined = new Set(this.init.topics())
    for (const sub of evt.detail.subscriptions) {
      if (!sub.subscribe) continue
      const topic = fromGossipTopic(sub.topic)
      if (topic == null) continue
      const name = formatTopic(topic)
      if (joined.has(name)) this.schedule(evt.detail.peerId, name, 'subscription')
    }
  }

  private periodic (): void {
    const joined = new Set(this.init.topics())
    for (const topic of this.ended.keys()) if (!joined.has(topic)) this.ended.delete(topic)
    for (const topic of joined) {
      for (const peer of shuffle(this.subscribers(topic)).slice(0, this.options.fanout)) this.schedule(peer, topic, 'periodic')
    }
  }

  /**
   * Runs syncWithPeer after a jittered delay, once per (peer, topic) however many triggers
   * arrive meanwhile. A session already running on that pair (either direction) makes a
   * subscription trigger redundant; news to pass on waits for it and goes after. A newly met
   * subscriber of a topic that `fanout` peers cover is left alone: this node lacks nothing it
   * could bring that they did not, and a peer that just came back has no coverage, so it
   * starts the sessions itself (they run both ways). Without this, every return started a
   * session with each peer of each topic, from both ends. News to pass on that finds a
   * subscription trigger waiting takes its place, so coverage cannot drop it.
   */
  private schedule (peer: PeerId, topic: string, trigger: Trigger): void {
    if (!this.started || this.isDenied(peer.toString())) return
    const key = `${peer.toString()}|${topic}`
    const waiting = this.pending.get(key)
    if (waiting != null) {
      if (waiting.trigger === 'subscription') waiting.trigger = trigger
      return
    }
    const delay = this.options.debounceMs * (0.5 + Math.random())
    const scheduled = {
      trigger,
      timer: setTimeout(() => {
        this.pending.delete(key)
        if (!this.started) return
        const trigger = scheduled.trigger
        const busy = this.outbound.has(key) ||
          [...this.active].some(s => s.peer === peer.toString() && s.topic === topic)
        if (busy) {
          if (trigger !== 'subscription') this.schedule(peer, topic, trigger)
          return
        }
        if (trigger === 'subscription' && this.coverage(topic).size >= this.options.fanout) {
          this.coveredSkips++
          return
        }
        this.triggered[trigger]++
        this.syncWithPeer(peer, topic).catch(err => { this.log('%s sync of %s with %p failed - %e', trigger, topic, peer, err) })
      }, delay)
    }
    scheduled.timer.unref()
    this.pending.set(key, scheduled)
  }
}

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

/** When the oldest open connection to the peer opened: undefined if none is open. */
function connectedSince (libp2p: MurmurLibp2p, peer: PeerId): number | undefined {
  let since: number | undefined
  for (const c of libp2p.getConnections(peer)) if (since === undefined || c.timeline.open < since) since = c.timeline.open
  return since
}

function result (p: SessionProgress): SyncResult {
  const { role: _role, phase: _phase, startedAt, ...counters } = p
  return { ...counters, durationMs: Date.now() - startedAt }
}

/** Tells the peer why, best effort and briefly, then closes. */
function refuse (stream: Stream, code: string): void {
  const signal = AbortSignal.timeout(1_000)
  pbStream(stream).write({ error: code }, SyncFrame, { signal })
    .then(async () => { await stream.close({ signal }) })
    .catch(err => { stream.abort(err) })
}
