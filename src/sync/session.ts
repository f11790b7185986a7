// One sync session on one stream, both roles: frame I/O with limits and timeouts, the
// Negentropy rounds, then turns that push what the peer lacks and fetch what we lack. No libp2p
// node here (only a Stream), so unit tests and the benchmark run it over a stream pair.

import { decodeEnvelope, decodeBody, bodyId, gossipTopicsOfBody, readTrustedBody, MAX_ENVELOPE_BYTES, MAX_TTL_MS } from '../post/index.js'
import { parseTopic, formatTopic, toGossipTopic } from '../geo/index.js'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { hexToBytes } from '@noble/hashes/utils.js'
import { Negentropy, StorageBuilder, NegentropyError, type NegentropyStorage, NEGENTROPY_VERSION, ID_SIZE, hex } from './negentropy.js'
import { SyncFrame } from './sync.js'
import { SyncProtocolError, SyncRemoteError, SyncTimeoutError, SyncClosedError, SyncLimitError } from './errors.js'
import type { Stream } from '@libp2p/interface'
import type { PostStore } from '../store/index.js'
import type { Ingestor } from '../node/ingest.js'

export const SYNC_PROTOCOL = '/murmur/sync/2.0.0'
/** ids in one want frame, and envelopes pushed in one turn */
export const MAX_IDS_PER_FRAME = 256
/** envelopes in one envelopes frame: 64 × 4096 B stays well under the frame limit */
export const MAX_ENVELOPES_PER_FRAME = 64
/**
 * Turns the initiator sends before it reads the oldest one's answer: two, so up to 512
 * differences each way cost one round trip, and at most 2 MiB of envelopes are in flight
 */
export const TURNS_IN_FLIGHT = 2

export interface SyncLimits {
  /** largest frame read or written (the length prefix's value) */
  maxFrameBytes: number
  /** Negentropy frameSizeLimit: a reconciliation message is at most this long */
  negFrameBytes: number
  /** the peer must send each expected frame within this */
  frameTimeoutMs: number
  /** a whole session, either role */
  sessionTimeoutMs: number
  /** Negentropy rounds in one session */
  maxRounds: number
  /** items reconciled per side (the newest are kept), and ids a peer may claim, want or push */
  maxItems: number
  /** the live window: posts created at most this long ago */
  windowMs: number
}

export const DEFAULT_LIMITS: SyncLimits = {
  maxFrameBytes: 512 * 1024,
  negFrameBytes: 256 * 1024,
  frameTimeoutMs: 10_000,
  sessionTimeoutMs: 5 * 60_000,
  maxRounds: 64,
  maxItems: 200_000,
  windowMs: MAX_TTL_MS
}

export type SessionPhase = 'open' | 'reconcile' | 'fetch' | 'push' | 'serve' | 'done'

/** Live counters of one session, read by the service's progress(). */
export interface SessionProgress {
  peer: string
  topic: string
  role: 'initiator' | 'responder'
  phase: SessionPhase
  /** ids we hold that the peer lacks */
  have: number
  /** ids the peer holds that we lack */
  need: number
  /** envelopes received and newly stored */
  received: number
  stored: number
  /** envelopes sent */
  sent: number
  rounds: number
  /**
   * the initiator: the session's round trips so far, a flight counting one more than the
   * answer it waited for (Negentropy rounds, then one per two turns); 0 for the responder
   */
  roundTrips: number
  bytesIn: number
  bytesOut: number
  startedAt: number
}

export interface SessionContext {
  store: Pick<PostStore, 'topicEntries' | 'getEnvelopes' | 'lacking'>
  ingestor: Pick<Ingestor, 'submitMany'>
  limits: SyncLimits
  progress: SessionProgress
  /** aborts the session (stop, session timeout) */
  signal: AbortSignal
  now?: () => number
  /** the peer's byte budget: false once what we would send exceeds it, which ends the session */
  spend?: (bytes: number) => boolean
}

export function newProgress (peer: string, topic: string, role: SessionProgress['role']): SessionProgress {
  return { peer, topic, role, phase: 'open', have: 0, need: 0, received: 0, stored: 0, sent: 0, rounds: 0, roundTrips: 0, bytesIn: 0, bytesOut: 0, startedAt: Date.now() }
}

