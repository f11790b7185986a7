// Topic membership and the gossip data path: subscribe/unsubscribe, validation of every
// message gossipsub receives on a joined topic by the ingest pipeline (within each peer's
// budget, through a bounded validation queue), and publishing a message on all its topics.

import { TopicValidatorResult } from '@libp2p/gossipsub'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { gossipMessageId } from './libp2p.js'
import { PeerLimiter, WorkLimit } from './limits.js'
import { TOPIC_SCORE_PARAMS } from './score.js'
import { bodyId, decodeBody, decodeEnvelope, leadingZeroBits } from '../post/index.js'
import { toGossipTopic, topicsOfPost, parseTopic, formatTopic } from '../geo/index.js'
import type { MurmurLibp2p } from './libp2p.js'
import type { Ingestor, IngestOutcome } from '../node/ingest.js'
import type { Message } from '../post/model.js'
import type { PowPolicy } from '../post/index.js'
import type { Logger, PeerId } from '@libp2p/interface'
import type { TopicScoreParams } from '@libp2p/gossipsub/score'
import type { Message as GossipMessage, GossipsubMessage } from '@libp2p/gossipsub'

export { TOPIC_SCORE_PARAMS } from './score.js'

export interface Gossip {
  /** topics in API form (`tag:x`) */
  join(topic: string): void
  leave(topic: string): void
  joined(): string[]
  publish(message: Message): Promise<number>
  /** gossipsub's score of a peer: negative once it has delivered invalid messages */
  score(peerId: string): number
  counters(): GossipCounters
}

export interface GossipCounters {
  accepted: number
  /** dropped without blame, including the shed and the paid part of the limited */
  ignored: number
  rejected: number
  /** over their sender's rate budget: rejected if unpaid (no work), else ignored */
  limited: number
  /** ignored because the validation queue was full */
  shed: number
}

export interface GossipLimits {
  /** messages a second each peer may deliver, and the burst it may save up */
  rate: number
  burst: number
  /** validations waiting or running at once */
  maxPending?: number
}

export interface GossipInit {
  libp2p: MurmurLibp2p
  ingestor: Ingestor
  log: Logger
  limits?: GossipLimits
  /** the least work a message may carry without its sender being blamed (validate.ts powFloor) */
  powFloor: () => PowPolicy
}

/**
 * How long a stored message may still be forwarded on one more of its topics: a post on
 * two topics arrives twice with two gossip ids, and the second copy must travel on too.
 */
const RECENT_LIMIT = 10_000

/** Validations waiting or running at once; past it, new gossip is dropped unread (and not held against anyone). */
const MAX_PENDING_VALIDATIONS = 512
/** However many peers compete, each may hold at least this fraction (1/n) of the validation queue. */
const PEER_SHARE_OF_QUEUE = 16

/** Parts of the gossipsub instance that its public type does not show. */
interface GossipsubInternals {
  score?: { params?: { topics?: Record<string, TopicScoreParams> } }
  seenCache?: { entries?: Map<string, unknown> }
  reportMessageValidationResult: (msgId: string, propagationSource: string, acceptance: TopicValidatorResult) => void
}

/** The peers of the open connections, as strings: built once for a pass over several topics. */
export function connectedPeers (libp2p: MurmurLibp2p): Set<string> {
  return new Set(libp2p.getConnections().map(c => c.remotePeer.toString()))
}

/**
 * Peers that gossipsub knows to subscribe to a topic (API form) among those `connected` (peer
 * ids; by default every open connection's).
 */
export function connectedSubscribers (libp2p: MurmurLibp2p, topic: string, connected = connectedPeers(libp2p)): PeerId[] {
  return libp2p.services.pubsub.getSubscribers(toGossipTopic(parseTopic(topic))).filter(peer => connected.has(peer.toString()))
}

/** Whether a message decodes and carries at least the floor's work for its kind: one hash, no signature. */
export function paidFor (data: Uint8Array, floor: PowPolicy): boolean {
  try {
    const envelope = decodeEnvelope(data)
    const bits = (floor as Record<string, number | undefined>)[decodeBody(envelope.body).kind.toLowerCase()]
    return bits !== undefined && leadingZeroBits(bodyId(envelope.body)) >= bits
  } catch {
    return false
  }
}

