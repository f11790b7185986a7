// Public types of the post store: what callers read back (StoredPost) and the PostStore contract.
// The store persists validated Messages; the key layout is in docs/storage.md.

import type { Message } from '../post/model.js'
import type { Sort } from '../ranking/index.js'

/** A stored message without its envelope, plus its counters and local authorship. */
export interface StoredPost extends Omit<Message, 'envelope'> {
  /** +1 reactions on this id */
  up: number
  /** −1 reactions on this id */
  down: number
  /** replies to this id (roots only) */
  replies: number
  /** authored by this node's user (see markMine) */
  isMine: boolean
}

export type IngestStatus = 'stored' | 'duplicate' | 'deleted' | 'rejected'

/**
 * Result codes (`code`), by status:
 * - rejected: MALFORMED, BAD_VALUE, BAD_PARENT, TOPIC_MISMATCH, NOT_AUTHOR
 * - duplicate: DUPLICATE (id stored, or twice in one call), SUPERSEDED (an older reaction of an
 *   author who already has a newer one on that target), ALREADY_DELETED (a delete of something
 *   already deleted), ALREADY_PENDING (a second delete by the same author of a target not here yet)
 * - deleted: TOMBSTONED (the id was deleted), PENDING_DELETE (a delete for it arrived first),
 *   ROOT_DELETED, PARENT_DELETED (it belongs to something deleted; it is tombstoned too)
 * - stored: no code
 */
export interface IngestResult {
  id: string
  status: IngestStatus
  code?: string
}

export interface IngestOptions {
  /** flush the write to disk before answering, ahead of queued background writes: the local user's own messages */
  sync?: boolean
  /**
   * Ids of these messages the local user wrote, with the nonces (hex) their keys derive
   * from: each one stored is marked as the user's in the same write (see markMine)
   */
  mine?: ReadonlyMap<string, string>
}

export interface Thread {
  post?: StoredPost
  /** oldest first */
  replies: StoredPost[]
}

export interface FeedQuery {
  /** 'tag:x' | 'geo:abcd' */
  topic?: string
  /** Near me: the union of these geohash cells (any precision 1–6); intersected with `topic` if both are given */
  geohashPrefixes?: string[]
  sort: Sort
  /** 1..200 */
  limit: number
  /** ms since the Unix epoch: expired posts (expiresAt ≤ now) are never returned */
  now: number
  /** the user's geohash, required by sort 'near' (its cell size sets the distance scale) */
  origin?: string
  /** posts whose score (up − down) is at or below this are left out; default HIDE_SCORE_THRESHOLD (−5) */
  hideAtOrBelow?: number
  /** also left out: the user's mutes and hidden labels (src/moderation); checked before ranking, so a page stays full */
  exclude?(post: StoredPost): boolean
}

/** A moderator's latest label on a post id ('clear' once withdrawn). */
export interface LabelRecord {
  target: string
  /** hex key of the moderator */
  moderator: string
  label: string
  createdAt: number
  /** the LABEL message it came in */
  id: string
}

export interface ModerationLogOptions {
  kind: 'label' | 'report'
  /** when set, expired messages are left out */
  now?: number
  /** newest first, at most this many; default 200 */
  limit?: number
}

export interface TopicEntry {
  createdAt: number
  id: string
}

export interface TopicEntriesOptions {
  /** when set, entries whose expiresAt ≤ now are skipped */
  now?: number
  signal?: AbortSignal
}

export interface ThreadOptions {
  /** when set, replies (and a post) whose expiresAt ≤ now are left out */
  now?: number
  /** at most this many replies (oldest first); default unbounded */
  limit?: number
}

export interface StoreStats {
  /** root posts */
  posts: number
  replies: number
  reactions: number
  /** delete messages kept to spread them */
  deletes: number
  /** confirmed tombstones (ids deleted by their author) */
  tombstones: number
  /** deletes whose target has not arrived yet */
  pendingTombstones: number
  /** LABEL messages held (of moderators whose topic this node joined) */
  labels: number
  /** REPORT messages held */
  reports: number
}