/**
 * The initiator: open, reconcile, then turns, each pushing up to 256 envelopes the peer lacks
 * and asking for up to 256 we lack, two at a time, the last followed by done. Both sides hold
 * the union after it. Up to 512 differences each way, the whole exchange after the
 * reconciliation is one round trip.
 */
export async function initiateSession (stream: Stream, topic: string, ctx: SessionContext): Promise<void> {
  const { limits, progress } = ctx
  const now = (ctx.now ?? Date.now)()
  const frames = new Frames(stream, ctx)
  const gossipTopic = toGossipTopic(parseTopic(topic))
  const since = now - limits.windowMs
  const neg = new Negentropy(await loadSet(ctx, topic, since, now), limits.negFrameBytes)
  const have: Array<Uint8Array<ArrayBuffer>> = []
  const need: Array<Uint8Array<ArrayBuffer>> = []

  progress.phase = 'reconcile'
  await frames.write({ open: { topic, since: BigInt(since) } }, { neg: neg.initiate() })
  progress.roundTrips = 1
  while (true) {
    const frame = await frames.read()
    if (frame.neg == null) throw new SyncProtocolError('expected a neg frame')
    if (++progress.rounds > limits.maxRounds) throw new SyncLimitError(`more than ${limits.maxRounds} rounds`)
    const result = reconcileOrThrow(neg, frame.neg)
    have.push(...result.have)
    need.push(...result.need)
    progress.have = have.length
    progress.need = need.length
    // an honest responder reconciles at most maxItems items, so it cannot lack or hold more
    if (need.length > limits.maxItems || have.length > limits.maxItems) throw new SyncProtocolError('the peer claims more ids than the limit')
    if (result.output == null) break
    await frames.write({ neg: result.output })
    progress.roundTrips++
  }

  const settling = new Settling(frames)
  let fetched = 0
  let pushed = 0
  let doneSent = false
  // the round trip of the last answer read: what we send next goes in the one after it
  let trip = progress.roundTrips
  // the turns sent whose answers are not read yet, oldest first: their wants and round trips
  const unanswered: Array<{ ids: Array<Uint8Array<ArrayBuffer>>, trip: number }> = []
  try {
    while (true) {
      while (unanswered.length < TURNS_IN_FLIGHT && !doneSent) {
        // gossip or another session may have brought some meanwhile; a deleted id stays deleted
        let ids: Array<Uint8Array<ArrayBuffer>> = []
        while (ids.length === 0 && fetched < need.length) ids = await lacking(ctx, need.slice(fetched, fetched += MAX_IDS_PER_FRAME))
        // and some we hold may have been deleted meanwhile, or expired by the session's clock
        let items: Array<Uint8Array<ArrayBuffer>> = []
        while (items.length === 0 && pushed < have.length) items = await servableEnvelopes(ctx, have.slice(pushed, pushed += MAX_IDS_PER_FRAME), gossipTopic, now)
        // done goes with the last turn, or at once if what was left came to nothing: it must
        // not wait for the answers still to come
        doneSent = fetched >= need.length && pushed >= have.length
        const turn: SyncFrame[] = ids.length > 0 || items.length > 0 ? [...envelopesFrames(items, 'push'), { want: { ids } }] : []
        if (turn.length > 0) progress.phase = ids.length > 0 ? 'fetch' : 'push'
        await frames.write(...turn, ...(doneSent ? [{ done: true }] : []))
        progress.roundTrips = Math.max(progress.roundTrips, trip + 1)
        if (turn.length === 0) continue
        progress.sent += items.length
        unanswered.push({ ids, trip: trip + 1 })
      }
      const oldest = unanswered.shift()
      if (oldest === undefined) break
      await settling.next(await receiveEnvelopes(frames, oldest.ids, gossipTopic, ctx))
      trip = oldest.trip
    }
    await settling.drain()
  } catch (err) {
    throw await settling.abandon(err)
  }

  // the responder answers done once all it received is stored: the session is over for both
  progress.phase = 'done'
  const last = await frames.read()
  if (last.done !== true) throw new SyncProtocolError('expected done')
  await stream.close({ signal: frames.frameSignal() })
}

/**
 * The responder: answers each frame of the initiator until done. `joined` says whether we
 * hold the topic; we never reconcile a topic we have not joined.
 */