export function createGossip ({ libp2p, ingestor, log, limits, powFloor }: GossipInit): Gossip {
  const pubsub = libp2p.services.pubsub
  const internals = pubsub as unknown as GossipsubInternals
  // API form → gossip name
  const joined = new Map<string, string>()
  const counters: GossipCounters = { accepted: 0, ignored: 0, rejected: 0, limited: 0, shed: 0 }
  const budgets = new PeerLimiter({ rate: limits?.rate ?? 50, burst: limits?.burst ?? 500 })
  const queueSize = limits?.maxPending ?? MAX_PENDING_VALIDATIONS
  const queue = new WorkLimit(queueSize)
  // peer → its validations waiting or in flight
  const inFlight = new Map<string, number>()
  // id → gossip topics it has been accepted on
  const recent = new Map<string, Set<string>>()

  function remember (id: string, gossipTopic: string): void {
    const topics = recent.get(id) ?? new Set()
    topics.add(gossipTopic)
    recent.delete(id)
    recent.set(id, topics)
    if (recent.size > RECENT_LIMIT) recent.delete(recent.keys().next().value as string)
  }

  /**
   * Gossipsub marked the message seen before handing it to us; dropped for want of budget, it
   * must not stay seen, or the same message from an honest peer would be discarded as a
   * duplicate. (Its seen cache is filled before any validation, asynchronous or not.)
   */
  function forget (msg: GossipMessage): void {
    internals.seenCache?.entries?.delete(uint8ArrayToString(gossipMessageId(msg), 'base64'))
  }

  /** The verdict on a message the pipeline has judged. */
  function verdictOf (outcome: IngestOutcome, msg: GossipMessage): TopicValidatorResult {
    if (outcome.status === 'refused') {
      log('refused gossip on %s: %s (%s)', msg.topic, outcome.code, outcome.reason)
      if (outcome.severity === 'ignore') {
        counters.ignored++
        return TopicValidatorResult.Ignore
      }
      counters.rejected++
      return TopicValidatorResult.Reject
    }
    // new here, or one we hold that came on a topic of it we have not forwarded it on yet
    if (outcome.status === 'stored' || (outcome.code === 'DUPLICATE' && recent.get(outcome.message.id)?.has(msg.topic) === false)) {
      remember(outcome.message.id, msg.topic)
      counters.accepted++
      return TopicValidatorResult.Accept
    }
    counters.ignored++
    return TopicValidatorResult.Ignore
  }

  function settled (from: string): void {
    const left = (inFlight.get(from) ?? 1) - 1
    if (left > 0) inFlight.set(from, left)
    else inFlight.delete(from)
  }

  /**
   * Not an async function: in a burst hundreds of messages wait in the pipeline at once, and
   * each suspended async frame (with its promise and the wrapper around the queued task) lived
   * through the scavenges that a burst's garbage triggers, copied and then promoted: the
   * largest allocation site among a burst's survivors (docs/performance.md, Results "20:55 UTC").
   * A message that waits holds one closure over `msg` and `from` instead.
   */
  const validate = (peer: PeerId, msg: GossipMessage): TopicValidatorResult | Promise<TopicValidatorResult> => {
    const from = peer.toString()
    if (!budgets.take(from)) {
      counters.limited++
      // Unpaid (undecodable, or short of the work floor) costs one hash to tell and is an
      // offence whatever the rate: rejected, so a flood graylists its sender as fast over
      // budget as under it. Paid work over budget is only dropped: an honest relay forwards
      // paid spam too, and a penalty for it would let a spammer get relays graylisted.
      if (!paidFor(msg.data, powFloor())) {
        counters.rejected++
        return TopicValidatorResult.Reject
      }
      forget(msg)
      counters.ignored++
      return TopicValidatorResult.Ignore
    }
    // One peer's backlog may not fill the queue while others wait: each peer with work in it
    // gets an equal share, never less than a sixteenth. A peer alone (a node behind NAT whose
    // only peer is its relay) may use the whole queue, or a burst from it would be shed.
    const mine = inFlight.get(from) ?? 0
    const competing = inFlight.size + (mine === 0 ? 1 : 0)
    const share = Math.max(1, Math.floor(queueSize / PEER_SHARE_OF_QUEUE), Math.floor(queueSize / competing))
    const job = mine < share ? queue.submit(() => ingestor.submit(msg.data, { topic: msg.topic })) : undefined
    if (job == null) {
      counters.shed++
      forget(msg)
      counters.ignored++
      return TopicValidatorResult.Ignore
    }
    inFlight.set(from, mine + 1)
    return job.then(outcome => {
      settled(from)
      return verdictOf(outcome, msg)
    }, (err: unknown) => {
      settled(from)
      // a store failure is ours, not the sender's: do not penalise, do not forward
      log.error('gossip ingest failed - %e', err)
      counters.ignored++
      return TopicValidatorResult.Ignore
    })
  }

  /** A validator that threw or rejected: our fault, not the sender's, so not held against it. */
  const failed = (err: unknown): TopicValidatorResult => {
    log.error('gossip validation failed - %e', err)
    return TopicValidatorResult.Ignore
  }

  /**
   * Gossipsub runs with asynchronous validation: it caches a message before we have judged it
   * and forwards it once we report Accept. Copies of it that arrive from other peers in the
   * meantime are noted in that cache entry, and the forward skips those peers; with a topic
   * validator it cached the message only after the verdict, so it sent the message back to
   * mesh peers that had already sent it (copies received per node per message in the gossip
   * benchmark's burst: 4.7 then, 1.6 now; docs/performance.md). Reject and Ignore drop the
   * entry, Reject penalising the sender and every peer that sent a copy. A message never
   * reported leaves the cache with its history window (5 heartbeats); one on a topic left
   * meanwhile is not handed to us at all. Gossipsub's own `message` event fires before the
   * verdict: murmur announces posts once stored (the node's `post` event), never from it.
   */
  pubsub.addEventListener('gossipsub:message', (evt: CustomEvent<GossipsubMessage>) => {
    const { propagationSource, msgId, msg } = evt.detail
    const from = propagationSource.toString()
    const report = (acceptance: TopicValidatorResult): void => {
      try {
        internals.reportMessageValidationResult(msgId, from, acceptance)
      } catch (err) {
        log.error('could not report a gossip verdict - %e', err)
      }
    }
    let verdict: TopicValidatorResult | Promise<TopicValidatorResult>
    try {
      verdict = validate(propagationSource, msg)
    } catch (err) {
      verdict = failed(err)
    }
    if (typeof verdict === 'string') report(verdict)
    else verdict.then(report, (err: unknown) => { report(failed(err)) })
  })

  return {
    join (topic) {
      const parsed = parseTopic(topic)
      const key = formatTopic(parsed)
      if (joined.has(key)) return
      const name = toGossipTopic(parsed)
      joined.set(key, name)
      const scored = internals.score?.params?.topics
      if (scored != null) scored[name] = { ...TOPIC_SCORE_PARAMS }
      pubsub.subscribe(name)
    },
    leave (topic) {
      const key = formatTopic(parseTopic(topic))
      const name = joined.get(key)
      if (name == null) return
      joined.delete(key)
      pubsub.unsubscribe(name)
      // score parameters stay: peers' stats for this topic decay under them
    },
    joined: () => [...joined.keys()],
    async publish (message) {
      let recipients = 0
      for (const topic of topicsOfPost(message)) {
        const name = toGossipTopic(topic)
        remember(message.id, name)
        const result = await pubsub.publish(name, message.envelope)
        recipients += result.recipients.length
      }
      return recipients
    },
    counters: () => ({ ...counters }),
    score: (peerId) => (pubsub as unknown as { getScore?(id: string): number }).getScore?.(peerId) ?? 0
  }
}
