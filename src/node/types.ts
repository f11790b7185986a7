// The node's public surface: what the HTTP API, the CLI's `start`, tests and benchmarks use.

import type { PostView } from './views.js'
import type { MurmurConfig } from '../config.js'
import type { MurmurLibp2p } from '../network/libp2p.js'
import type { GossipCounters } from '../network/gossip.js'
import type { PostStore } from '../store/index.js'
import type { Ingestor } from './ingest.js'
import type { PowPolicy } from '../post/index.js'
import type { DiscoveryWalks, TopicDiscovery } from '../network/discovery.js'
import type { Sync, SyncStatus, SyncTopicSummary } from '../sync/index.js'
import type { Moderation, ModerationSettings, MuteType } from '../moderation/index.js'
import type { VerifierStats } from '../verify/index.js'

export interface PostInput {
  text: string
  tags?: string[]
  geohash?: string
  lat?: number
  lon?: number
  /** geohash precision used when lat/lon are given (4–6) */
  precision?: number
  ttlSeconds?: number
}

export type FeedSort = 'hot' | 'new' | 'top'

export interface FeedQuery {
  topic?: string
  near?: { lat: number, lon: number, precision?: number }
  sort?: FeedSort
  limit?: number
}

export interface NodeStatus {
  peerId: string
  addresses: string[]
  topics: string[]
  peers: number
  posts: number
  gossip: GossipCounters
  /** gossip streams opened again on connections that had lost theirs (network/gossip-links.ts) */
  gossipLinksMended: number
  /** connections identified again after identify's own run on them failed (network/identify-again.ts) */
  identifiedAgain: number
  /** DHT walks topic discovery started, by kind (network/discovery.ts) */
  discoveryWalks: DiscoveryWalks
  /** history sync sessions running and done, bytes exchanged */
  sync: SyncStatus
  /** the proof of work a post needs here (`pow.post`) */
  powBits: number
  /** the proof of work each kind needs here, in leading zero bits */
  pow: PowPolicy
  /**
   * the process's signature workers (shared by its nodes): batches they answered, signatures
   * the main thread verified because a worker failed, worker restarts; absent with verifyThreads 0
   */
  verify?: VerifierStats
  /** a community relay's circuit-relay reservations */
  relay?: { reservations: number, max: number }
  moderation: {
    /** this node's moderator id (public key) */
    moderatorId: string
    /** moderators followed */
    following: number
    /** posts and replies removed since start because a followed moderator labels them `drop` */
    dropped: number
    /** LABEL and REPORT messages held */
    labels: number
    reports: number
  }
}

/** The user's moderation settings, and this node's own moderator id. */
export interface ModerationView extends ModerationSettings {
  moderatorId: string
}

export interface ReportInput {
  /** the moderator's id (64 hex) */
  moderator: string
  /** spam, harassment, hate, nsfw or other */
  reason: string
  /** at most 280 characters */
  note?: string
}

export interface SentReport {
  id: string
  target: string
  moderator: string
  reason: string
  /** peers the report was sent to at once; 0: none of the connected peers carries that moderator's topic */
  recipients: number
}

export interface LabelView {
  id: string
  targets: string[]
  label: string
  moderator: string
  createdAt: number
  expiresAt: number
}

export interface ReportView {
  id: string
  target: string
  reason: string
  note: string
  createdAt: number
  expiresAt: number
  /** the report's one-off key: it names no one, and two reports never share it */
  reporter: string
  /** the reported post, when this node holds it */
  post?: PostView
}

export interface PeerView {
  peerId: string
  addresses: string[]
  direction: string
  topics: string[]
  /** gossipsub peer score (negative after invalid deliveries) */
  score: number
}

export interface Thread {
  post: PostView
  replies: PostView[]
}

export interface MurmurNode {
  readonly config: MurmurConfig
  readonly peerId: string
  readonly libp2p: MurmurLibp2p
  readonly store: PostStore
  readonly ingestor: Ingestor
  readonly discovery: TopicDiscovery
  readonly sync: Sync
  readonly moderation: Moderation
  /** `post`, a `CustomEvent<PostView>`: a post, reply, reaction or delete newly stored, from the network or the local user */
  readonly events: EventTarget
  start(): Promise<void>
  stop(): Promise<void>
  addresses(): string[]
  status(): Promise<NodeStatus>
  /** Prometheus text exposition (config `metrics`), else NotFoundError */
  metrics(): Promise<{ contentType: string, body: string }>
  post(input: PostInput): Promise<PostView>
  reply(id: string, text: string): Promise<PostView>
  react(id: string, value: 1 | -1): Promise<PostView>
  remove(id: string): Promise<void>
  thread(id: string): Promise<Thread>
  feed(query: FeedQuery): Promise<PostView[]>
  join(topic: string): Promise<string>
  leave(topic: string): Promise<string>
  topics(): string[]
  /** a history sync of a joined topic with each of its connected subscribers, now */
  syncTopic(topic: string): Promise<SyncTopicSummary>
  peers(): PeerView[]

  moderationSettings(): ModerationView
  /** a pseudonym is muted by the id of one of its posts or replies (or its key) */
  mute(type: MuteType, value: string): Promise<ModerationView>
  unmute(type: MuteType, value: string): Promise<ModerationView>
  setHideAtOrBelow(value: number): Promise<ModerationView>
  /** `{ id, hide?, warn?, drop? }`: follows a moderator (joins its topic) or changes what its labels do */
  followModerator(input: unknown): Promise<ModerationView>
  unfollowModerator(id: string): Promise<ModerationView>
  /** Labels ids as this node's moderator key ('clear' withdraws an earlier label). */
  label(targets: string[], label: string): Promise<LabelView>
  /** Reports a post to a moderator, signed by a one-off key. */
  report(id: string, input: ReportInput): Promise<SentReport>
  /** The reports addressed to this node's moderator key, newest first; starts listening for them. */
  reports(): Promise<ReportView[]>
}