export async function respondSession (stream: Stream, ctx: SessionContext, joined: (topic: string) => boolean): Promise<void> {
  const { limits, progress } = ctx
  const now = (ctx.now ?? Date.now)()
  const frames = new Frames(stream, ctx)

  const first = await frames.read()
  if (first.open == null) throw new SyncProtocolError('expected an open frame')
  let topic: string
  try {
    topic = formatTopic(parseTopic(first.open.topic))
  } catch {
    throw new SyncProtocolError('not a topic')
  }
  progress.topic = topic
  if (!joined(topic)) {
    await frames.write({ error: 'NOT_JOINED' })
    await stream.close({ signal: frames.frameSignal() })
    return
  }
  const gossipTopic = toGossipTopic(parseTopic(topic))
  // the initiator chooses the window's start, but never beyond our own live window
  const since = Math.max(Number(first.open.since), now - limits.windowMs)
  const neg = new Negentropy(await loadSet(ctx, topic, since, now), limits.negFrameBytes)
  let wanted = 0
  let pushed = 0
  let turns = 0
  // the pushed envelopes of the turn being read, and how many
  let turn: Intake | undefined
  let turnPushed = 0

  progress.phase = 'reconcile'
  const settling = new Settling(frames)
  try {
    while (true) {
      const frame = await frames.read()
      if (frame.neg != null) {
        if (turn != null || turns > 0) throw new SyncProtocolError('a neg frame after the reconciliation')
        if (++progress.rounds > limits.maxRounds) throw new SyncLimitError(`more than ${limits.maxRounds} rounds`)
        const { output } = reconcileOrThrow(neg, frame.neg)
        // a responder always answers (a lone version byte means every range matched)
        await frames.write({ neg: output ?? Uint8Array.of(NEGENTROPY_VERSION) })
      } else if (frame.envelopes != null) {
        progress.phase = 'fetch'
        const items = frame.envelopes.items
        turnPushed += items.length
        pushed += items.length
        if (items.length === 0 || turnPushed > MAX_IDS_PER_FRAME || pushed > limits.maxItems) throw new SyncProtocolError('pushed no envelopes, or more than a turn or a session may')
        turn ??= new Intake(gossipTopic, ctx, err => { frames.stop(err) })
        const ids: string[] = []
        for (const item of items) {
          const pushedItem = itemOf(item)
          if (pushedItem == null) throw new SyncProtocolError('pushed an envelope that does not decode')
          // the reconciliation found what we lack: an honest initiator pushes nothing we listed
          if (neg.has(pushedItem.timestamp, pushedItem.id)) throw new SyncProtocolError('pushed an envelope we hold')
          const id = hex(pushedItem.id)
          if (!turn.claim(id)) throw new SyncProtocolError('pushed an envelope twice in a turn')
          ids.push(id)
        }
        // ones we hold outside the reconciled set (before its window, past its cap) or deleted
        // go no further: pushing them again must not make us verify their signatures again
        const missing = new Set(await ctx.store.lacking(ids))
        turn.add(items.filter((_, i) => missing.has(ids[i])))
        progress.need = pushed
      } else if (frame.want != null) {
        progress.phase = 'serve'
        turns++
        wanted += frame.want.ids.length
        // an honest initiator wants only ids we listed, each once, and never ends a turn with nothing in it
        if ((frame.want.ids.length === 0 && turn == null) || wanted > neg.size()) throw new SyncProtocolError('an empty turn, or wanted more ids than we hold')
        progress.have = wanted
        const items = await servableEnvelopes(ctx, frame.want.ids, gossipTopic, now)
        await frames.write(...envelopesFrames(items, 'answer'))
        progress.sent += items.length
        // the turn's pushes settle while the next turn is read, but not past the one after it
        const pushes = turn
        turn = undefined
        turnPushed = 0
        if (pushes != null) await settling.next({ settled: pushes.settled() })
      } else if (frame.done === true) {
        if (turn != null) throw new SyncProtocolError('done before the want that ends a turn')
        progress.phase = 'done'
        // done says that all we received is stored
        await settling.drain()
        await frames.write({ done: true })
        await stream.close({ signal: frames.frameSignal() })
        return
      } else {
        throw new SyncProtocolError('unexpected frame')
      }
    }
  } catch (err) {
    // nothing handed to the pipeline is left unsettled
    await turn?.settled().catch(() => {})
    throw await settling.abandon(err)
  }
}

