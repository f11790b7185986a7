// Gossipsub v1.1 peer scoring for murmur: the weights of each score component on a murmur
// topic, the node-wide components, and the thresholds that act on the score. docs/abuse.md
// explains every value; the numbers here and there must agree.

import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** Scores decay once a second (gossipsub's decayInterval). */
const DECAY_INTERVAL_MS = 1_000

/** The per-interval factor that halves a counter in `seconds`. */
export function halfLife (seconds: number): number {
  return 0.5 ** (DECAY_INTERVAL_MS / 1000 / seconds)
}

/**
 * One murmur topic (`murmur/1/tag/…`, `murmur/1/geo/…`). Positive components are small and
 * capped: they only rank honest peers for grafting. The negative one that matters is P4,
 * invalid deliveries: squared, so 9 invalid messages on one topic (−81) graylist a peer, and
 * slow to decay, so a flood keeps it graylisted for about an hour. Mesh delivery rates (P3,
 * P3b) are off: a quiet channel is normal, and a peer must not be scored down for having
 * nothing to forward (docs/abuse.md says why, and what covers withholding instead).
 */
export const TOPIC_SCORE_PARAMS: TopicScoreParams = {
  topicWeight: 1,
  // P1: at most +1, after an hour in our mesh
  timeInMeshWeight: 1 / 3600,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 3_600,
  // P2: +1 per message a peer brought us first, up to +10, halving every 10 minutes
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: halfLife(600),
  firstMessageDeliveriesCap: 10,
  // P3 and P3b: off (weight 0); the rest only keeps gossipsub's validation happy
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: halfLife(60),
  meshMessageDeliveriesCap: 20,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 2_000,
  meshMessageDeliveriesActivation: 60_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: halfLife(60),
  // P4: −(invalid deliveries)², halving every 20 minutes
  invalidMessageDeliveriesWeight: -1,
  invalidMessageDeliveriesDecay: halfLife(1_200)
}

/**
 * Node-wide components. `topics` starts empty: gossip.ts adds TOPIC_SCORE_PARAMS for each
 * topic as it is joined.
 */
export function peerScoreParams (): Partial<PeerScoreParams> {
  return {
    topics: {},
    // the sum of topic scores is capped, so good behaviour on many topics buys no licence
    topicScoreCap: 10,
    // P5: unused; murmur's own penalties (rate limits, sync breaches) go through P7 below
    appSpecificScore: () => 0,
    appSpecificWeight: 0,
    // P6: off. Peers reached through a community relay all show the relay's IP, several
    // people share one carrier-grade NAT, and tests run on 127.0.0.1: colocation is not abuse
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 1,
    IPColocationFactorWhitelist: new Set(),
    // P7: −10 × (penalties − 4)²: gossipsub's own (broken IWANT promises, GRAFT floods) and
    // murmur's (a history-sync protocol breach)
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 4,
    behaviourPenaltyDecay: halfLife(600),
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    // a negative score outlives a reconnection by an hour
    retainScore: 3_600_000
  }
}

export const PEER_SCORE_THRESHOLDS: PeerScoreThresholds = {
  // below: no IHAVE/IWANT with the peer (4 invalid messages)
  gossipThreshold: -10,
  // below: our own messages are not published to it (8 invalid messages)
  publishThreshold: -50,
  // below: everything it sends is dropped unread (9 invalid messages, or 7 behaviour penalties)
  graylistThreshold: -80,
  // peer exchange on PRUNE only from a peer at the topic score cap: one that has been
  // delivering first for a while (murmur finds peers by bootstrap, mDNS and the DHT)
  acceptPXThreshold: 10,
  // a mesh whose median peer has brought us fewer than ~2 first deliveries lately grafts
  // better-scoring peers: what dislodges mesh members that never forward (withholding)
  opportunisticGraftThreshold: 2
}
