// The LevelDB post store: stateful validation (threads, reactions, deletes, tombstones), indexes,
// counters, feeds, purge and quotas. Every ingest is one atomic batch; writes run one at a time.

import { Level } from 'level'
import PQueue from 'p-queue'
import { BadRequestError, MurmurError } from '../errors.js'
import { cellSizeMetres, formatTopic, isValidGeohash, minCellDistance, parseTopic } from '../geo/index.js'
import { GEO_CELL_CHARS } from '../post/constants.js'
import { decodeTrusted } from '../post/validate.js'
import { createdAtOfHot, distancePenalty, hotKey, isEngaged, isHidden, rank, score, sortKey, type Rankable } from '../ranking/index.js'
import {
  EMPTY, EXP_AWAITED, EXP_MESSAGE, EXP_PENDING, EXP_TOMBSTONE, ID_LEN, NO_VALUE, TS_LEN,
  compareBytes, concat, f64, fromUtf8, idBytes, isHexId, keysOf, lstr, lstrLen, prefixRange, readAhead, readU64, tailEntry, toHex, u64, utf8
} from './keys.js'
import { migrateFromV1, type Report } from './migrate.js'
import { thresholdMerge } from './merge.js'
import type { HotRange, HotSpan, Merged, Picked } from './merge.js'
import { createFeedViews, type FeedSpec, type FeedViews, type RankChange } from './views.js'
import { Known } from './known.js'
import { Tx, readKeys } from './tx.js'
import type { RootDb, Table } from './tx.js'
import type {
  FeedQuery, IngestOptions, IngestResult, LabelRecord, ModerationLogOptions, PostStore, StoreOptions, StoreStats,
  StoredPost, Thread, ThreadOptions, TopicEntriesOptions, TopicEntry
} from './types.js'
import type { Message } from '../post/model.js'

/**
 * 2: envelopes as records, fewer index entries (migrate.ts), and the hot index (h, i).
 * 3: the id filter a clean stop saves (f), which the code of schema 2 would not keep true.
 */
export const SCHEMA_VERSION = 3
export const DEFAULT_TOPIC_QUOTA = 50_000
export const DEFAULT_CANDIDATES = 2_000
/** 500 posts ≈ 90 KB a feed (ids as hex strings): pages of up to 250 from memory, with room for 450 posts the filters drop */
export const DEFAULT_VIEW_POSTS = 500
/** Hot and New of everything and of a topic or two, and Near of a user's own place at one or two precisions and of a place they looked at */
const FEED_VIEWS = 8
/** ms a read of many keys (a page's cards, a write's prefetch) takes on the event loop before the rest goes to libuv's pool (`readKeys`) */
export const DEFAULT_SYNC_READ_MS = 2
export const MAX_FEED_LIMIT = 200
/** Near-me cells per feed query (a cell and its 8 neighbours at two precisions fit easily). */
export const MAX_FEED_PREFIXES = 64
/** Expiry entries handled per purge batch. */
export const PURGE_BATCH = 1_000

/**
 * A stored message: what its envelope decodes to. Only the envelope is written (the `records`
 * table is the envelopes sublevel through a decoding codec), so nothing is stored twice.
 */
export type MessageRecord = Omit<Message, 'id'>

/**
 * Lengths of the geohash prefixes a Near-me feed may ask for: the precisions a user may choose
 * (src/index.ts). The shortest is served by the `geo:` topic index, which holds exactly the
 * same posts, so `byGeo` holds the longer ones only.
 */
export const MIN_NEAR_PRECISION = GEO_CELL_CHARS
export const MAX_NEAR_PRECISION = 6

interface Counters { up: number, down: number, replies: number }
/**
 * The latest reaction of an author on a target. value 0: that reaction was deleted (retracted),
 * by `deleteId` when its own author deleted it.
 */
interface ReactionEntry { value: number, createdAt: number, id: string, deleteId?: string }
/** `target`: for a deleted reaction, what it reacted to (its retraction entry goes with the tombstone). */
interface Tombstone { author: string, expiresAt: number, target?: string }
interface PendingTombstone { expiresAt: number, deleteId: string }
/** A moderator's latest word on a target: the label (or 'clear') and the LABEL message it came in. */
interface LabelEntry { label: string, createdAt: number, id: string }
type Counts = StoreStats
/**
 * Why a message leaves the store. 'delete': its author deleted it (tombstoned, never comes
 * back). 'expire': the purge. 'evict': a quota, a superseded reaction, or an early arrival
 * that did not fit; it may come back. Only 'evict' keeps the local authorship record (mine),
 * so the user can still delete a post of theirs that this node evicted.
 */
type Removal = 'delete' | 'expire' | 'evict'

const ZERO_COUNTS: Counts = { posts: 0, replies: 0, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 }
const COUNTS_KEY = utf8('counts')
const SCHEMA_KEY = utf8('schemaVersion')
/** The saved id filter's key in its table, and the key of how far its journal is cleared. */
const FILTER_KEY = utf8('ids')
const CLEARED_KEY = utf8('cleared')
/** A start that listed this many ids or more opens LevelDB again, to drop the listing's mapped pages (≈ 7 MB of them) */
const REOPEN_AFTER_IDS = 1 << 16
const KINDS = new Set<string>(['post', 'reply', 'reaction', 'delete', 'label', 'report'])
const SORTS = new Set<string>(['hot', 'new', 'top', 'near'])
const HEX = /^(?:[0-9a-f]{2})*$/

interface Tables {
  envelopes: Table<Uint8Array>
  records: Table<MessageRecord>
  byTime: Table<Uint8Array>
  byTopic: Table<Uint8Array>
  byGeo: Table<Uint8Array>
  byTopicAll: Table<Uint8Array>
  byParent: Table<Uint8Array>
  byRoot: Table<Uint8Array>
  reactions: Table<ReactionEntry>
  counters: Table<Counters>
  expiry: Table<Uint8Array>
  tombstones: Table<Tombstone>
  pending: Table<PendingTombstone>
  awaited: Table<number>
  mine: Table<string>
  topicCounts: Table<number>
  joined: Table<Uint8Array>
  meta: Table<unknown>
  settings: Table<unknown>
  labels: Table<LabelEntry>
  hotByTopic: Table<Uint8Array>
  hotByGeo: Table<Uint8Array>
  /** the id filter as last saved, and the journal of ids written since (known.ts) */
  idFilter: Table<Uint8Array>
  idJournal: Table<Uint8Array>
  /** root-database key prefixes of what a card is read from (see load) */
  cards: { envelope: Uint8Array, counters: Uint8Array, mine: Uint8Array, tombstone: Uint8Array }
}

const byId = (): number => ID_LEN
const byString = (key: Uint8Array): number => lstrLen(key)

/** Writes a record as its envelope bytes, reads the envelope back decoded: validated on the way in, so not checked again. */
const RECORD_CODEC = {
  name: 'murmur-record',
  format: 'view' as const,
  encode: (rec: MessageRecord): Uint8Array => rec.envelope,
  decode: (bytes: Uint8Array): MessageRecord => decodeTrusted(bytes)
}

function openTables (db: RootDb): Tables {
  const view = (name: string, group?: (key: Uint8Array) => number): Table<Uint8Array> => ({
    name, group, sub: db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
  })
  const json = <V>(name: string, group?: (key: Uint8Array) => number): Table<V> => ({
    name, group, sub: db.sublevel<Uint8Array, V>(name, { keyEncoding: 'view', valueEncoding: 'json' })
  })
  const envelopes = view('e')
  const counters = json<Counters>('c')
  const mine = json<string>('o')
  const tombstones = json<Tombstone>('d')
  return {
    // the same sublevel twice: raw bytes for peers, decoded records for everything else
    envelopes,
    records: { name: 'e', sub: db.sublevel<Uint8Array, MessageRecord>('e', { keyEncoding: 'view', valueEncoding: RECORD_CODEC }) },
    byTime: view('n'),
    byTopic: view('t', byString),
    byGeo: view('g', byString),
    byTopicAll: view('a', byString),
    byParent: view('p', byId),
    byRoot: view('k', byId),
    reactions: json('r', byId),
    counters,
    expiry: view('x'),
    tombstones,
    pending: json('q', byId),
    awaited: json('w'),
    mine,
    topicCounts: json('u'),
    joined: view('j'),
    meta: json('s'),
    settings: json('z'),
    labels: json('l', byId),
    hotByTopic: view('h'),
    hotByGeo: view('i'),
    idFilter: view('f'),
    idJournal: view('y'),
    cards: { envelope: utf8(envelopes.sub.prefix), counters: utf8(counters.sub.prefix), mine: utf8(mine.sub.prefix), tombstone: utf8(tombstones.sub.prefix) }
  }
}

/**
 * Topics a message is indexed under, in API form: a label's or report's moderator topic;
 * otherwise each tag, and the geo cell of a geohash of ≥ 4 characters.
 */
export function topicsOf (fields: { tags: readonly string[], geohash: string, moderator?: string }): string[] {
  if (fields.moderator != null && fields.moderator !== '') return [`mod:${fields.moderator}`]
  const topics = [...new Set(fields.tags)].map(tag => `tag:${tag}`)
  if (fields.geohash.length >= GEO_CELL_CHARS) topics.push(`geo:${fields.geohash.slice(0, GEO_CELL_CHARS)}`)
  return topics
}

/** The by-geo entries of a root post: its geohash cut to each Near-me precision above the geo cell's. */
function geoPrefixes (geohash: string): string[] {
  const out: string[] = []
  for (let i = MIN_NEAR_PRECISION + 1; i <= Math.min(geohash.length, MAX_NEAR_PRECISION); i++) out.push(geohash.slice(0, i))
  return out
}

/** The cells whose Near-me index ranges hold a root post of these topics and geohash: its `geo:` topic's and its by-geo prefixes (see nearSource). */
function nearCells (topics: string[], geohash: string): string[] {
  return [...topics.filter(topic => topic.startsWith('geo:')).map(topic => topic.slice('geo:'.length)), ...geoPrefixes(geohash)]
}

/** A root post's standing after a transaction: its record, its counters (undefined: none) or its removal. */
interface PlaceChange { id: string, rec: MessageRecord, counters: Counters | undefined, removed: boolean }

/**
 * The topic under which the hot index holds every engaged root post (the feed without a topic),
 * and the views' name for the ranges that hold every root post. Topics have a colon and cells
 * none, so the views' sources (FeedSpec) cannot be mistaken for one another.
 */
const ALL_TOPICS = ''

/** What the feed views need of each change; computed only when they read it (none held: nothing). */
function * placeChanges (changes: Map<string, PlaceChange>): Generator<RankChange> {
  for (const { id, rec, counters, removed } of changes.values()) {
    const topics = topicsOf(rec)
    const sources = [ALL_TOPICS, ...topics, ...nearCells(topics, rec.geohash)]
    yield { id, createdAt: rec.createdAt, geohash: rec.geohash, sources, up: counters?.up ?? 0, down: counters?.down ?? 0, replies: counters?.replies ?? 0, removed }
  }
}