/**
 * The envelopes of the last want's answer (or turn's pushes) received, settling (validated,
 * verified, stored) while the next turn is sent or read: waiting for them first left the
 * signature workers and the store idle for a round trip and the peer's reads every 256
 * envelopes. At most two batches are in the pipeline; the third is read once the first has
 * settled. A batch that turns out to break the protocol stops the frames at once, so the
 * session does not wait on a peer that has nothing more to say.
 */
class Settling {
  private last: Promise<void> | undefined
  private failure: unknown

  constructor (private readonly frames: Frames) {}

  /** Takes a batch just read; returns once the batch before it has settled (throwing if its sender broke the protocol). */
  async next ({ settled }: { settled: Promise<void> }): Promise<void> {
    settled.catch(err => {
      if (this.failure !== undefined) return
      this.failure = err
      this.frames.stop(err)
    })
    const before = this.last
    this.last = settled
    await before
  }

  async drain (): Promise<void> {
    await this.last
  }

  /**
   * However the session ended (`err`), nothing handed to the pipeline is left unsettled; the
   * error to throw is the peer's breach in a settled want if there was one, since it also
   * stopped the read that failed.
   */
  async abandon (err: unknown): Promise<unknown> {
    await this.last?.catch(() => {})
    return this.failure ?? err
  }
}

/**
 * Envelopes received in one batch (a want's answer, a turn's pushes), each frame's handed to
 * the pipeline as it arrives while the next is read, so a batch is validated, verified and
 * written together; a bounded batch bounds the work. The first envelope that breaks the rules
 * is reported as soon as it is judged; `settled` gives the verdict on all of them.
 */
class Intake {
  private readonly ids = new Set<string>()
  private readonly settling: Array<Promise<void>> = []
  private broken = false

  /** `onBreach` hears of the first envelope that breaks the protocol, as soon as it is judged. */
  constructor (private readonly gossipTopic: string, private readonly ctx: SessionContext, private readonly onBreach: (err: unknown) => void) {}

  /** False if the id came before in this batch. */
  claim (id: string): boolean {
    if (this.ids.has(id)) return false
    this.ids.add(id)
    return true
  }

  add (items: Uint8Array[]): void {
    if (items.length === 0) return
    const settling = this.settle(items)
    // handled at once, not when the batch's last frame is read: a breach ends the session now,
    // and a rejection nobody awaits yet would end the process
    settling.catch(err => {
      if (this.broken) return
      this.broken = true
      this.onBreach(err)
    })
    this.settling.push(settling)
  }

