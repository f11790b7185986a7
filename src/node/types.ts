// The node's public surface: what the HTTP API, the CLI's `start`, tests and benchmarks use.

import type { PostView } from './views.js'
import type { MurmurConfig } from '../config.js'
import type { MurmurLibp2p } from '../network/libp2p.js'
import type { GossipCounters } from '../network/gossip.js'
import type { PostStore } from '../store/index.js'
import type { Ingestor } from './ingest.js'
import type { TopicDiscovery } from '../network/discovery.js'
import type { Sync, SyncStatus, SyncTopicSummary } from '../sync/index.js'

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
  /** history sync sessions running and done, bytes exchanged */
  sync: SyncStatus
  powBits: number
  /** a community relay's circuit-relay reservations */
  relay?: { reservations: number, max: number }
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

export interface NodeEvents {
  /** a post, reply, reaction or delete newly stored, from the network or the local user */
  post: CustomEvent<PostView>
}

export interface MurmurNode {
  readonly config: MurmurConfig
  readonly peerId: string
  readonly libp2p: MurmurLibp2p
  readonly store: PostStore
  readonly ingestor: Ingestor
  readonly discovery: TopicDiscovery
  readonly sync: Sync
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
}
