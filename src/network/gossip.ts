// Topic membership and the gossip data path: subscribe/unsubscribe with a validator per
// joined topic that runs the ingest pipeline, and publishing a message on all its topics.

import { TopicValidatorResult } from '@libp2p/gossipsub'
import { toGossipTopic, topicsOfPost, parseTopic, formatTopic } from '../geo/index.js'
import type { MurmurLibp2p } from './libp2p.js'
import type { Ingestor } from '../node/ingest.js'
import type { Message } from '../post/model.js'
import type { Logger } from '@libp2p/interface'

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
  ignored: number
  rejected: number
}

export interface GossipInit {
  libp2p: MurmurLibp2p
  ingestor: Ingestor
  log: Logger
}

/**
 * How long a stored message may still be forwarded on one more of its topics: a post on
 * two topics arrives twice with two gossip ids, and the second copy must travel on too.
 */
const RECENT_LIMIT = 10_000

/**
 * Peer-score parameters for each joined murmur topic. The one that matters here is the
 * invalid-delivery penalty (squared, so a flood of invalid messages graylists a peer fast:
 * about 13 invalid messages reach gossipsub's default graylist threshold of −80). Mesh
 * delivery-rate penalties are off: a quiet channel is normal for a social topic, and an honest
 * peer there must not be scored down for having little to say. Tuned further in issue 5.
 */
export const TOPIC_SCORE_PARAMS = {
  topicWeight: 0.5,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 3_600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.5,
  firstMessageDeliveriesCap: 50,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -1,
  invalidMessageDeliveriesDecay: 0.3
}

/** The score parameters live on the gossipsub instance, which its public type does not show. */
function scoredTopics (pubsub: unknown): Record<string, typeof TOPIC_SCORE_PARAMS> | undefined {
  return (pubsub as { score?: { params?: { topics?: Record<string, typeof TOPIC_SCORE_PARAMS> } } }).score?.params?.topics
}

export function createGossip ({ libp2p, ingestor, log }: GossipInit): Gossip {
  const pubsub = libp2p.services.pubsub
  // API form → gossip name
  const joined = new Map<string, string>()
  const counters: GossipCounters = { accepted: 0, ignored: 0, rejected: 0 }
  // id → gossip topics it has been accepted on
  const recent = new Map<string, Set<string>>()

  function remember (id: string, gossipTopic: string): void {
    const topics = recent.get(id) ?? new Set()
    topics.add(gossipTopic)
    recent.delete(id)
    recent.set(id, topics)
    if (recent.size > RECENT_LIMIT) recent.delete(recent.keys().next().value as string)
  }

  const validator = async (_peer: unknown, msg: { topic: string, data: Uint8Array }): Promise<TopicValidatorResult> => {
    try {
      const outcome = await ingestor.submit(msg.data, { topic: msg.topic })
      if (outcome.status === 'stored') {
        remember(outcome.message.id, msg.topic)
        counters.accepted++
        return TopicValidatorResult.Accept
      }
      if (outcome.status === 'known') {
        const topics = recent.get(outcome.message.id)
        if (outcome.code === 'DUPLICATE' && topics != null && !topics.has(msg.topic)) {
          remember(outcome.message.id, msg.topic)
          counters.accepted++
          return TopicValidatorResult.Accept
        }
        counters.ignored++
        return TopicValidatorResult.Ignore
      }
      log('refused gossip on %s: %s (%s)', msg.topic, outcome.code, outcome.reason)
      if (outcome.severity === 'ignore') {
        counters.ignored++
        return TopicValidatorResult.Ignore
      }
      counters.rejected++
      return TopicValidatorResult.Reject
    } catch (err: any) {
      // a store failure is ours, not the sender's: do not penalise, do not forward
      log.error('gossip ingest failed - %e', err)
      counters.ignored++
      return TopicValidatorResult.Ignore
    }
  }

  return {
    join (topic) {
      const parsed = parseTopic(topic)
      const key = formatTopic(parsed)
      if (joined.has(key)) return
      const name = toGossipTopic(parsed)
      joined.set(key, name)
      pubsub.topicValidators.set(name, validator)
      const scored = scoredTopics(pubsub)
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