export interface StoreOptions {
  /** directory of the LevelDB database */
  path: string
  /** root posts kept per topic before the oldest are evicted; default 50 000 */
  topicQuota?: number
  /** at most this many posts are read for a feed: the newest to rank for top, the best bounded for hot/near; default 2 000 */
  candidates?: number
  /**
   * posts held in memory for each of the 8 feeds (Hot, New or Near, of a topic, cells or
   * everything) read last, so that their pages skip the index ranges (src/store/views.ts);
   * 0: none; default 500
   */
  viewPosts?: number
  /**
   * ms a read of many keys (a page's cards, a write's prefetch) may take on the event loop
   * before it hands the rest to libuv's thread pool (src/store/tx.ts, `readKeys`); 0: always
   * the pool; default 2
   */
  syncReadMs?: number
  /** told how an upgrade of an older store's layout goes, in start(): minutes on a million posts */
  onUpgrade?: (progress: UpgradeProgress) => void
}

/**
 * One step of a store upgrade: `done` entries of `step` rewritten so far. The last, 'id filter',
 * lists the ids a store holds when it has no saved filter of this code's format (then `from`
 * equals `to` when the schema itself did not change).
 */
export interface UpgradeProgress {
  from: number
  to: number
  step: 'topic index' | 'geo index' | 'old records' | 'compaction' | 'hot index' | 'id filter'
  done: number
}

export interface PostStore {
  /** Opens the database; a no-op when already open. */
  start(): Promise<void>
  /** Waits for queued writes, then closes the database; a no-op when closed. */
  stop(): Promise<void>
  isStarted(): boolean

  /** Stateful validation and storage of validated messages: one atomic batch; results in input order. */
  ingest(messages: Message[], options?: IngestOptions): Promise<IngestResult[]>

  get(id: string): Promise<StoredPost | undefined>
  getEnvelope(id: string): Promise<Uint8Array | undefined>
  /** in the order asked, undefined for what is not held: one read for many */
  getEnvelopes(ids: string[]): Promise<Array<Uint8Array | undefined>>
  has(id: string): Promise<boolean>
  isTombstoned(id: string): Promise<boolean>
  /** of `ids`, those neither held nor deleted, in the order asked: what sync should fetch, in one read */
  lacking(ids: string[]): Promise<string[]>
  thread(rootId: string, options?: ThreadOptions): Promise<Thread>
  myReaction(targetId: string, authorHex: string): Promise<number | undefined>
  feed(query: FeedQuery): Promise<StoredPost[]>
  /** (createdAt, id) of every stored message of a topic with from ≤ createdAt < to, in time order. */
  topicEntries(topic: string, from: number, to: number, options?: TopicEntriesOptions): AsyncIterable<TopicEntry>

  /** Stored root posts (a counter, no scan). */
  count(): Promise<number>
  stats(): Promise<StoreStats>

  /**
   * Removes everything whose expiresAt ≤ now; returns how many messages and tombstones (pending
   * ones included) were removed. Also the store's upkeep: the filter of held ids forgets what
   * expired, and is saved when its journal has grown (docs/storage.md, "The saved id filter").
   */
  purge(now: number): Promise<number>
  /**
   * Evicts a topic's root posts created before `before`, with their threads: a node's
   * retention, shorter than the posts' own lifetimes. Returns how many root posts went.
   */
  trim(topic: string, before: number): Promise<number>

  markMine(id: string, nonceHex: string): Promise<void>
  mineNonce(id: string): Promise<string | undefined>
  isMine(id: string): Promise<boolean>

  joinTopic(topic: string): Promise<void>
  leaveTopic(topic: string): Promise<void>
  topics(): Promise<string[]>

  /** Every moderator's latest label on each of these ids (no 'clear' filtering: callers decide). */
  labelsOf(targets: string[]): Promise<LabelRecord[]>
  /** Every latest label held, for a node to load the labels of the moderators it follows. */
  allLabels(): AsyncIterable<LabelRecord>
  /** The labels or reports on a moderator's topic, newest first. */
  moderationLog(moderator: string, options: ModerationLogOptions): Promise<StoredPost[]>
  /**
   * Removes stored posts or replies with their threads and tombstones them until their expiry,
   * as a delete would: what a node following a moderator with `drop` no longer carries. Returns
   * the ids removed (ids not stored, or not posts or replies, are skipped).
   */
  drop(ids: string[]): Promise<string[]>
  /**
   * Tombstones valid messages that were refused before they were ever stored (a post a
   * followed moderator labels `drop`), so sync stops fetching them again; what belongs to them
   * is then refused as belonging to something deleted. Stored or tombstoned ids are skipped.
   */
  tombstone(messages: Message[]): Promise<void>

  /** Small free-form settings (JSON values). */
  getSetting(key: string): Promise<unknown>
  setSetting(key: string, value: unknown): Promise<void>
}