  /** Fails if the sender broke the protocol in any of the batch's envelopes. */
  async settled (): Promise<void> {
    const results = await Promise.allSettled(this.settling)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  private async settle (items: Uint8Array[]): Promise<void> {
    // the gossip topic makes the pipeline refuse a message of another topic, as gossip does
    const outcomes = await this.ctx.ingestor.submitMany(items, { topic: this.gossipTopic })
    for (const outcome of outcomes) {
      if (outcome.status === 'refused' && outcome.severity === 'reject') {
        throw new SyncProtocolError(`invalid envelope: ${outcome.code}`)
      }
      if (outcome.status === 'stored') this.ctx.progress.stored++
    }
    this.ctx.progress.received += items.length
  }
}

/**
 * Reads the envelopes frames answering a want, up to the one marked end: each must be one of
 * `ids`. Returns once the frames are read, with the settling of their envelopes.
 */
async function receiveEnvelopes (frames: Frames, ids: Uint8Array[], gossipTopic: string, ctx: SessionContext): Promise<{ settled: Promise<void> }> {
  const asked = new Set(ids.map(hex))
  // the answer to k ids takes at most ⌈k / 64⌉ frames (one if k is 0): no stream of empty frames
  let budget = Math.max(1, Math.ceil(ids.length / MAX_ENVELOPES_PER_FRAME))
  const intake = new Intake(gossipTopic, ctx, err => { frames.stop(err) })
  try {
    while (true) {
      const frame = await frames.read()
      if (frame.envelopes == null) throw new SyncProtocolError('expected an envelopes frame')
      if (budget-- === 0) throw new SyncProtocolError('more envelopes frames than the want needs')
      const items = frame.envelopes.items
      for (const item of items) {
        const id = envelopeId(item)
        // also refuses repeats: each wanted id is claimed once
        if (id == null || !asked.has(id) || !intake.claim(id)) throw new SyncProtocolError('an envelope that was not asked for')
      }
      intake.add(items)
      if (frame.envelopes.end) break
    }
  } catch (err) {
    // nothing handed to the pipeline is left unsettled, whatever ended the want
    await intake.settled().catch(() => {})
    throw err
  }
  return { settled: intake.settled() }
}

/** The envelopes of `ids` we still hold that belong to the topic and are live. */
async function servableEnvelopes (ctx: SessionContext, ids: Uint8Array[], gossipTopic: string, now: number): Promise<Array<Uint8Array<ArrayBuffer>>> {
  const items: Array<Uint8Array<ArrayBuffer>> = []
  for (const envelope of await ctx.store.getEnvelopes(ids.map(hex))) {
    if (envelope != null && servable(envelope, gossipTopic, now)) items.push(envelope as Uint8Array<ArrayBuffer>)
  }
  return items
}

/**
 * Envelopes in frames of ≤ 64. An answer is at least one frame and marks its last `end`; a
 * push is as many frames as it needs, none if nothing, since the want after it ends the turn.
 */
function envelopesFrames (items: Array<Uint8Array<ArrayBuffer>>, as: 'answer' | 'push'): SyncFrame[] {
  const chunks: Array<Array<Uint8Array<ArrayBuffer>>> = []
  for (let i = 0; i < items.length; i += MAX_ENVELOPES_PER_FRAME) chunks.push(items.slice(i, i + MAX_ENVELOPES_PER_FRAME))
  if (as === 'answer' && chunks.length === 0) chunks.push([])
  return chunks.map((chunk, i) => ({ envelopes: { items: chunk, end: as === 'answer' && i === chunks.length - 1 } }))
}

/**
 * Only the topic's live messages leave through a session on that topic. The envelopes are our
 * store's, validated when stored: read by the trusted reader, a third of protons' cost (the
 * full decode was ≈ 170 ms of a 3 000-post catch-up's responder).
 */
function servable (envelope: Uint8Array, gossipTopic: string, now: number): boolean {
  try {
    const body = readTrustedBody(envelope)
    return body.expiresAt > BigInt(now) && gossipTopicsOfBody(body).includes(gossipTopic)
  } catch {
    return false
  }
}

function envelopeId (bytes: Uint8Array): string | undefined {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) return undefined
  try {
    return hex(bodyId(decodeEnvelope(bytes).body))
  } catch {
    return undefined
  }
}

/** A pushed envelope as a Negentropy item, or undefined if it does not decode. */
function itemOf (bytes: Uint8Array): { timestamp: number, id: Uint8Array } | undefined {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) return undefined
  try {
    const { body } = decodeEnvelope(bytes)
    return { timestamp: Number(decodeBody(body).createdAt / 1000n), id: bodyId(body) }
  } catch {
    return undefined
  }
}

/** The ids we neither hold nor have seen deleted. */
async function lacking (ctx: SessionContext, ids: Array<Uint8Array<ArrayBuffer>>): Promise<Array<Uint8Array<ArrayBuffer>>> {
  const missing = new Set(await ctx.store.lacking(ids.map(hex)))
  return ids.filter(id => missing.has(hex(id)))
}

function reconcileOrThrow (neg: Negentropy, message: Uint8Array): ReturnType<Negentropy['reconcile']> {
  try {
    return neg.reconcile(message)
  } catch (err: any) {
    if (err instanceof NegentropyError) throw new SyncProtocolError(`bad negentropy message: ${err.message}`)
    throw err
  }
}

/**
 * The topic's live set, (createdAt in seconds, id) as NIP-77 has it: seconds fit every
 * Negentropy implementation's varints. Past maxItems only the newest are kept.
 */
async function loadSet (ctx: SessionContext, topic: string, since: number, now: number): Promise<NegentropyStorage> {
  // entries arrive oldest first: the capped builder keeps the newest maxItems
  const builder = new StorageBuilder(ctx.limits.maxItems)
  for await (const entry of ctx.store.topicEntries(topic, since, Number.MAX_SAFE_INTEGER, { now, signal: ctx.signal })) {
    builder.add(Math.floor(entry.createdAt / 1000), hexToBytes(entry.id))
  }
  return builder.build()
}