/** Where a root post's hot index entries go: [table, key prefix] pairs. */
function hotPrefixes (t: Tables, rec: MessageRecord): Array<[Table<Uint8Array>, Uint8Array]> {
  return [
    ...[ALL_TOPICS, ...topicsOf(rec)].map((topic): [Table<Uint8Array>, Uint8Array] => [t.hotByTopic, lstr(topic)]),
    ...geoPrefixes(rec.geohash).map((prefix): [Table<Uint8Array>, Uint8Array] => [t.hotByGeo, lstr(prefix)])
  ]
}

function engaged (c: Counters | undefined): c is Counters {
  return c !== undefined && isEngaged(c.up, c.down, c.replies)
}

/** A post's hot key when it has a hot index entry (engaged), undefined otherwise. */
function engagedKey (c: Counters | undefined, createdAt: number): number | undefined {
  return engaged(c) ? hotKey(c.up, c.down, c.replies, createdAt) : undefined
}

function sameTopics (a: { tags: readonly string[], geohash: string }, b: { tags: readonly string[], geohash: string }): boolean {
  if (a.geohash !== b.geohash) return false
  const x = [...new Set(a.tags)].sort()
  const y = [...new Set(b.tags)].sort()
  return x.length === y.length && x.every((tag, i) => tag === y[i])
}

/** Labels and reports refer to ids without belonging to their threads: no parent, root or awaited marks. */
function isModeration (kind: string): boolean {
  return kind === 'label' || kind === 'report'
}

/** The id of the thread a stored message belongs to. */
function rootOf (id: string, rec: MessageRecord): string {
  return rec.kind === 'post' ? id : rec.root
}

/** Cheap shape checks: the store trusts validate.ts but never writes a key it cannot build. */
function shapeError (m: Message): string | undefined {
  if (m === null || typeof m !== 'object') return 'MALFORMED'
  if (!isHexId(m.id) || !isHexId(m.author) || !KINDS.has(m.kind)) return 'MALFORMED'
  if (!Number.isSafeInteger(m.createdAt) || !Number.isSafeInteger(m.expiresAt) || m.createdAt < 0 || m.expiresAt < 0) return 'MALFORMED'
  // fewer than 67 UTF-16 units cannot make 200 UTF-8 bytes: most tags are not encoded
  if (!Array.isArray(m.tags) || !m.tags.every(t => typeof t === 'string' && t !== '' && (t.length < 67 || utf8(t).length < 200))) return 'MALFORMED'
  if (typeof m.geohash !== 'string' || m.geohash.length > 12 || typeof m.text !== 'string') return 'MALFORMED'
  if (!(m.envelope instanceof Uint8Array)) return 'MALFORMED'
  switch (m.kind) {
    case 'post':
      if (m.parent !== '' || m.root !== '' || m.value !== 0) return 'MALFORMED'
      return undefined
    case 'reply':
      if (!isHexId(m.parent) || !isHexId(m.root)) return 'MALFORMED'
      if (m.parent !== m.root) return 'BAD_PARENT'
      return undefined
    case 'reaction':
      if (!isHexId(m.parent) || !isHexId(m.root)) return 'MALFORMED'
      if (m.value !== 1 && m.value !== -1) return 'BAD_VALUE'
      return undefined
    case 'delete':
      if (!isHexId(m.parent) || !isHexId(m.root)) return 'MALFORMED'
      return undefined
    case 'label':
    case 'report':
      if (m.parent !== '' || m.root !== '' || m.value !== 0) return 'MALFORMED'
      if (!Array.isArray(m.targets) || m.targets.length === 0 || !m.targets.every(isHexId)) return 'MALFORMED'
      if (!isHexId(m.moderator) || typeof m.label !== 'string' || m.label === '') return 'MALFORMED'
      if (m.kind === 'label' && m.moderator !== m.author) return 'MALFORMED'
      return undefined
  }
}

function toStored (id: string, rec: MessageRecord, counters: Counters | undefined, isMine: boolean): StoredPost {
  return {
    id,
    kind: rec.kind,
    author: rec.author,
    createdAt: rec.createdAt,
    expiresAt: rec.expiresAt,
    tags: [...rec.tags],
    geohash: rec.geohash,
    text: rec.text,
    parent: rec.parent,
    root: rec.root,
    value: rec.value,
    targets: [...rec.targets],
    label: rec.label,
    moderator: rec.moderator,
    up: counters?.up ?? 0,
    down: counters?.down ?? 0,
    replies: counters?.replies ?? 0,
    isMine
  }
}

/** Whether reaction `a` is newer than `b` (later createdAt; equal times: the larger id), the same on every node. */
function isNewer (a: { createdAt: number, id: string }, b: { createdAt: number, id: string }): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id
}

function canonicalTopic (topic: string): string {
  if (typeof topic !== 'string') throw new BadRequestError('topic must be a string', 'BAD_TOPIC')
  return formatTopic(parseTopic(topic))
}

/**
 * The id an expiry entry is of, and when: every record, tombstone and awaited mark has one,
 * written and removed with it (a pending claim's holds a parent and an author, which are not kept ids).
 */
function expiryEntryOf (key: Uint8Array): { id: Uint8Array, expiresAt: number } | undefined {
  return key[TS_LEN] === EXP_PENDING ? undefined : { id: key.subarray(TS_LEN + 1, TS_LEN + 1 + ID_LEN), expiresAt: readU64(key, 0) }
}

/** Saves the id filter when a checkpoint is due (`force`: now), with no write under way. */
async function checkpoint (db: RootDb, known: Known, force: boolean, options: { sync?: boolean } = {}): Promise<void> {
  const tx = new Tx(db, 0)
  const seq = known.checkpoint(tx, force)
  if (seq === undefined) return
  await tx.commit(options)
  await known.checkpointed(seq)
}

function expiryKey (expiresAt: number, type: number, id: Uint8Array, author?: Uint8Array): Uint8Array {
  return author === undefined
    ? concat(u64(expiresAt), Uint8Array.of(type), id)
    : concat(u64(expiresAt), Uint8Array.of(type), id, author)
}

/** A message handed to ingest: its id's bytes once its shape is sound, else what is wrong with it. */
type Arrival = { m: Message, idb: Uint8Array, shape?: undefined } | { m: Message, idb?: undefined, shape: string }

const stored = (id: string): IngestResult => ({ id, status: 'stored' })
const duplicate = (id: string, code = 'DUPLICATE'): IngestResult => ({ id, status: 'duplicate', code })
const deleted = (id: string, code: string): IngestResult => ({ id, status: 'deleted', code })
const rejected = (id: string, code: string): IngestResult => ({ id, status: 'rejected', code })

/** Write priorities (higher first): the local user's own writes, and everything else. */
const USER = 1
const BACKGROUND = 0

export class LevelPostStore implements PostStore {
  private readonly path: string
  private readonly topicQuota: number
  private readonly candidates: number
  private readonly viewPosts: number
  private readonly syncReadMs: number
  private readonly onUpgrade?: StoreOptions['onUpgrade']
  private db?: RootDb
  private t?: Tables
  private opening?: Promise<void>
  /**
   * Write tasks, one at a time so each task's read-check-write is atomic. The local user's
   * own writes (their posts, marks, topics, settings: `USER`) go before queued background
   * batches of gossip and sync, which come one after another under load: a post waited for
   * every batch queued ahead of each of its writes. Each class keeps its own order.
   */
  private readonly writes = new PQueue({ concurrency: 1 })
  /**
   * Every id the mine table may hold: read at start, added to by markMine, never shrunk (a
   * removal leaves a stale id, which only costs a lookup). A page looks up the marks of these
   * ids only, instead of one absent key per post: the user's own posts are few.
   */
  private maybeMine = new Set<string>()
  /** what the store knows without reading (known.ts), from start to stop */
  private known?: Known
  /** how many ids the last start listed; undefined when it restored the saved filter (node-rss.js reports it) */
  idsListed?: number
  /** feed pages from memory (views.ts), from start to stop; and what each transaction did to them */
  private views?: FeedViews
  private readonly rankChanges = new WeakMap<Tx, Map<string, PlaceChange>>()

  constructor (options: StoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new BadRequestError('store path is required', 'BAD_CONFIG')
    this.path = options.path
    this.topicQuota = options.topicQuota ?? DEFAULT_TOPIC_QUOTA
    this.candidates = options.candidates ?? DEFAULT_CANDIDATES
    this.viewPosts = options.viewPosts ?? DEFAULT_VIEW_POSTS
    this.syncReadMs = options.syncReadMs ?? DEFAULT_SYNC_READ_MS
    this.onUpgrade = options.onUpgrade
    if (!Number.isSafeInteger(this.topicQuota) || this.topicQuota < 1) throw new BadRequestError('topicQuota must be a positive integer', 'BAD_CONFIG')
    if (!Number.isSafeInteger(this.candidates) || this.candidates < 1) throw new BadRequestError('candidates must be a positive integer', 'BAD_CONFIG')
    if (!Number.isSafeInteger(this.viewPosts) || this.viewPosts < 0) throw new BadRequestError('viewPosts must be an integer ≥ 0', 'BAD_CONFIG')
    if (!Number.isFinite(this.syncReadMs) || this.syncReadMs < 0) throw new BadRequestError('syncReadMs must be a number ≥ 0', 'BAD_CONFIG')
  }

  // ---------------------------------------------------------------- lifecycle

  isStarted (): boolean {
    return this.db?.status === 'open'
  }

  async start (): Promise<void> {
    if (this.isStarted()) return
    if (this.opening !== undefined) return await this.opening
    this.opening = (async () => {
      let opened = await this.openDb()
      this.idsListed = opened.listed
      if (opened.listed !== undefined) {
        // saved once listed, so that a crash soon after does not list them all again
        const saved = await checkpoint(opened.db, opened.known, true, { sync: true }).then(() => true, () => false)
        // LevelDB keeps a table file mapped while it is open, and the listing's pages (≈ 110 MB
        // at a million posts) stayed in the node's RSS: opened again, the store restores the
        // filter just saved and maps only what it reads from then on
        if (saved && opened.listed >= REOPEN_AFTER_IDS) {
          await opened.db.close()
          opened = await this.openDb()
        }
      }
      this.known = opened.known
      this.db = opened.db
      this.t = opened.t
      if (this.viewPosts > 0) this.views = createFeedViews({ entries: this.viewPosts, views: FEED_VIEWS })
    })()
    try {
      await this.opening
    } finally {
      this.opening = undefined
    }
  }