/** Frame limits given to the decoder, so a frame cannot even allocate more than this. */
const DECODE_LIMITS = {
  limits: {
    want: { ids: MAX_IDS_PER_FRAME },
    envelopes: { items: MAX_ENVELOPES_PER_FRAME }
  }
}

/** Length-prefixed SyncFrames with size checks, a timeout on every read and write, and byte counts. */
class Frames {
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly ctx: SessionContext
  private readonly stopped = new AbortController()

  constructor (stream: Stream, ctx: SessionContext) {
    this.ctx = ctx
    // the flow keeps at most two turns or answers (≤ 2 MiB) unread: two frames of slack
    this.lp = lpStream(stream, { maxDataLength: ctx.limits.maxFrameBytes, maxBufferSize: TURNS_IN_FLIGHT * 1024 * 1024 + 2 * ctx.limits.maxFrameBytes })
  }

  /** The session's signal bounded by one frame timeout. */
  frameSignal (): AbortSignal {
    return AbortSignal.any([this.ctx.signal, this.stopped.signal, AbortSignal.timeout(this.ctx.limits.frameTimeoutMs)])
  }

  /** Ends the frames' reads and writes, pending ones included, with `reason`. */
  stop (reason: unknown): void {
    this.stopped.abort(reason)
  }

  async read (): Promise<SyncFrame> {
    const signal = this.frameSignal()
    let bytes
    try {
      bytes = await this.lp.read({ signal })
    } catch (err: any) {
      throw this.classify(err, signal)
    }
    this.ctx.progress.bytesIn += bytes.byteLength
    let frame: SyncFrame
    try {
      frame = SyncFrame.decode(bytes, DECODE_LIMITS)
    } catch (err: any) {
      throw new SyncProtocolError(`undecodable frame: ${err.message}`)
    }
    checkShape(frame)
    if (frame.error != null) throw new SyncRemoteError(frame.error.slice(0, 64))
    return frame
  }

  async write (...frames: SyncFrame[]): Promise<void> {
    const encoded = frames.map(f => SyncFrame.encode(f))
    let total = 0
    for (const bytes of encoded) {
      if (bytes.byteLength > this.ctx.limits.maxFrameBytes) throw new Error(`frame of ${bytes.byteLength} bytes over the limit`)
      total += bytes.byteLength
    }
    if (this.ctx.spend?.(total) === false) throw new SyncLimitError('the peer has used its sync byte budget for now')
    this.ctx.progress.bytesOut += total
    const signal = this.frameSignal()
    try {
      await this.lp.writeV(encoded, { signal })
    } catch (err: any) {
      throw this.classify(err, signal)
    }
  }

  /** Timeouts and hang-ups are not the peer's fault; oversized or overflowing input is. */
  private classify (err: any, signal: AbortSignal): Error {
    if (signal.aborted) {
      if (this.stopped.signal.aborted) return this.stopped.signal.reason
      if (this.ctx.signal.aborted) {
        const reason = this.ctx.signal.reason
        return reason?.name === 'TimeoutError' ? new SyncTimeoutError('the session timed out') : reason ?? err
      }
      return new SyncTimeoutError('the peer did not send the next frame in time')
    }
    switch (err?.name) {
      case 'InvalidDataLengthError':
      case 'InvalidDataLengthLengthError':
      case 'InvalidMessageLengthError':
        return new SyncProtocolError(`frame too large: ${err.message}`)
      case 'StreamBufferError':
        return new SyncProtocolError('the peer sent more than was asked for')
      case 'UnexpectedEOFError':
      case 'StreamResetError':
      case 'StreamAbortedError':
      case 'StreamStateError':
        return new SyncClosedError(`the stream closed: ${err.message}`)
      default:
        return err
    }
  }
}

/** Exactly one field set; ids exactly 32 bytes. */
function checkShape (frame: SyncFrame): void {
  const set = [frame.open, frame.neg, frame.want, frame.envelopes, frame.done, frame.error].filter(v => v != null)
  if (set.length !== 1) throw new SyncProtocolError(`a frame sets ${set.length} fields, not 1`)
  for (const id of frame.want?.ids ?? []) {
    if (id.byteLength !== ID_SIZE) throw new SyncProtocolError('an id is not 32 bytes')
  }
}