  /**
   * Opens LevelDB, upgrades an older schema, and learns which ids the store holds: from the
   * saved filter and its journal, else by listing them before any write (`listed`: how many).
   */
  private async openDb (): Promise<{ db: RootDb, t: Tables, known: Known, listed: number | undefined }> {
    const db: RootDb = new Level<Uint8Array, Uint8Array>(this.path, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (err: any) {
      // LevelDB's own words ("Database failed to open") do not tell a user what to do
      if (err?.cause?.code === 'LEVEL_LOCKED') throw new MurmurError(`the store at ${this.path} is in use by another process (another murmur node on the same data dir?)`, 'STORE_LOCKED')
      throw err
    }
    try {
      const t = openTables(db)
      const version = await t.meta.sub.get(SCHEMA_KEY)
      // each step of an upgrade, and the listing of the ids (seconds at a million) that follows one
      const report: Report = (step, done) => { this.onUpgrade?.({ from: typeof version === 'number' ? version : SCHEMA_VERSION, to: SCHEMA_VERSION, step, done }) }
      if (version === 1) {
        await migrateFromV1(db, t, MIN_NEAR_PRECISION + 1, MAX_NEAR_PRECISION, report)
        // new in schema 2, built from the counters (and the records, now read from envelopes)
        await this.buildHotIndex(db, t, done => { report('hot index', done) })
      }
      if (version === undefined || version === 1 || version === 2) {
        await t.meta.sub.put(SCHEMA_KEY, SCHEMA_VERSION)
      } else if (version !== SCHEMA_VERSION) {
        throw new MurmurError(`store schema ${String(version)} is not ${SCHEMA_VERSION}`, 'STORE_SCHEMA')
      }
      this.maybeMine = new Set((await t.mine.sub.keys().all()).map(toHex))
      const known = new Known({
        ids: [t.records, t.envelopes, t.tombstones, t.awaited],
        expiry: { table: t.expiry, entryOf: expiryEntryOf },
        saved: t.idFilter,
        savedKey: FILTER_KEY,
        clearedKey: CLEARED_KEY,
        journal: t.idJournal,
        topicCounts: t.topicCounts,
        meta: t.meta,
        countsKey: COUNTS_KEY
      })
      return { db, t, known, listed: await known.open(done => { report('id filter', done) }) }
    } catch (err) {
      await db.close()
      throw err
    }
  }

  async stop (): Promise<void> {
    if (this.opening !== undefined) await this.opening.catch(() => {})
    const { db, t, known } = this
    if (db === undefined || t === undefined) return
    await this.writes.onIdle()
    const views = this.views
    this.views = undefined
    views?.clear()
    await views?.idle()
    this.db = undefined
    this.t = undefined
    // a write that began meanwhile commits, and adds its ids to the filter, before it is saved
    await this.writes.onIdle()
    this.known = undefined
    // for the next start, with no journal to read; without it (a failed write), the next start reads the journal
    if (known !== undefined) await checkpoint(db, known, true, { sync: true }).catch(() => {})
    await db.close()
  }

  private tables (): { db: RootDb, t: Tables } {
    if (this.db === undefined || this.t === undefined || this.db.status !== 'open') {
      throw new MurmurError('the store is not started', 'STORE_CLOSED')
    }
    return { db: this.db, t: this.t }
  }

  private async serialise<T>(task: () => Promise<T>, priority = BACKGROUND): Promise<T> {
    return await this.writes.add(task, { priority })
  }

  /** Saves the id filter between writes when a save is due, unless the store stopped (or started again) meanwhile. */
  private async saveKnown (known: Known): Promise<void> {
    await this.serialise(async () => { if (this.known === known) await checkpoint(this.tables().db, known, false) })
  }

  /** Every write transaction commits here, within `serialise`, so what is known stays what is stored. */
  private async commit (tx: Tx, options: { sync?: boolean } = {}): Promise<void> {
    this.known?.stage(tx)
    try {
      await tx.commit(options)
    } catch (err) {
      this.known?.failed(tx)
      this.views?.clear()
      throw err
    }
    this.known?.learn(tx)
    const changes = this.rankChanges.get(tx)
    if (changes !== undefined) this.views?.apply(placeChanges(changes))
  }

  /**
   * Notes where a root post stands after this transaction (its counters, or its removal) for
   * the feed views; the last note of a post in a transaction is the one applied at commit.
   */
  private placed (tx: Tx, rec: MessageRecord, id: string, counters: Counters | undefined, removed = false): void {
    if (this.views === undefined) return
    let changes = this.rankChanges.get(tx)
    if (changes === undefined) this.rankChanges.set(tx, changes = new Map())
    changes.set(id, { id, rec, counters, removed })
  }

  // ---------------------------------------------------------------- ingest

  async ingest (messages: Message[], options: IngestOptions = {}): Promise<IngestResult[]> {
    if (!Array.isArray(messages)) throw new BadRequestError('ingest takes an array of messages', 'BAD_REQUEST')
    if (messages.length === 0) return []
    return await this.serialise(async () => {
      const { db, t } = this.tables()
      const tx = new Tx(db, this.syncReadMs)
      // each message's shape checked and id parsed once: prefetchFor, ingestOne and putMessage need them
      const arrivals = messages.map((m): Arrival => {
        const shape = shapeError(m)
        return shape === undefined ? { m, idb: idBytes(m.id) } : { m, shape }
      })
      await this.prefetchFor(tx, t, arrivals)
      const touched = new Set<string>()
      const results: IngestResult[] = []
      for (const arrival of arrivals) results.push(await this.ingestOne(tx, t, arrival, touched))
      for (const { id, status } of results) {
        const nonceHex = options.mine?.get(id)
        if (nonceHex === undefined || status !== 'stored') continue
        this.maybeMine.add(id)
        tx.put(t.mine, idBytes(id), nonceHex)
      }
      await this.enforceQuota(tx, t, touched)
      await this.commit(tx, options)
      return results
    }, options.sync === true ? USER : BACKGROUND)
  }

  /** Reads in a few round trips what ingestOne will look up for these messages. */
  private async prefetchFor (tx: Tx, t: Tables, arrivals: Arrival[]): Promise<void> {
    const ids: Uint8Array[] = []
    const authors: Uint8Array[] = []
    const refs: Uint8Array[] = []
    const pending: Uint8Array[] = []
    const reactions: Uint8Array[] = []
    const topics: Uint8Array[] = []
    const labels: Uint8Array[] = []
    for (const { m, idb } of arrivals) {
      if (idb === undefined) continue
      ids.push(idb)
      authors.push(idBytes(m.author))
      if (m.kind === 'post') {
        for (const topic of topicsOf(m)) topics.push(lstr(topic))
      } else if (m.kind === 'label') {
        for (const target of m.targets) labels.push(concat(idBytes(target), idBytes(m.author)))
      } else if (m.kind !== 'report') {
        refs.push(idBytes(m.parent))
        if (m.root !== m.parent) refs.push(idBytes(m.root))
        if (m.kind === 'reaction') reactions.push(concat(idBytes(m.parent), idBytes(m.author)))
        if (m.kind === 'delete') pending.push(concat(idBytes(m.parent), idBytes(m.author)))
      }
    }
    const idsAndRefs = ids.concat(refs)
    this.known?.tell(tx, ids, topics)
    await tx.prefetchMany([
      [t.records, idsAndRefs],
      [t.tombstones, idsAndRefs],
      [t.pending, pending],
      [t.awaited, idsAndRefs],
      [t.reactions, reactions],
      [t.counters, refs],
      [t.topicCounts, topics],
      [t.labels, labels],
      [t.meta, [COUNTS_KEY]]
    ])
    // A delete that comes before its target marks the target awaited, and the mark outlives the
    // claim: only an awaited id can have a pending delete, so most messages need no claim lookup.
    const claims: Uint8Array[] = []
    for (const [i, idb] of ids.entries()) {
      if (await tx.get(t.awaited, idb) !== undefined) claims.push(concat(idb, authors[i] ?? EMPTY))
    }
    await tx.prefetch(t.pending, claims)
  }

  private async ingestOne (tx: Tx, t: Tables, arrival: Arrival, touched: Set<string>): Promise<IngestResult> {
    const { m } = arrival
    const id = typeof m?.id === 'string' ? m.id : ''
    if (arrival.shape !== undefined) return rejected(id, arrival.shape)
    const { idb } = arrival
    if (await tx.get(t.records, idb) !== undefined) return duplicate(id)
    if (await tx.get(t.tombstones, idb) !== undefined) return deleted(id, 'TOMBSTONED')
    const dead = await this.deadCode(tx, t, m)
    if (dead !== undefined) {
      // It belongs to something deleted: had it come first, that delete would have removed
      // and tombstoned it, so do the same now and the end state does not depend on the order.
      await this.bury(tx, t, m)
      return m.kind === 'delete' ? duplicate(id, dead) : deleted(id, dead)
    }
    // only an awaited id can have a pending delete (see prefetchFor)
    const claim = await tx.get(t.awaited, idb) === undefined ? undefined : await tx.get(t.pending, concat(idb, idBytes(m.author)))
    if (claim !== undefined && await this.honours(tx, t, claim, m)) {
      // its author asked to delete it before it reached us: as if it had been stored, then deleted
      await this.bury(tx, t, m, claim.deleteId)
      return deleted(id, 'PENDING_DELETE')
    }

    const verdict = await this.check(tx, t, m)
    if (verdict !== undefined) return verdict

    const topics = topicsOf(m)
    await this.putMessage(tx, t, m, idb, topics)
    if (await tx.get(t.awaited, idb) !== undefined) {
      tx.del(t.awaited, idb)
      await this.settleEarlyArrivals(tx, t, m)
    }
    if (m.kind === 'post') for (const topic of topics) touched.add(topic)
    return stored(id)
  }

  /** The kind rules of a message that is neither stored nor deleted: undefined if it may be stored. */
  private async check (tx: Tx, t: Tables, m: Message): Promise<IngestResult | undefined> {
    const id = m.id
    switch (m.kind) {
      case 'post':
        break
      case 'reply': {
        const root = await tx.get(t.records, idBytes(m.root))
        if (root !== undefined) {
          if (root.kind !== 'post') return rejected(id, 'BAD_PARENT')
          if (!sameTopics(root, m)) return rejected(id, 'TOPIC_MISMATCH')
        }
        break
      }
      case 'reaction': {
        const problem = await this.threadError(tx, t, m)
        if (problem !== undefined) return rejected(id, problem)
        const key = concat(idBytes(m.parent), idBytes(m.author))
        const previous = await tx.get(t.reactions, key)
        if (previous !== undefined && isNewer(previous, m)) return duplicate(id, 'SUPERSEDED')
        await this.supersede(tx, t, key, previous)
        break
      }
      case 'delete': {
        const problem = await this.threadError(tx, t, m)
        if (problem !== undefined) return rejected(id, problem)
        const target = await tx.get(t.records, idBytes(m.parent))
        if (target !== undefined) {
          if (target.author !== m.author) return rejected(id, 'NOT_AUTHOR')
          await this.removeTree(tx, t, m.parent, target, 'delete', new Set(), id)
        } else {
          const key = concat(idBytes(m.parent), idBytes(m.author))
          if (await tx.get(t.pending, key) !== undefined) return duplicate(id, 'ALREADY_PENDING')
          tx.put(t.pending, key, { expiresAt: m.expiresAt, deleteId: id })
          tx.put(t.expiry, expiryKey(m.expiresAt, EXP_PENDING, idBytes(m.parent), idBytes(m.author)), NO_VALUE)
          await this.bump(tx, t, { pendingTombstones: 1 })
        }
        break
      }
    }
    return undefined
  }

  /**
   * An arriving message that is deleted on arrival (by `deleteId`, a delete that came first,
   * or by the delete of its thread or target): tombstoned, with whatever arrived before it
   * and hangs off it, and without the deletes still waiting for it (but `deleteId`).
   */
  private async bury (tx: Tx, t: Tables, m: Message, deleteId?: string): Promise<void> {
    const idb = idBytes(m.id)
    if (await tx.get(t.awaited, idb) !== undefined) {
      tx.del(t.awaited, idb)
      await this.removeChildren(tx, t, idb, 'delete', new Set(deleteId === undefined ? [m.id] : [m.id, deleteId]))
      await this.clearPending(tx, t, idb, deleteId)
    }
    if (m.kind === 'reaction' && deleteId !== undefined) await this.retract(tx, t, m, deleteId)
    await this.putTombstone(tx, t, idb, {
      author: m.author, expiresAt: m.expiresAt, ...(m.kind === 'reaction' && deleteId !== undefined ? { target: m.parent } : {})
    })
    await this.adjustCounter(tx, t, m.id, { clear: true })
  }

  /**
   * Whether a delete that arrived before its target (`claim`) applies to the target now
   * arriving: the same checks as a delete of a stored target (threadError), so that the
   * outcome does not depend on the arrival order.
   */
  private async honours (tx: Tx, t: Tables, claim: PendingTombstone, target: Message): Promise<boolean> {
    const del = await tx.get(t.records, idBytes(claim.deleteId))
    if (del === undefined || del.kind !== 'delete' || target.kind === 'delete') return false
    return rootOf(target.id, target) === del.root && sameTopics(del, target)
  }

  /** Removes the reaction an author had on a target, before a newer one takes its place. */
  private async supersede (tx: Tx, t: Tables, key: Uint8Array, previous: ReactionEntry | undefined): Promise<void> {
    if (previous === undefined) return
    const old = previous.value === 0 ? undefined : await tx.get(t.records, idBytes(previous.id))
    if (old !== undefined) await this.removeMessage(tx, t, previous.id, old, 'evict')
    tx.del(t.reactions, key)
  }

  /**
   * Records that an author's reaction was deleted (value 0), so that an older reaction of theirs
   * on the same target arriving later is superseded and does not come back in its place.
   */
  private async retract (tx: Tx, t: Tables, reaction: { id: string, parent: string, author: string, createdAt: number }, deleteId: string): Promise<void> {
    const key = concat(idBytes(reaction.parent), idBytes(reaction.author))
    const current = await tx.get(t.reactions, key)
    if (current !== undefined && current.id !== reaction.id) {
      if (isNewer(current, reaction)) return
      await this.supersede(tx, t, key, current)
    }
    tx.put(t.reactions, key, { value: 0, createdAt: reaction.createdAt, id: reaction.id, deleteId })
  }

  /**
   * For a reaction or a delete: the target must be a post or a reply (a delete may also take
   * back a reaction) of the thread the message names, and the message must carry the thread's
   * topics. Checked against whatever of the target and the root is already stored.
   */
  private async threadError (tx: Tx, t: Tables, m: Message): Promise<string | undefined> {
    const target = await tx.get(t.records, idBytes(m.parent))
    if (target !== undefined) {
      const allowed = m.kind === 'reaction' ? ['post', 'reply'] : ['post', 'reply', 'reaction']
      if (!allowed.includes(target.kind)) return 'BAD_PARENT'
      if (rootOf(m.parent, target) !== m.root) return 'BAD_PARENT'
    }
    const root = m.root === m.parent ? target : await tx.get(t.records, idBytes(m.root))
    if (root !== undefined) {
      if (root.kind !== 'post') return 'BAD_PARENT'
      if (!sameTopics(root, m)) return 'TOPIC_MISMATCH'
    } else if (target !== undefined && !sameTopics(target, m)) {
      return 'TOPIC_MISMATCH'
    }
    return undefined
  }

  private async isTombstoned_ (tx: Tx, t: Tables, id: string): Promise<boolean> {
    return await tx.get(t.tombstones, idBytes(id)) !== undefined
  }

  /**
   * Whether a message belongs to something deleted: a reply or reaction in a deleted thread
   * or on a deleted target (ROOT_DELETED, PARENT_DELETED), a delete of something deleted
   * (ALREADY_DELETED).
   */
  private async deadCode (tx: Tx, t: Tables, m: Message): Promise<string | undefined> {
    if (m.kind === 'post' || isModeration(m.kind)) return undefined
    const parentGone = await this.isTombstoned_(tx, t, m.parent)
    const rootGone = m.root !== m.parent && await this.isTombstoned_(tx, t, m.root)
    if (!parentGone && !rootGone) return undefined
    if (m.kind === 'delete') return 'ALREADY_DELETED'
    return parentGone && m.kind === 'reaction' ? 'PARENT_DELETED' : 'ROOT_DELETED'
  }

  /** Writes a message (`idb`: its id's bytes, `topics`: topicsOf(m)) and every index entry and counter it implies. */
  private async putMessage (tx: Tx, t: Tables, m: Message, idb: Uint8Array, topics: string[]): Promise<void> {
    const ts = u64(m.createdAt)
    tx.put(t.records, idb, m)
    tx.put(t.expiry, expiryKey(m.expiresAt, EXP_MESSAGE, idb), NO_VALUE)
    const exp = u64(m.expiresAt)
    if (m.kind !== 'post') for (const topic of topics) tx.put(t.byTopicAll, concat(lstr(topic), ts, idb), exp)
    switch (m.kind) {
      case 'post': {
        tx.put(t.byTime, concat(ts, idb), NO_VALUE)
        // a root post's by-topic entry carries its expiry, for sync (topicEntries), and like its
        // by-geo entries its geohash, which a Near view's build ranks it by (HotRange.place)
        const geohash = utf8(m.geohash)
        const expAndPlace = concat(exp, geohash)
        for (const topic of topics) {
          tx.put(t.byTopic, concat(lstr(topic), ts, idb), expAndPlace)
          await this.bumpTopic(tx, t, topic, 1)
        }
        for (const prefix of geoPrefixes(m.geohash)) tx.put(t.byGeo, concat(lstr(prefix), ts, idb), geohash)
        // replies and reactions that came first were counted on its id (and marked it awaited)
        const early = await tx.get(t.awaited, idb) !== undefined ? await tx.get(t.counters, idb) : undefined
        this.reindexHot(tx, t, m.id, m, undefined, early)
        this.placed(tx, m, m.id, early)
        await this.bump(tx, t, { posts: 1 })
        break
      }
      case 'reply':
        tx.put(t.byParent, concat(idBytes(m.root), ts, idb), NO_VALUE)
        await this.adjustCounter(tx, t, m.root, { replies: 1 })
        await this.bump(tx, t, { replies: 1 })
        break
      case 'reaction':
        tx.put(t.reactions, concat(idBytes(m.parent), idBytes(m.author)), { value: m.value, createdAt: m.createdAt, id: m.id })
        tx.put(t.byRoot, concat(idBytes(m.root), idb), NO_VALUE)
        await this.adjustCounter(tx, t, m.parent, m.value > 0 ? { up: 1 } : { down: 1 })
        await this.bump(tx, t, { reactions: 1 })
        break
      case 'delete':
        tx.put(t.byRoot, concat(idBytes(m.root), idb), NO_VALUE)
        await this.bump(tx, t, { deletes: 1 })
        break
      case 'label':
        for (const target of m.targets) await this.putLabel(tx, t, target, m)
        await this.bump(tx, t, { labels: 1 })
        break
      case 'report':
        await this.bump(tx, t, { reports: 1 })
        break
    }
    if (m.kind !== 'post' && !isModeration(m.kind)) {
      for (const ref of new Set([m.parent, m.root])) {
        if (await tx.get(t.records, idBytes(ref)) === undefined) await this.markAwaited(tx, t, ref, m.expiresAt)
      }
    }
  }

  /**
   * A moderator's latest word on a target wins, the same rule as reactions (later createdAt;
   * equal times, the larger id), so every node ends with the same labels whatever the order.
   * A 'clear' is kept like a label, so an older label arriving later cannot come back.
   */
  private async putLabel (tx: Tx, t: Tables, target: string, m: Message): Promise<void> {
    const key = concat(idBytes(target), idBytes(m.author))
    const previous = await tx.get(t.labels, key)
    if (previous !== undefined && isNewer(previous, m)) return
    tx.put(t.labels, key, { label: m.label, createdAt: m.createdAt, id: m.id })
  }

  /**
   * Notes that stored messages refer to `id`, which has not arrived: when it does, they are
   * checked against it (settleEarlyArrivals). The mark lives as long as the longest-lived of them.
   */
  private async markAwaited (tx: Tx, t: Tables, id: string, expiresAt: number): Promise<void> {
    const idb = idBytes(id)
    const current = await tx.get(t.awaited, idb)
    if (current !== undefined && current >= expiresAt) return
    tx.put(t.awaited, idb, expiresAt)
    tx.put(t.expiry, expiryKey(expiresAt, EXP_AWAITED, idb), NO_VALUE)
  }

  /**
   * Removes a stored message, its index entries and what it counted; a 'delete' also writes
   * its tombstone so it never comes back. Does not touch messages that refer to it.
   */
  private async removeMessage (tx: Tx, t: Tables, id: string, rec: MessageRecord, why: Removal, deleteId?: string): Promise<void> {
    const idb = idBytes(id)
    const ts = u64(rec.createdAt)
    tx.del(t.records, idb)
    tx.del(t.expiry, expiryKey(rec.expiresAt, EXP_MESSAGE, idb))
    if (why !== 'evict') tx.del(t.mine, idb)
    if (rec.kind !== 'post') for (const topic of topicsOf(rec)) tx.del(t.byTopicAll, concat(lstr(topic), ts, idb))
    switch (rec.kind) {
      case 'post':
        tx.del(t.byTime, concat(ts, idb))
        for (const topic of topicsOf(rec)) {
          tx.del(t.byTopic, concat(lstr(topic), ts, idb))
          await this.bumpTopic(tx, t, topic, -1)
        }
        for (const prefix of geoPrefixes(rec.geohash)) tx.del(t.byGeo, concat(lstr(prefix), ts, idb))
        await this.adjustCounter(tx, t, id, { clear: true }, rec)
        this.placed(tx, rec, id, undefined, true)
        await this.bump(tx, t, { posts: -1 })
        break
      case 'reply':
        tx.del(t.byParent, concat(idBytes(rec.root), ts, idb))
        await this.adjustCounter(tx, t, rec.root, { replies: -1 })
        await this.adjustCounter(tx, t, id, { clear: true }, rec)
        await this.bump(tx, t, { replies: -1 })
        break
      case 'reaction': {
        const key = concat(idBytes(rec.parent), idBytes(rec.author))
        const current = await tx.get(t.reactions, key)
        if (current?.id === id) {
          if (why === 'delete') tx.put(t.reactions, key, { value: 0, createdAt: rec.createdAt, id, ...(deleteId === undefined ? {} : { deleteId }) })
          else tx.del(t.reactions, key)
        }
        tx.del(t.byRoot, concat(idBytes(rec.root), idb))
        await this.adjustCounter(tx, t, rec.parent, rec.value > 0 ? { up: -1 } : { down: -1 })
        await this.bump(tx, t, { reactions: -1 })
        break
      }
      case 'delete': {
        tx.del(t.byRoot, concat(idBytes(rec.root), idb))
        // a delete whose target never came: its claim goes with it
        const key = concat(idBytes(rec.parent), idBytes(rec.author))
        const claim = await tx.get(t.pending, key)
        if (claim?.deleteId === id) await this.dropClaim(tx, t, key, claim)
        await this.bump(tx, t, { deletes: -1 })
        break
      }
      case 'label':
        // only the entries it still holds: a newer label of the same moderator stays
        for (const target of rec.targets) {
          const key = concat(idBytes(target), idBytes(rec.author))
          if ((await tx.get(t.labels, key))?.id === id) tx.del(t.labels, key)
        }
        await this.bump(tx, t, { labels: -1 })
        break
      case 'report':
        await this.bump(tx, t, { reports: -1 })
        break
    }
    if (why === 'delete') {
      await this.putTombstone(tx, t, idb, {
        author: rec.author, expiresAt: rec.expiresAt, ...(rec.kind === 'reaction' ? { target: rec.parent } : {})
      })
    }
  }

  /**
   * Removes a message and everything that hangs off it (replies, reactions), children first.
   * Only posts and replies can have stored children: whatever named a reaction or a delete as
   * its parent or root was refused, or removed when that message arrived (settleEarlyArrivals).
   */
  private async removeTree (
    tx: Tx, t: Tables, id: string, rec: MessageRecord, why: Removal, seen: Set<string>, deleteId?: string
  ): Promise<void> {
    seen.add(id)
    if (rec.kind === 'post' || rec.kind === 'reply') await this.removeChildren(tx, t, idBytes(id), why, seen)
    await this.removeMessage(tx, t, id, rec, why, deleteId)
  }

  /** Ids stored as replies of `idb` (by-parent), reactions and deletes in its thread (by-root) and reactions on it. */
  private async childrenOf (tx: Tx, t: Tables, idb: Uint8Array, retractions = false): Promise<string[]> {
    const ids = new Set<string>()
    for await (const [key] of tx.scan(t.byParent, idb)) ids.add(toHex(key.subarray(ID_LEN + TS_LEN)))
    for await (const [key] of tx.scan(t.byRoot, idb)) ids.add(toHex(key.subarray(ID_LEN)))
    for await (const [, entry] of tx.scan(t.reactions, idb)) {
      ids.add(entry.id)
      if (retractions && entry.deleteId !== undefined) ids.add(entry.deleteId)
    }
    return [...ids]
  }

  /**
   * Removes what hangs off a message, including the deletes of its reactions that were already
   * deleted: had this message been removed first, those deletes would have been refused.
   */
  private async removeChildren (tx: Tx, t: Tables, idb: Uint8Array, why: Removal, seen: Set<string>): Promise<void> {
    for (const child of await this.childrenOf(tx, t, idb, true)) {
      if (seen.has(child)) continue
      const rec = await tx.get(t.records, idBytes(child))
      if (rec !== undefined) await this.removeTree(tx, t, child, rec, why, seen)
    }
  }

  /**
   * Gossip is unordered: replies and reactions may arrive before what they refer to and are
   * stored on trust. When the referred message arrives, those that turn out not to fit (a
   * thread whose root is not a post, other topics, another thread) are removed, so every node
   * ends in the same state whatever the arrival order. Pending deletes of the newcomer by
   * other authors are dropped: they cannot be honoured.
   */
  private async settleEarlyArrivals (tx: Tx, t: Tables, m: Message): Promise<void> {
    const idb = idBytes(m.id)
    for (const child of await this.childrenOf(tx, t, idb)) {
      const rec = await tx.get(t.records, idBytes(child))
      if (rec === undefined) continue
      let fits: boolean
      if (m.kind === 'post') {
        fits = rec.root === m.id && sameTopics(rec, m)
      } else if (m.kind === 'reply') {
        fits = rec.kind === 'reaction' && rec.parent === m.id && rec.root === m.root && sameTopics(rec, m)
      } else {
        fits = false
      }
      if (!fits) await this.removeTree(tx, t, child, rec, 'evict', new Set([m.id]))
    }
    await this.clearPending(tx, t, idb)
  }

  /**
   * Drops the pending deletes of a message that has arrived, and the delete messages behind
   * them (but `honoured`): they name the wrong author, thread or topics, and had the target
   * been here first they would have been refused.
   */
  private async clearPending (tx: Tx, t: Tables, idb: Uint8Array, honoured?: string): Promise<void> {
    const entries: Array<[Uint8Array, PendingTombstone]> = []
    for await (const entry of tx.scan(t.pending, idb)) entries.push(entry)
    for (const [key, claim] of entries) {
      await this.dropClaim(tx, t, key, claim)
      if (claim.deleteId === honoured) continue
      const del = await tx.get(t.records, idBytes(claim.deleteId))
      if (del !== undefined) await this.removeMessage(tx, t, claim.deleteId, del, 'evict')
    }
  }

  private async dropClaim (tx: Tx, t: Tables, key: Uint8Array, claim: PendingTombstone): Promise<void> {
    tx.del(t.pending, key)
    tx.del(t.expiry, expiryKey(claim.expiresAt, EXP_PENDING, key.subarray(0, ID_LEN), key.subarray(ID_LEN)))
    await this.bump(tx, t, { pendingTombstones: -1 })
  }

  private async putTombstone (tx: Tx, t: Tables, idb: Uint8Array, tomb: Tombstone): Promise<void> {
    tx.put(t.tombstones, idb, tomb)
    tx.put(t.expiry, expiryKey(tomb.expiresAt, EXP_TOMBSTONE, idb), NO_VALUE)
    await this.bump(tx, t, { tombstones: 1 })
  }

  /**
   * Moves a counter and, for a stored root post, its hot index entries. `rec`: the record of
   * `id` when the caller has it (removeMessage deletes it before clearing the counters).
   */
  private async adjustCounter (
    tx: Tx, t: Tables, id: string, delta: { up?: number, down?: number, replies?: number, clear?: boolean }, rec?: MessageRecord
  ): Promise<void> {
    const key = idBytes(id)
    if (delta.clear === true && rec !== undefined && rec.kind !== 'post') {
      tx.del(t.counters, key)
      return
    }
    const before = await tx.get(t.counters, key)
    let after: Counters | undefined
    if (delta.clear !== true) {
      const c = before ?? { up: 0, down: 0, replies: 0 }
      after = {
        up: Math.max(0, c.up + (delta.up ?? 0)),
        down: Math.max(0, c.down + (delta.down ?? 0)),
        replies: Math.max(0, c.replies + (delta.replies ?? 0))
      }
      if (after.up === 0 && after.down === 0 && after.replies === 0) after = undefined
    }
    if (after === undefined) tx.del(t.counters, key)
    else tx.put(t.counters, key, after)
    if (engaged(before) || engaged(after)) {
      this.reindexHot(tx, t, id, rec ?? await tx.get(t.records, key), before, after)
    }
  }

  /**
   * Moves a root post's hot index entries (h under '' and each of its topics, i under each
   * geo prefix) from the key of its `before` counters to that of its `after` ones. Only
   * engaged posts (isEngaged) have entries: the others rank by createdAt, read from the time
   * indexes.
   */
  private reindexHot (tx: Tx, t: Tables, id: string, rec: MessageRecord | undefined, before?: Counters, after?: Counters): void {
    if (rec?.kind !== 'post') return
    const old = engagedKey(before, rec.createdAt)
    const next = engagedKey(after, rec.createdAt)
    if (old === next) return
    const idb = idBytes(id)
    // every hot entry carries the geohash: a read of a parent cell skips its other cells
    // unloaded, and a Near view's build ranks the post without its card (HotRange.place)
    const geohash = rec.geohash === '' ? NO_VALUE : utf8(rec.geohash)
    for (const [table, prefix] of hotPrefixes(t, rec)) {
      if (old !== undefined) tx.del(table, concat(prefix, f64(old), idb))
      if (next !== undefined) tx.put(table, concat(prefix, f64(next), idb), geohash)
    }
    this.placed(tx, rec, id, after)
  }

  /**
   * Version 1 → 2: the hot index of every stored root post with counters, in batches, each
   * safe to write again; start() writes the new version once this and the migration are done.
   */
  private async buildHotIndex (db: RootDb, t: Tables, report: (done: number) => void): Promise<void> {
    const it = t.counters.sub.iterator()
    let done = 0
    try {
      while (true) {
        const entries = await it.nextv(PURGE_BATCH)
        if (entries.length === 0) return
        const tx = new Tx(db, this.syncReadMs)
        const recs = await t.records.sub.getMany(entries.map(([key]) => key))
        entries.forEach(([key, counters], i) => { this.reindexHot(tx, t, toHex(key), recs[i], undefined, counters) })
        await this.commit(tx)
        report(done += entries.length)
      }
    } finally {
      await it.close()
    }
  }

  private async bump (tx: Tx, t: Tables, delta: Partial<Counts>): Promise<void> {
    const counts = { ...ZERO_COUNTS, ...(await tx.get(t.meta, COUNTS_KEY) as Counts | undefined) }
    for (const [name, d] of Object.entries(delta) as Array<[keyof Counts, number]>) counts[name] = Math.max(0, counts[name] + d)
    tx.put(t.meta, COUNTS_KEY, counts)
  }

  private async bumpTopic (tx: Tx, t: Tables, topic: string, delta: number): Promise<void> {
    const key = lstr(topic)
    const next = Math.max(0, (await tx.get(t.topicCounts, key) ?? 0) + delta)
    if (next === 0) tx.del(t.topicCounts, key)
    else tx.put(t.topicCounts, key, next)
  }

  /** Evicts the oldest root posts (with their threads) of every topic over quota. */
  private async enforceQuota (tx: Tx, t: Tables, topics: Set<string>): Promise<void> {
    for (const topic of topics) {
      const count = await tx.get(t.topicCounts, lstr(topic)) ?? 0
      const excess = count - this.topicQuota
      if (excess <= 0) continue
      const oldest: string[] = []
      for await (const [key] of tx.scan(t.byTopic, lstr(topic))) {
        oldest.push(tailEntry(key).id)
        if (oldest.length >= excess) break
      }
      for (const id of oldest) {
        const rec = await tx.get(t.records, idBytes(id))
        if (rec !== undefined) await this.removeTree(tx, t, id, rec, 'evict', new Set())
      }
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * Cards of these ids, in order (undefined: not stored): the envelopes, the counters and the
   * authorship marks of the ids that may be mine, all read in one LevelDB snapshot, so a card's
   * counters and record belong to the same state of the store.
   */
  private async load (t: Tables, ids: string[]): Promise<Array<StoredPost | undefined>> {
    const n = ids.length
    if (n === 0) return []
    const { db } = this.tables()
    const marks = ids.filter(id => this.maybeMine.has(id))
    const keys = [...keysOf([t.cards.envelope, t.cards.counters], ids), ...keysOf([t.cards.mine], marks)]
    const values = await this.readMany(db, keys)
    const mine = new Set(marks.filter((_, i) => values[2 * n + i] !== undefined))
    const out = new Array<StoredPost | undefined>(n)
    for (let i = 0; i < n; i++) {
      const envelope = values[i]
      const counters = values[n + i]
      out[i] = envelope === undefined
        ? undefined
        : toStored(ids[i], decodeTrusted(envelope), counters === undefined ? undefined : JSON.parse(fromUtf8(counters)) as Counters, mine.has(ids[i]))
    }
    return out
  }

  /** The values of `keys` in one snapshot, on the event loop as far as `syncReadMs` allows (`readKeys`). */
  private async readMany (db: RootDb, keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    const snapshot = db.snapshot()
    try {
      return await readKeys(db, keys, this.syncReadMs, { snapshot })
    } finally {
      await snapshot.close()
    }
  }

  async get (id: string): Promise<StoredPost | undefined> {
    const { t } = this.tables()
    if (!isHexId(id)) return undefined
    return (await this.load(t, [id]))[0]
  }

  async getEnvelope (id: string): Promise<Uint8Array | undefined> {
    return (await this.getEnvelopes([id]))[0]
  }

  async getEnvelopes (ids: string[]): Promise<Array<Uint8Array | undefined>> {
    const { t } = this.tables()
    const valid = ids.filter(isHexId)
    const found = valid.length === 0 ? [] : await t.envelopes.sub.getMany(valid.map(idBytes))
    const byId = new Map(valid.map((id, i) => [id, found[i]]))
    return ids.map(id => {
      const bytes = byId.get(id)
      // classic-level hands back a Buffer: give callers a plain Uint8Array view of the same bytes
      return bytes === undefined ? undefined : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    })
  }

  async has (id: string): Promise<boolean> {
    const { t } = this.tables()
    if (!isHexId(id)) return false
    return await t.envelopes.sub.has(idBytes(id))
  }

  async isTombstoned (id: string): Promise<boolean> {
    const { t } = this.tables()
    if (!isHexId(id)) return false
    return await t.tombstones.sub.has(idBytes(id))
  }

  async lacking (ids: string[]): Promise<string[]> {
    const { db, t } = this.tables()
    const wanted = ids.filter(isHexId)
    // what a peer offers in sync is mostly new here: the ids never written are lacking without a read
    const unsure = wanted.filter(id => this.known?.lacks(idBytes(id)) !== true)
    if (unsure.length === 0) return wanted
    // one read for both tables: envelopes' keys, then tombstones'
    const found = await db.hasMany(keysOf([t.cards.envelope, t.cards.tombstone], unsure), { keyEncoding: 'view' })
    const held = new Set(unsure.filter((_, i) => found[i] === true || found[unsure.length + i] === true))
    return wanted.filter(id => !held.has(id))
  }

  async thread (rootId: string, options: ThreadOptions = {}): Promise<Thread> {
    const { t } = this.tables()
    if (!isHexId(rootId)) return { replies: [] }
    const now = options.now
    const live = (p: StoredPost | undefined): p is StoredPost => p !== undefined && (now === undefined || p.expiresAt > now)
    const [root] = await this.load(t, [rootId])
    const post = live(root) && root.kind === 'post' ? root : undefined
    const limit = options.limit ?? Infinity
    const replies: StoredPost[] = []
    const it = t.byParent.sub.keys({ ...prefixRange(idBytes(rootId)) })
    try {
      while (replies.length < limit) {
        const keys = await it.nextv(256)
        if (keys.length === 0) break
        const loaded = await this.load(t, keys.map(key => toHex(key.subarray(ID_LEN + TS_LEN))))
        for (const reply of loaded) if (live(reply) && replies.length < limit) replies.push(reply)
      }
    } finally {
      await it.close()
    }
    return post === undefined ? { replies } : { post, replies }
  }

  async myReaction (targetId: string, authorHex: string): Promise<number | undefined> {
    const { t } = this.tables()
    if (!isHexId(targetId) || !isHexId(authorHex)) return undefined
    const value = (await t.reactions.sub.get(concat(idBytes(targetId), idBytes(authorHex))))?.value
    return value === 0 ? undefined : value
  }

  async feed (query: FeedQuery): Promise<StoredPost[]> {
    const { t } = this.tables()
    const { sort, limit, now } = query ?? {}
    if (!SORTS.has(sort)) throw new BadRequestError(`unknown sort: ${String(sort)}`, 'BAD_SORT')
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FEED_LIMIT) {
      throw new BadRequestError(`limit must be an integer in 1..${MAX_FEED_LIMIT}`, 'BAD_LIMIT')
    }
    if (!Number.isFinite(now)) throw new BadRequestError('now must be a number of ms', 'BAD_REQUEST')
    if (sort === 'near' && (typeof query.origin !== 'string' || !isValidGeohash(query.origin))) {
      throw new BadRequestError("sort 'near' needs the user's geohash as origin", 'BAD_GEOHASH')
    }
    const topic = query.topic === undefined ? undefined : canonicalTopic(query.topic)
    let prefixes: string[] | undefined
    if (query.geohashPrefixes !== undefined) {
      if (!Array.isArray(query.geohashPrefixes) || query.geohashPrefixes.length > MAX_FEED_PREFIXES ||
          !query.geohashPrefixes.every(p => isValidGeohash(p) && p.length >= MIN_NEAR_PRECISION && p.length <= MAX_NEAR_PRECISION)) {
        throw new BadRequestError(`geohashPrefixes must be geohash cells of ${MIN_NEAR_PRECISION} to ${MAX_NEAR_PRECISION} characters`, 'BAD_GEOHASH')
      }
      prefixes = [...new Set(query.geohashPrefixes)]
    }

    const filterGeo = topic !== undefined && prefixes !== undefined ? prefixes : undefined
    if (prefixes !== undefined && prefixes.length === 0) return []
    const keep = (post: StoredPost | undefined): post is StoredPost =>
      post !== undefined && post.kind === 'post' && post.expiresAt > now && !isHidden(post.up, post.down, query.hideAtOrBelow) &&
      query.exclude?.(post) !== true && (filterGeo === undefined || filterGeo.some(p => post.geohash.startsWith(p)))

    // Near's distance penalty of a cell: the least any post in it can have (0 in other sorts)
    const cellSize = sort === 'near' && query.origin !== undefined ? cellSizeMetres(query.origin) : 1
    const penalty = (cell: string): number =>
      sort === 'near' && query.origin !== undefined ? distancePenalty(minCellDistance(query.origin, cell), cellSize) : 0
    // the time index ranges, newest first: every root post of the query's topic, cells or store
    const time: HotRange[] = topic !== undefined
      ? [{ table: t.byTopic, prefix: lstr(topic), penalty: 0 }]
      : prefixes !== undefined
        ? prefixes.map(p => ({ ...nearSource(t)(p), penalty: penalty(p) }))
        : [{ table: t.byTime, prefix: EMPTY, penalty: 0 }]
    const window = Math.max(this.candidates, limit)
    if (sort === 'top') return await this.top(t, time, limit, window, keep)

    // Hot and Near: each source's time index and hot index (the engaged posts), threshold merged;
    // New's view: the same merge over the time ranges alone, where a post's bound is its exact key
    const { hot, spans } = sort === 'new' ? { hot: [], spans: [] } : hotSources(t, topic, prefixes, penalty)
    const keyOf = sortKey(sort, query.origin)
    const cards = async (picks: Picked[]): Promise<Array<StoredPost | undefined>> => await this.load(t, picks.map(p => p.id))
    const merge = async <P extends Rankable>(limit: number, keepOf: (post: P | undefined) => post is P, load: (picks: Picked[]) => Promise<Array<P | undefined>>, places = false): Promise<Merged<P>> =>
      await thresholdMerge([...time, ...hot], { limit, window: Math.max(this.candidates, limit), keyOf, keep: keepOf, load, places }, spans)
    const read = async (): Promise<StoredPost[]> => sort === 'new' ? await this.newest(t, time, limit, window, keep) : (await merge(limit, keep, cards)).posts
    const views = this.views
    // a view holds every root post of its sources: a topic's page filtered by cells is read from the ranges
    if (views === undefined || filterGeo !== undefined) return await read()
    const where: FeedSpec = {
      name: [sort, query.origin ?? '', topic ?? '', ...[...(prefixes ?? [])].sort()].join(' '),
      sources: topic !== undefined ? [topic] : prefixes ?? [ALL_TOPICS],
      keyOf
    }
    const served = await views.page(where, { limit, keep, load: async ids => await this.load(t, ids) })
    if (served !== undefined) return served
    const posts = await read()
    // after this page, not before it (unless the store stopped meanwhile): the view holds what
    // ranks every root post of the sources, live or not, read from the index entries and the
    // counters (ranks), not from the cards
    const build = async (entries: number): Promise<Merged<Rankable>> =>
      await merge(entries, (post: Rankable | undefined): post is Rankable => post !== undefined, async picks => await this.ranks(t, picks, sort), sort === 'near')
    if (this.views === views) void views.build(where, build)
    return posts
  }

  /**
   * What ranks the picked root posts in a sort (with their counters but in New), without their
   * envelopes: a view's build ranks 500, whose envelopes lie scattered over the table files,
   * and LevelDB maps those (a node at a million posts: 6–21 MB more RSS for a topic's Hot and
   * New views built from cards, 3–7 MB from this). createdAt is a time entry's key, or a hot
   * entry's less what the counters add; Near's geohash is the one its entry holds, and a post
   * whose entries were written before they held one is ranked from its card.
   * Counters read after the entries may be newer than they are: the commit that changed them
   * is replayed on the view (views.ts), and sets the post's place.
   */
  private async ranks (t: Tables, picks: Picked[], sort: 'hot' | 'new' | 'near'): Promise<Array<Rankable | undefined>> {
    const values = sort !== 'new' ? await this.readMany(this.tables().db, keysOf([t.cards.counters], picks.map(p => p.id))) : []
    const ranked: Array<Rankable | undefined> = picks.map((pick, i) => {
      const bytes = values[i]
      const c = bytes === undefined ? { up: 0, down: 0, replies: 0 } : JSON.parse(fromUtf8(bytes)) as Counters
      const createdAt = pick.hot ? createdAtOfHot(pick.key, c.up, c.down, c.replies) : pick.key
      return { id: pick.id, createdAt, geohash: pick.geohash ?? '', up: c.up, down: c.down, replies: c.replies }
    })
    const unplaced = sort === 'near' ? picks.flatMap((pick, i) => pick.geohash === undefined ? [i] : []) : []
    if (unplaced.length > 0) {
      const cards = await this.load(t, unplaced.map(i => picks[i]?.id ?? ''))
      unplaced.forEach((at, i) => { ranked[at] = cards[i] })
    }
    return ranked
  }

  /** New: the index ranges read newest first, loaded a page at a time, until `limit` posts are kept. */
  private async newest (
    t: Tables, sources: NewestSource[], limit: number, window: number, keep: (post: StoredPost | undefined) => post is StoredPost
  ): Promise<StoredPost[]> {
    const chunk = Math.min(limit, 100)
    const seen = new Set<string>()
    const picked: StoredPost[] = []
    // a few entries past the page: the stop test looks at the entry after the last one kept
    const merged = new NewestFirst(sources, limit + 16)
    let scanned = 0
    try {
      let exhausted = false
      while (!exhausted && scanned < window) {
        const batch: string[] = []
        while (batch.length < chunk && scanned < window) {
          if (merged.starved) await merged.fill()
          const entry = merged.next()
          if (entry === undefined) {
            exhausted = true
            break
          }
          if (seen.has(entry.id)) continue
          if (picked.length >= limit && entry.createdAt < (picked[limit - 1]?.createdAt ?? 0)) {
            exhausted = true
            break
          }
          seen.add(entry.id)
          batch.push(entry.id)
          scanned++
        }
        for (const post of await this.load(t, batch)) if (keep(post)) picked.push(post)
      }
    } finally {
      await merged.close()
    }
    return rank(picked, 'new').slice(0, limit)
  }

  /**
   * Top: the best scores among the newest `window` posts of the sources. Ranked from the index
   * (createdAt, id) and the counters alone, which are all a Top key needs; only then are records
   * loaded, best first, until `limit` pass the filters. So a page decodes about `limit` posts
   * instead of the whole window, and holds the window as ids and numbers, not as posts.
   */
  private async top (
    t: Tables, sources: NewestSource[], limit: number, window: number, keep: (post: StoredPost | undefined) => post is StoredPost
  ): Promise<StoredPost[]> {
    const candidates: Array<{ id: string, createdAt: number, score: number }> = []
    const seen = new Set<string>()
    // a few reads rather than one of the whole window: one read of 2 000 keys raised the peak RSS by ≈ 20 MB for ≈ 10 % less CPU
    const merged = new NewestFirst(sources, 256)
    try {
      while (candidates.length < window) {
        if (merged.starved) await merged.fill()
        const entry = merged.next()
        if (entry === undefined) break
        if (seen.has(entry.id)) continue
        seen.add(entry.id)
        candidates.push({ id: entry.id, createdAt: entry.createdAt, score: 0 })
      }
    } finally {
      await merged.close()
    }
    const counters = candidates.length === 0 ? [] : await this.tables().db.getMany(keysOf([t.cards.counters], candidates.map(c => c.id)))
    for (const [i, bytes] of counters.entries()) {
      if (bytes === undefined) continue
      const c = JSON.parse(fromUtf8(bytes)) as Counters
      candidates[i].score = score(c.up, c.down)
    }
    candidates.sort((a, b) => b.score - a.score || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const picked: StoredPost[] = []
    // most candidates pass the filters: a page and a quarter, then larger loads for what did not
    let chunk = Math.ceil(limit * 1.25)
    for (let at = 0; at < candidates.length && picked.length < limit; at += chunk, chunk = Math.min(2 * chunk, 500)) {
      for (const post of await this.load(t, candidates.slice(at, at + chunk).map(c => c.id))) {
        if (keep(post) && picked.length < limit) picked.push(post)
      }
    }
    // the records' counters, read after the ranking's, are the ones the cards show and the order follows
    return rank(picked, 'top')
  }

  /** Root posts from by-topic and the rest from by-topic-all (the same key layout, expiry as value), merged in key order. */
  async * topicEntries (topic: string, from: number, to: number, options: TopicEntriesOptions = {}): AsyncGenerator<TopicEntry> {
    const { t } = this.tables()
    const prefix = lstr(canonicalTopic(topic))
    const range = {
      gte: concat(prefix, u64(from)),
      lt: concat(prefix, u64(to)),
      ...(options.signal === undefined ? {} : { signal: options.signal })
    }
    const cursors = [t.byTopic, t.byTopicAll].map(table => ({ it: table.sub.iterator(range), buf: [] as Array<[Uint8Array, Uint8Array]>, at: 0, done: false }))
    try {
      while (true) {
        let best: typeof cursors[number] | undefined
        for (const c of cursors) {
          if (c.at >= c.buf.length && !c.done) {
            c.buf = await c.it.nextv(512)
            c.at = 0
            c.done = c.buf.length === 0
          }
          const head = c.buf[c.at]
          if (head !== undefined && (best === undefined || compareBytes(head[0], best.buf[best.at][0]) < 0)) best = c
        }
        if (best === undefined) return
        const [key, exp] = best.buf[best.at++]
        if (options.now !== undefined && readU64(exp, 0) <= options.now) continue
        yield tailEntry(key)
      }
    } finally {
      await Promise.all(cursors.map(async c => { await c.it.close() }))
    }
  }

  private async counts (): Promise<Counts> {
    const { t } = this.tables()
    return { ...ZERO_COUNTS, ...(await t.meta.sub.get(COUNTS_KEY) as Counts | undefined) }
  }

  async count (): Promise<number> {
    return (await this.counts()).posts
  }

  async stats (): Promise<StoreStats> {
    return await this.counts()
  }

  // ---------------------------------------------------------------- purge

  async purge (now: number): Promise<number> {
    if (!Number.isFinite(now)) throw new BadRequestError('now must be a number of ms', 'BAD_REQUEST')
    let removed = 0
    while (true) {
      const { read, removed: n } = await this.serialise(async () => await this.purgeBatch(now))
      removed += n
      if (read < PURGE_BATCH) break
    }
    // the node purges every minute: the filter is saved here once its journal has grown enough
    if (this.known !== undefined) await this.saveKnown(this.known)
    return removed
  }

  async trim (topic: string, before: number): Promise<number> {
    if (!Number.isFinite(before)) throw new BadRequestError('before must be a number of ms', 'BAD_REQUEST')
    const prefix = lstr(canonicalTopic(topic))
    let removed = 0
    while (true) {
      const n = await this.serialise(async () => {
        const { db, t } = this.tables()
        const old = await t.byTopic.sub.keys({ gte: prefix, lt: concat(prefix, u64(Math.floor(before))), limit: PURGE_BATCH }).all()
        const tx = new Tx(db, this.syncReadMs)
        for (const key of old) {
          const { id } = tailEntry(key)
          const rec = await tx.get(t.records, idBytes(id))
          if (rec !== undefined) await this.removeTree(tx, t, id, rec, 'evict', new Set())
        }
        await this.commit(tx)
        return old.length
      })
      removed += n
      if (n < PURGE_BATCH) return removed
    }
  }

  /** Handles up to PURGE_BATCH expiry entries with expiresAt ≤ now, oldest first, in one batch. */
  private async purgeBatch (now: number): Promise<{ read: number, removed: number }> {
    const { db, t } = this.tables()
    const keys = await t.expiry.sub.keys({ lt: u64(Math.floor(now) + 1), limit: PURGE_BATCH }).all()
    // the last batch: once it commits, nothing that expires by `now` is left (no write comes between)
    const last = (): void => { if (keys.length < PURGE_BATCH) this.known?.expire(now) }
    if (keys.length === 0) {
      last()
      return { read: 0, removed: 0 }
    }
    let removed = 0
    const tx = new Tx(db, this.syncReadMs)
    const byType = (type: number): Uint8Array[] => keys.filter(k => k[TS_LEN] === type).map(k => k.subarray(TS_LEN + 1, TS_LEN + 1 + ID_LEN))
    const messageIds = byType(EXP_MESSAGE)
    await tx.prefetchMany([
      [t.records, messageIds],
      [t.tombstones, byType(EXP_TOMBSTONE)],
      [t.awaited, byType(EXP_AWAITED)],
      [t.pending, keys.filter(k => k[TS_LEN] === EXP_PENDING).map(k => k.subarray(TS_LEN + 1))],
      [t.meta, [COUNTS_KEY]]
    ])
    // second round: what removing those messages will update
    const counters: Uint8Array[] = []
    const reactions: Uint8Array[] = []
    const topics: Uint8Array[] = []
    for (const idb of messageIds) {
      const rec = await tx.get(t.records, idb)
      if (rec === undefined) continue
      if (rec.kind === 'post') {
        for (const topic of topicsOf(rec)) topics.push(lstr(topic))
        counters.push(idb)
      }
      if (rec.kind === 'reply') counters.push(idBytes(rec.root))
      if (rec.kind === 'reaction') {
        counters.push(idBytes(rec.parent))
        reactions.push(concat(idBytes(rec.parent), idBytes(rec.author)))
      }
    }
    await tx.prefetchMany([
      [t.counters, counters],
      [t.reactions, reactions],
      [t.topicCounts, topics]
    ])
    for (const key of keys) {
      const expiresAt = readU64(key, 0)
      const type = key[TS_LEN]
      const idb = key.subarray(TS_LEN + 1, TS_LEN + 1 + ID_LEN)
      tx.del(t.expiry, key)
      if (type === EXP_MESSAGE) {
        const rec = await tx.get(t.records, idb)
        if (rec !== undefined && rec.expiresAt === expiresAt) {
          await this.removeMessage(tx, t, toHex(idb), rec, 'expire')
          removed++
        }
      } else if (type === EXP_TOMBSTONE) {
        const tomb = await tx.get(t.tombstones, idb)
        if (tomb !== undefined && tomb.expiresAt === expiresAt) {
          tx.del(t.tombstones, idb)
          if (tomb.target !== undefined) {
            const key = concat(idBytes(tomb.target), idBytes(tomb.author))
            const entry = await tx.get(t.reactions, key)
            if (entry?.value === 0 && entry.id === toHex(idb)) tx.del(t.reactions, key)
          }
          await this.bump(tx, t, { tombstones: -1 })
          removed++
        }
      } else if (type === EXP_AWAITED) {
        if (await tx.get(t.awaited, idb) === expiresAt) tx.del(t.awaited, idb)
      } else if (type === EXP_PENDING) {
        const pkey = key.subarray(TS_LEN + 1)
        const pending = await tx.get(t.pending, pkey)
        if (pending !== undefined && pending.expiresAt === expiresAt) {
          tx.del(t.pending, pkey)
          await this.bump(tx, t, { pendingTombstones: -1 })
          removed++
        }
      }
    }
    await this.commit(tx)
    last()
    return { read: keys.length, removed }
  }

  // ---------------------------------------------------------------- moderation

  async labelsOf (targets: string[]): Promise<LabelRecord[]> {
    const { t } = this.tables()
    const out: LabelRecord[] = []
    for (const target of new Set(targets)) {
      if (!isHexId(target)) continue
      for await (const [key, entry] of t.labels.sub.iterator(prefixRange(idBytes(target)))) {
        out.push({ target, moderator: toHex(key.subarray(ID_LEN)), ...entry })
      }
    }
    return out
  }

  async * allLabels (): AsyncGenerator<LabelRecord> {
    const { t } = this.tables()
    for await (const [key, entry] of t.labels.sub.iterator()) {
      yield { target: toHex(key.subarray(0, ID_LEN)), moderator: toHex(key.subarray(ID_LEN)), ...entry }
    }
  }

  async moderationLog (moderator: string, options: ModerationLogOptions): Promise<StoredPost[]> {
    const { t } = this.tables()
    if (!isHexId(moderator)) throw new BadRequestError('a moderator id is 64 hex characters', 'BAD_MODERATOR')
    const limit = options.limit ?? MAX_FEED_LIMIT
    const out: StoredPost[] = []
    const it = t.byTopicAll.sub.keys({ ...prefixRange(lstr(`mod:${moderator}`)), reverse: true })
    try {
      while (out.length < limit) {
        const keys = await it.nextv(128)
        if (keys.length === 0) break
        for (const message of await this.load(t, keys.map(key => tailEntry(key).id))) {
          if (message === undefined || message.kind !== options.kind) continue
          if (options.now !== undefined && message.expiresAt <= options.now) continue
          if (out.length < limit) out.push(message)
        }
      }
    } finally {
      await it.close()
    }
    return out
  }

  async drop (ids: string[]): Promise<string[]> {
    const wanted = [...new Set(ids)].filter(isHexId)
    if (wanted.length === 0) return []
    return await this.serialise(async () => {
      const { db, t } = this.tables()
      const tx = new Tx(db, this.syncReadMs)
      await Promise.all([tx.prefetch(t.records, wanted.map(idBytes)), tx.prefetch(t.meta, [COUNTS_KEY])])
      const dropped: string[] = []
      const seen = new Set<string>()
      for (const id of wanted) {
        const rec = await tx.get(t.records, idBytes(id))
        if (rec === undefined || (rec.kind !== 'post' && rec.kind !== 'reply') || seen.has(id)) continue
        await this.removeTree(tx, t, id, rec, 'delete', seen)
        dropped.push(id)
      }
      await this.commit(tx)
      return dropped
    })
  }

  async tombstone (messages: Message[]): Promise<void> {
    const fresh = messages.filter(m => shapeError(m) === undefined)
    if (fresh.length === 0) return
    await this.serialise(async () => {
      const { db, t } = this.tables()
      const tx = new Tx(db, this.syncReadMs)
      const ids = fresh.map(m => idBytes(m.id))
      await Promise.all([tx.prefetch(t.records, ids), tx.prefetch(t.tombstones, ids), tx.prefetch(t.meta, [COUNTS_KEY])])
      for (const m of fresh) {
        const idb = idBytes(m.id)
        if (await tx.get(t.records, idb) !== undefined || await tx.get(t.tombstones, idb) !== undefined) continue
        await this.putTombstone(tx, t, idb, { author: m.author, expiresAt: m.expiresAt })
      }
      await this.commit(tx)
    })
  }

  // ---------------------------------------------------------------- mine, topics, settings

  async markMine (id: string, nonceHex: string): Promise<void> {
    if (!isHexId(id)) throw new BadRequestError('id must be 64 hex characters', 'BAD_ID')
    if (typeof nonceHex !== 'string' || !HEX.test(nonceHex)) throw new BadRequestError('nonce must be hex', 'BAD_NONCE')
    await this.serialise(async () => {
      this.maybeMine.add(id)
      await this.tables().t.mine.sub.put(idBytes(id), nonceHex)
    }, USER)
  }

  async mineNonce (id: string): Promise<string | undefined> {
    const { t } = this.tables()
    if (!isHexId(id)) return undefined
    return await t.mine.sub.get(idBytes(id))
  }

  async isMine (id: string): Promise<boolean> {
    return await this.mineNonce(id) !== undefined
  }

  async joinTopic (topic: string): Promise<void> {
    const name = canonicalTopic(topic)
    await this.serialise(async () => { await this.tables().t.joined.sub.put(utf8(name), NO_VALUE) }, USER)
  }

  async leaveTopic (topic: string): Promise<void> {
    const name = canonicalTopic(topic)
    await this.serialise(async () => { await this.tables().t.joined.sub.del(utf8(name)) }, USER)
  }

  async topics (): Promise<string[]> {
    const { t } = this.tables()
    return (await t.joined.sub.keys().all()).map(fromUtf8)
  }

  async getSetting (key: string): Promise<unknown> {
    const { t } = this.tables()
    return await t.settings.sub.get(utf8(key))
  }

  async setSetting (key: string, value: unknown): Promise<void> {
    if (value === undefined) throw new BadRequestError('a setting value cannot be undefined', 'BAD_REQUEST')
    await this.serialise(async () => { await this.tables().t.settings.sub.put(utf8(key), value) }, USER)
  }
}

/**
 * The index range of one Near-me geohash prefix: a geo cell's prefix reads the `geo:` topic,
 * which holds exactly the root posts by-geo would hold for it.
 */
function nearSource (t: Tables): (prefix: string) => { table: Table<Uint8Array>, prefix: Uint8Array, place: number } {
  return prefix => prefix.length === GEO_CELL_CHARS
    ? { table: t.byTopic, prefix: lstr(`geo:${prefix}`), place: TS_LEN }
    : { table: t.byGeo, prefix: lstr(prefix), place: 0 }
}

/**
 * The hot index's part of a Hot or Near read: the range of the topic or of every root post, or
 * for cells one span per parent cell; `penalty`: a cell's least distance penalty (0 for Hot).
 */
function hotSources (t: Tables, topic: string | undefined, prefixes: string[] | undefined, penalty: (cell: string) => number): { hot: HotRange[], spans: HotSpan[] } {
  if (prefixes === undefined || topic !== undefined) return { hot: [{ table: t.hotByTopic, prefix: lstr(topic ?? ALL_TOPICS), penalty: 0, hot: true }], spans: [] }
  // one read per parent cell (one or two for most neighbourhoods, not nine)
  const spans = [...bySpan(prefixes)].map(cells => {
    const { table, prefix } = nearHotSource(t)(cells[0])
    return {
      table,
      // a cell's key prefix ends with its last character: without it, every sibling's
      prefix: prefix.subarray(0, -1),
      cells: cells.map(cell => ({ prefix: nearHotSource(t)(cell).prefix, penalty: penalty(cell) })),
      fallback: [...byParent(cells)].map(([parent, group]) => ({
        ...nearHotSource(t)(parent),
        // any post it yields is in one of these cells
        penalty: Math.min(...group.map(penalty)),
        hot: true,
        ...(group.length === 1 && group[0] === parent ? {} : { accept: (value: Uint8Array) => { const g = fromUtf8(value); return group.some(c => g.startsWith(c)) } })
      }))
    }
  })
  return { hot: [], spans }
}

/** The same for the hot index: a geo cell's engaged posts are those of its `geo:` topic. */
function nearHotSource (t: Tables): (prefix: string) => { table: Table<Uint8Array>, prefix: Uint8Array } {
  return prefix => prefix.length === GEO_CELL_CHARS
    ? { table: t.hotByTopic, prefix: lstr(`geo:${prefix}`) }
    : { table: t.hotByGeo, prefix: lstr(prefix) }
}

/**
 * The query's cells grouped under their parent cell when the hot index holds that parent (a
 * neighbourhood of 9 cells mostly shares 1 or 2 parents): one hot range per group instead of
 * one per cell. A cell whose parent is not indexed is its own group.
 */
function byParent (cells: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const cell of cells) {
    const parent = cell.slice(0, -1)
    // hot-by-geo holds the prefixes longer than a geo cell (geoPrefixes)
    const group = parent.length > MIN_NEAR_PRECISION ? parent : cell
    groups.set(group, [...(groups.get(group) ?? []), cell])
  }
  return groups
}

/** The query's cells by length and parent cell: the cells whose hot index keys are adjacent. */
function bySpan (cells: string[]): Array<[string, ...string[]]> {
  const groups = new Map<string, [string, ...string[]]>()
  for (const cell of cells) {
    const group = groups.get(cell.slice(0, -1))
    if (group === undefined) groups.set(cell.slice(0, -1), [cell])
    else group.push(cell)
  }
  return [...groups.values()]
}

interface NewestSource { table: Table<Uint8Array>, prefix: Uint8Array }

/** Keys a NewestFirst range reads at once after its first read. */
const NEWEST_MAX_READ = 1_024

/**
 * Reverse iterators over several index ranges merged into one stream, newest (createdAt, id)
 * first. `next()` is synchronous while every range has entries read ahead (`starved` says when
 * one must be read again with `fill()`), so a page costs one promise per LevelDB read, not one
 * per entry. Each range reads `first` keys, then twice as many each time, up to 1 024 (or `first`).
 */
class NewestFirst {
  private readonly cursors: Array<{ it: { nextv: (size: number) => Promise<Uint8Array[]>, close: () => Promise<void> }, buf: TopicEntry[], at: number, done: boolean, size: number }>
  /** some range has no entry read ahead and is not done */
  starved = true

  constructor (sources: NewestSource[], first: number) {
    const size = sources.length === 1 ? first : Math.max(16, Math.ceil(2 * first / sources.length))
    this.cursors = sources.map(({ table, prefix }) => ({
      it: table.sub.keys({ ...prefixRange(prefix), reverse: true, ...readAhead(Math.max(size, NEWEST_MAX_READ)) }), buf: [], at: 0, done: false, size
    }))
  }

  async fill (): Promise<void> {
    await Promise.all(this.cursors.map(async c => {
      if (c.at < c.buf.length || c.done) return
      const keys = await c.it.nextv(c.size)
      c.size = Math.max(c.size, Math.min(2 * c.size, NEWEST_MAX_READ))
      c.buf = keys.map(tailEntry)
      c.at = 0
      if (keys.length === 0) c.done = true
    }))
    this.starved = false
  }

  /** The newest entry left, undefined when every range is read; only when not `starved`. */
  next (): TopicEntry | undefined {
    let best: typeof this.cursors[number] | undefined
    let bestEntry: TopicEntry | undefined
    for (const c of this.cursors) {
      const e = c.buf[c.at]
      if (e === undefined) continue
      if (bestEntry === undefined || e.createdAt > bestEntry.createdAt || (e.createdAt === bestEntry.createdAt && e.id > bestEntry.id)) {
        best = c
        bestEntry = e
      }
    }
    if (best === undefined) return undefined
    best.at++
    if (best.at >= best.buf.length && !best.done) this.starved = true
    return bestEntry
  }

  async close (): Promise<void> {
    await Promise.all(this.cursors.map(async c => { await c.it.close() }))
  }
}
