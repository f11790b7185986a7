import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Level } from 'level'
import { createStore, topicsOf, SCHEMA_VERSION } from '../../src/store/index.js'
import { distancePenalty, hotKey, isEngaged, isHidden, rank } from '../../src/ranking/index.js'
import type { Sort } from '../../src/ranking/index.js'
import { cellDistance, cellSizeMetres, neighbourhood } from '../../src/geo/index.js'
import { NO_VALUE, idBytes, readLstr, tailEntry, tailHot } from '../../src/store/keys.js'
import { SPAN_ENTRIES } from '../../src/store/merge.js'
import { DAY, HOUR, T0, makeDelete, makePost, makeReaction, makeReply, randomHex } from '../fixtures/messages.js'
import type { Message } from '../../src/post/model.js'
import type { FeedQuery, PostStore, StoreOptions, StoredPost } from '../../src/store/index.js'

/**
 * The hot index (docs/storage.md): Hot and Near read it with the time indexes and must return
 * exactly what ranking every live post would, and its entries must follow every counter change
 * and removal without leaving one behind.
 */

const ORIGIN = 'u05kq'
const AROUND = neighbourhood(ORIGIN)
/**
 * posts in the origin cell, its neighbours (at 5 and 6 characters), in the same parent cells
 * but outside the neighbourhood (u05k0, u05kz, u05w: read and skipped by Near), farther, and nowhere
 */
const GEOHASHES = [ORIGIN, `${ORIGIN}h`, `${ORIGIN}z`, ...AROUND.slice(1, 5), `${AROUND[5] ?? ''}b`, 'u05k0', 'u05kzz', 'u05wb', 'u05s7', 'u09tv', '']
const TAGS = ['a', 'b', 'c']
const AUTHORS = [randomHex(), randomHex(), randomHex()]

interface Db {
  path: string
  store: PostStore
  dir: string
}

async function openDb (options: Partial<StoreOptions> = {}): Promise<Db> {
  const dir = await mkdtemp(join(tmpdir(), 'murmur-hot-'))
  const path = join(dir, 'db')
  const store = createStore({ path, ...options })
  await store.start()
  const db = { path, store, dir }
  opened.add(db)
  return db
}

/** The stores a test opened and has not closed: each test's `afterEach` closes them. */
const opened = new Set<Db>()

async function closeDb (db: Db): Promise<void> {
  opened.delete(db)
  await db.store.stop()
  await rm(db.dir, { recursive: true, force: true })
}

/** Runs `fn` on the raw LevelDB database with the store stopped, then starts the store again. */
async function raw<T> (db: Db, fn: (level: Level<Uint8Array, Uint8Array>) => Promise<T>): Promise<T> {
  await db.store.stop()
  const level = new Level<Uint8Array, Uint8Array>(db.path, { keyEncoding: 'view', valueEncoding: 'view' })
  await level.open()
  try {
    return await fn(level)
  } finally {
    await level.close()
    await db.store.start()
  }
}

async function keysOf (level: Level<Uint8Array, Uint8Array>, name: string): Promise<Uint8Array[]> {
  return await level.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' }).keys().all()
}

/**
 * Checks the hot index against what it should hold, built from the other indexes: one entry
 * per engaged stored root post, under '' and each of its by-topic topics (h) and each of its
 * by-geo prefixes (i), keyed by its hot key. Returns the number of posts indexed.
 */
async function checkHotIndex (db: Db, ids: Iterable<string>): Promise<number> {
  const posts = new Map<string, StoredPost>()
  for (const id of new Set(ids)) {
    const post = await db.store.get(id)
    if (post?.kind === 'post') posts.set(id, post)
  }
  const { actual, topics, prefixes } = await raw(db, async level => {
    const read = async (name: string): Promise<Array<{ prefix: string, key: number, id: string, value: string }>> =>
      (await level.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' }).iterator().all())
        .map(([key, value]) => ({ prefix: readLstr(key), ...tailHot(key), value: Buffer.from(value).toString() }))
    const grouped = async (name: string): Promise<Map<string, string[]>> => {
      const out = new Map<string, string[]>()
      for (const key of await keysOf(level, name)) {
        const { id } = tailEntry(key)
        out.set(id, [...(out.get(id) ?? []), readLstr(key)])
      }
      return out
    }
    const actual = [
      ...(await read('h')).map(e => `h|${e.prefix}|${e.key}|${e.value}|${e.id}`),
      ...(await read('i')).map(e => `i|${e.prefix}|${e.key}|${e.value}|${e.id}`)
    ]
    return { actual, topics: await grouped('t'), prefixes: await grouped('g') }
  })
  const expected: string[] = []
  for (const [id, p] of posts) {
    if (!isEngaged(p.up, p.down, p.replies)) continue
    const key = hotKey(p.up, p.down, p.replies, p.createdAt)
    // every entry carries the post's geohash, NO_VALUE's byte for a post without one
    const place = p.geohash === '' ? Buffer.from(NO_VALUE).toString() : p.geohash
    for (const topic of ['', ...(topics.get(id) ?? [])]) expected.push(`h|${topic}|${key}|${place}|${id}`)
    for (const prefix of prefixes.get(id) ?? []) expected.push(`i|${prefix}|${key}|${place}|${id}`)
  }
  assert.deepEqual(actual.sort(), expected.sort())
  return new Set(actual.map(entry => entry.slice(entry.lastIndexOf('|') + 1))).size
}

/** What a feed must be: every live stored root post that passes the query, ranked, cut to the limit. */
async function expectedFeed (store: PostStore, ids: Iterable<string>, query: FeedQuery): Promise<string[]> {
  const posts: StoredPost[] = []
  for (const id of new Set(ids)) {
    const post = await store.get(id)
    if (post === undefined || post.kind !== 'post' || post.expiresAt <= query.now) continue
    if (isHidden(post.up, post.down, query.hideAtOrBelow) || query.exclude?.(post) === true) continue
    if (query.topic !== undefined && !topicsOf(post).includes(query.topic)) continue
    if (query.geohashPrefixes !== undefined && !query.geohashPrefixes.some(p => post.geohash.startsWith(p))) continue
    posts.push(post)
  }
  return rank(posts, query.sort, query.origin).slice(0, query.limit).map(p => p.id)
}

async function feedIds (store: PostStore, query: FeedQuery): Promise<string[]> {
  return (await store.feed(query)).map(p => p.id)
}

/** Asserts that the store's page for `query` is what ranking every live post of `ids` gives. */
async function assertRanked (store: PostStore, ids: Iterable<string>, query: FeedQuery): Promise<void> {
  assert.deepEqual(await feedIds(store, query), await expectedFeed(store, ids, query), JSON.stringify({ ...query, exclude: query.exclude !== undefined }))
}

// ---------------------------------------------------------------- random histories

type Op =
  | { op: 'post', tags: number, geo: number, minutes: number, shortLived: boolean, early: number }
  | { op: 'react', target: number, up: boolean, author: number }
  | { op: 'reply', target: number }
  | { op: 'delete', target: number }
  | { op: 'drop', target: number }
  | { op: 'purge', hours: number }
  | { op: 'trim', tag: number, hours: number }
  /** a Near page read mid-history (from the neighbourhood's view once it has one), checked at once */
  | { op: 'look', feed: number, limit: number, filtered: boolean, hours: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('post' as const), tags: fc.integer({ min: 1, max: 6 }), geo: fc.nat(GEOHASHES.length - 1), minutes: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 3600 })), shortLived: fc.boolean(), early: fc.nat(3) }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('react' as const), target: fc.nat(), up: fc.boolean(), author: fc.nat(AUTHORS.length) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('reply' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('purge' as const), hours: fc.integer({ min: -50, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trim' as const), tag: fc.nat(TAGS.length - 1), hours: fc.integer({ min: 40, max: 62 }) }) }
)

/** Applies a history; returns every message id offered (stored or not). `look` checks a page with the ids offered so far. */
async function play (store: PostStore, ops: Op[], look?: (o: Extract<Op, { op: 'look' }>, ids: string[]) => Promise<void>): Promise<string[]> {
  const offered: Message[] = []
  const pick = (n: number, kinds: string[]): Message | undefined => {
    const pool = offered.filter(m => kinds.includes(m.kind))
    return pool.length === 0 ? undefined : pool[n % pool.length]
  }
  let clock = 0
  for (const o of ops) {
    clock += 1000
    switch (o.op) {
      case 'post': {
        const tags = TAGS.filter((_, i) => (o.tags & (1 << i)) !== 0)
        // mostly within hours of each other, where votes and distance reorder posts
        const createdAt = T0 - o.minutes * 60_000 - clock
        const post = makePost({ tags, geohash: GEOHASHES[o.geo], createdAt, expiresAt: createdAt + (o.shortLived ? 30 * HOUR : 7 * DAY) })
        // replies and reactions that arrive before their post
        const early = Array.from({ length: o.early }, (_, i) => i === 0 ? makeReply(post) : makeReaction(post, 1, { createdAt: createdAt + i }))
        offered.push(...early, post)
        if (early.length > 0) await store.ingest(early)
        await store.ingest([post])
        break
      }
      case 'react': {
        const target = pick(o.target, ['post', 'reply'])
        if (target === undefined) break
        const author = AUTHORS[o.author]
        const reaction = makeReaction(target, o.up ? 1 : -1, { createdAt: target.createdAt + clock, ...(author === undefined ? {} : { author }) })
        offered.push(reaction)
        await store.ingest([reaction])
        break
      }
      case 'reply': {
        const target = pick(o.target, ['post'])
        if (target === undefined) break
        const reply = makeReply(target, { createdAt: target.createdAt + clock })
        offered.push(reply)
        await store.ingest([reply])
        break
      }
      case 'delete': {
        const target = pick(o.target, ['post', 'reply', 'reaction'])
        if (target === undefined) break
        const del = makeDelete(target, { createdAt: target.createdAt + clock })
        offered.push(del)
        await store.ingest([del])
        break
      }
      case 'drop': {
        const target = pick(o.target, ['post', 'reply'])
        if (target !== undefined) await store.drop([target.id])
        break
      }
      case 'purge':
        await store.purge(T0 + o.hours * HOUR)
        break
      case 'trim':
        await store.trim(`tag:${TAGS[o.tag] ?? 'a'}`, T0 - o.hours * HOUR)
        break
      case 'look':
        await look?.(o, offered.map(m => m.id))
        break
    }
  }
  return offered.map(m => m.id)
}

function queries (now: number, excluded: (post: StoredPost) => boolean): FeedQuery[] {
  const out: FeedQuery[] = []
  for (const limit of [1, 4, 50]) {
    for (const sort of ['hot', 'near', 'new', 'top'] as Sort[]) {
      const base = { sort, limit, now, ...(sort === 'near' ? { origin: ORIGIN } : {}) }
      out.push({ ...base }, { ...base, topic: 'tag:a' }, { ...base, topic: 'geo:u05k' }, { ...base, geohashPrefixes: AROUND },
        { ...base, topic: 'tag:b', geohashPrefixes: AROUND.slice(0, 3) }, { ...base, geohashPrefixes: AROUND, hideAtOrBelow: 0, exclude: excluded })
    }
    for (const origin of ['u05k', `${ORIGIN}h`]) {
      out.push({ sort: 'near', limit, now, origin, geohashPrefixes: neighbourhood(origin) })
    }
  }
  return out
}

/**
 * The feeds a history looks at (feed views serve them from their second page): Near around a
 * cell at each precision, whose neighbourhoods the `geo:` topic (4) and by-geo (5, 6) serve, and
 * Hot and New of everything, of a topic and of cells.
 */
const LOOK_FEEDS: Array<Pick<FeedQuery, 'sort' | 'topic' | 'origin' | 'geohashPrefixes'>> = [
  ...[ORIGIN, 'u05k', `${ORIGIN}h`].map(origin => ({ sort: 'near' as const, origin, geohashPrefixes: neighbourhood(origin) })),
  { sort: 'hot' }, { sort: 'hot', topic: 'tag:a' }, { sort: 'hot', topic: 'geo:u05k' }, { sort: 'hot', geohashPrefixes: AROUND },
  { sort: 'new' }, { sort: 'new', topic: 'tag:b' }, { sort: 'new', geohashPrefixes: AROUND }
]
const lookArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constant('look' as const), feed: fc.nat(LOOK_FEEDS.length - 1), limit: fc.integer({ min: 1, max: 6 }), filtered: fc.boolean(), hours: fc.integer({ min: -20, max: 40 })
})

describe('store: the hot index', () => {
  let db: Db
  afterEach(async () => { for (const open of [...opened]) await closeDb(open) })

  it('serves Hot and Near exactly as ranking every live post would, and holds no stale entry (property)', async function () {
    this.timeout(600_000)
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 45 }), fc.integer({ min: -20, max: 40 }), async (ops, later) => {
      const run = await openDb()
      try {
        const ids = await play(run.store, ops)
        await checkHotIndex(run, ids)
        const now = T0 + later * HOUR
        const excluded = (post: StoredPost): boolean => post.id < '4'
        for (const query of queries(now, excluded)) await assertRanked(run.store, ids, query)
      } finally {
        await closeDb(run)
      }
    }), { numRuns: 40 })
  })

  it('serves feeds from their views exactly as ranking every live post would, through every write (property)', async function () {
    this.timeout(600_000)
    const histories = fc.array(fc.oneof({ weight: 3, arbitrary: opArb }, { weight: 1, arbitrary: lookArb }), { minLength: 5, maxLength: 60 })
    // views of 2 posts fill, drop their last and set a floor at once; of 12, seldom
    await fc.assert(fc.asyncProperty(histories, fc.constantFrom(2, 5, 12), async (ops, viewPosts) => {
      const run = await openDb({ viewPosts })
      try {
        const ids = await play(run.store, ops, async (o, ids) => {
          const filters = o.filtered ? { hideAtOrBelow: 0, exclude: (post: StoredPost) => post.id < '4' } : {}
          await assertRanked(run.store, ids, { ...LOOK_FEEDS[o.feed], limit: o.limit, now: T0 + o.hours * HOUR, ...filters } as FeedQuery)
        })
        for (const feed of LOOK_FEEDS) {
          for (const limit of [1, Math.floor(viewPosts / 2)]) await assertRanked(run.store, ids, { ...feed, limit, now: T0 } as FeedQuery)
        }
      } finally {
        await closeDb(run)
      }
    }), { numRuns: 60 })
  })

  describe('entries', () => {
    beforeEach(async () => { db = await openDb() })

    it('appear at engagement > 1, move with the counters and go at ≤ 1', async () => {
      const post = makePost({ tags: ['a', 'b'], geohash: 'u05kq' })
      await db.store.ingest([post, makeReaction(post, 1)])
      assert.equal(await checkHotIndex(db, [post.id]), 0, 'one vote: ranked by its time entries')
      const like = makeReaction(post, 1)
      await db.store.ingest([like])
      assert.equal(await checkHotIndex(db, [post.id]), 1)
      const reply = makeReply(post)
      await db.store.ingest([reply, makeReaction(post, -1)])
      assert.equal(await checkHotIndex(db, [post.id]), 1, 'moved to the key of 2 − 1 + ½')
      await db.store.ingest([makeDelete(like)])
      assert.equal(await checkHotIndex(db, [post.id]), 0, 'a retracted like: 1 − 1 + ½')
      const dislikes = Array.from({ length: 3 }, () => makeReaction(post, -1))
      await db.store.ingest(dislikes)
      assert.equal(await checkHotIndex(db, [post.id]), 1, 'negative engagement is indexed too')
      await db.store.ingest([makeDelete(post)])
      assert.equal(await checkHotIndex(db, [post.id]), 0)
    })

    it('are written when a post arrives after its reactions and replies', async () => {
      const post = makePost()
      await db.store.ingest([makeReaction(post, 1), makeReply(post), makeReaction(post, 1)])
      assert.equal(await checkHotIndex(db, [post.id]), 0)
      await db.store.ingest([post])
      assert.ok(await checkHotIndex(db, [post.id]) > 0)
      assert.deepEqual(await feedIds(db.store, { sort: 'hot', limit: 5, now: T0 }), [post.id])
    })

    it('go with every removal: purge, trim, quota eviction, drop', async () => {
      await db.store.stop()
      db.store = createStore({ path: db.path, topicQuota: 2 })
      await db.store.start()
      // each in a cell of its own, so that only tag:d goes over the quota
      const liked = (over: Partial<Message>): Message[] => {
        const post = makePost(over)
        return [post, makeReaction(post, 1), makeReaction(post, 1), makeReply(post)]
      }
      const expiring = liked({ tags: ['a'], geohash: 'u05kq', createdAt: T0, expiresAt: T0 + HOUR })
      const trimmed = liked({ tags: ['b'], geohash: 'u09tv', createdAt: T0 - DAY })
      const dropped = liked({ tags: ['c'], geohash: 'gcpvj', createdAt: T0 })
      const evicted = liked({ tags: ['d'], geohash: 'ezs42', createdAt: T0 - 2 })
      const newer = [liked({ tags: ['d'], geohash: 'u4pru', createdAt: T0 - 1 }), liked({ tags: ['d'], geohash: 'dr5ru', createdAt: T0 })]
      const all = [expiring, trimmed, dropped, evicted, ...newer]
      await db.store.ingest([...expiring, ...trimmed, ...dropped, ...evicted])
      const ids = all.map(m => m[0]?.id ?? '')
      assert.equal(await checkHotIndex(db, ids), 4)

      assert.equal(await db.store.purge(T0 + HOUR), 4, 'the post, its likes and reply')
      assert.equal(await checkHotIndex(db, ids), 3)
      assert.equal(await db.store.trim('tag:b', T0 - HOUR), 1)
      assert.equal(await checkHotIndex(db, ids), 2)
      assert.deepEqual(await db.store.drop([dropped[0]?.id ?? '']), [dropped[0]?.id])
      assert.equal(await checkHotIndex(db, ids), 1)
      await db.store.ingest(newer.flat())
      assert.equal(await db.store.has(evicted[0]?.id ?? ''), false, 'over quota: the oldest of tag:d went')
      assert.equal(await checkHotIndex(db, ids), 2)
      assert.deepEqual(await feedIds(db.store, { sort: 'hot', limit: 5, now: T0 }), newer.map(m => m[0]?.id).reverse())
    })
  })

  describe('feeds', () => {
    beforeEach(async () => { db = await openDb() })

    it('rank an old liked post above newer unliked ones, and below newer liked ones', async () => {
      const old = makePost({ createdAt: T0 - 10 * HOUR })
      const fresh = makePost({ createdAt: T0 - HOUR })
      const freshLiked = makePost({ createdAt: T0 - 2 * HOUR })
      const votes = (p: Message, n: number): Message[] => Array.from({ length: n }, () => makeReaction(p, 1))
      await db.store.ingest([old, fresh, freshLiked, ...votes(old, 8), ...votes(freshLiked, 8)])
      // old: T0 − 10 h + 12 h; freshLiked: T0 − 2 h + 12 h
      assert.deepEqual(await feedIds(db.store, { sort: 'hot', limit: 10, now: T0 }), [freshLiked.id, old.id, fresh.id])
      assert.deepEqual(await feedIds(db.store, { sort: 'hot', limit: 2, now: T0, topic: 'tag:lyon' }), [freshLiked.id, old.id])
    })

    it('near: a liked post next door beats a plain one here, limits and filters hold', async () => {
      const here = makePost({ geohash: `${ORIGIN}h`, createdAt: T0 - HOUR })
      const east = makePost({ geohash: AROUND[3] ?? '', createdAt: T0 - HOUR })
      const far = makePost({ geohash: 'u09tv', createdAt: T0 })
      const muted = makePost({ geohash: ORIGIN, createdAt: T0 })
      await db.store.ingest([here, east, far, muted, ...Array.from({ length: 4 }, () => makeReaction(east, 1))])
      const query: FeedQuery = { sort: 'near', limit: 10, now: T0, origin: ORIGIN, geohashPrefixes: AROUND, exclude: p => p.id === muted.id }
      assert.deepEqual(await feedIds(db.store, query), [east.id, here.id])
      assert.deepEqual(await feedIds(db.store, { ...query, limit: 1 }), [east.id])
      assert.deepEqual(await feedIds(db.store, { ...query, geohashPrefixes: undefined }), [east.id, here.id, far.id])
    })

    it('near: bounds a neighbour cell by its nearest point, not less', async () => {
      // with limit 1, Near reads 2 entries first: here and corner (bounds T0 and T0 − 1 min);
      // east's post, 10 min ahead of here once its distance is paid, must still be read next
      const east = AROUND[3] ?? ''
      const paid = distancePenalty(cellDistance(ORIGIN, east), cellSizeMetres(ORIGIN))
      const here = makePost({ geohash: ORIGIN, createdAt: T0 })
      const corner = makePost({ geohash: `${ORIGIN}0`, createdAt: T0 - 60_000 })
      const next = makePost({ geohash: east, createdAt: T0 + Math.ceil(paid) + 10 * 60_000 })
      await db.store.ingest([here, corner, next])
      const query: FeedQuery = { sort: 'near', limit: 1, now: T0, origin: ORIGIN, geohashPrefixes: AROUND }
      assert.deepEqual(await feedIds(db.store, query), [next.id])
      assert.deepEqual(await feedIds(db.store, { ...query, limit: 3 }), [next.id, here.id, corner.id])
    })

    it('near: bounds the hot range of a parent cell by its nearest cell', async () => {
      // the 9 cells share the parent u05k: one hot range, whose bound must be that of the
      // user's own cell (no penalty), not of a farther one
      const liked = makePost({ geohash: ORIGIN, createdAt: T0 - 7 * HOUR }) // 4 likes: T0 + 1 h
      const plain = [0, 1, 2].map(i => makePost({ geohash: ORIGIN, createdAt: T0 - i * 60_000 }))
      await db.store.ingest([liked, ...plain, ...Array.from({ length: 4 }, () => makeReaction(liked, 1))])
      const query: FeedQuery = { sort: 'near', limit: 1, now: T0, origin: ORIGIN, geohashPrefixes: AROUND }
      assert.deepEqual(await feedIds(db.store, query), [liked.id])
    })

    it('stop after `candidates` posts however many are filtered out', async () => {
      await db.store.stop()
      db.store = createStore({ path: db.path, candidates: 10 })
      await db.store.start()
      const posts = Array.from({ length: 30 }, (_, i) => makePost({ createdAt: T0 - i * 1000 }))
      await db.store.ingest(posts)
      const muted = new Set(posts.slice(0, 8).map(p => p.id))
      // the 10 newest are read, 8 of them muted: a short page rather than a scan of everything
      const page = await feedIds(db.store, { sort: 'hot', limit: 5, now: T0, exclude: p => muted.has(p.id) })
      assert.deepEqual(page, posts.slice(8, 10).map(p => p.id))
    })
  })

  describe('reading a page', () => {
    beforeEach(async () => { db = await openDb() })

    const sub = (level: Level<Uint8Array, Uint8Array>, name: string): ReturnType<typeof level.sublevel<Uint8Array, Uint8Array>> =>
      level.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })

    it('skips posts whose record went after the index was read, and still fills the page', async () => {
      const posts = Array.from({ length: 12 }, (_, i) => makePost({ geohash: AROUND[i % AROUND.length] ?? ORIGIN, createdAt: T0 - i * 60_000 }))
      await db.store.ingest([...posts, ...Array.from({ length: 3 }, () => makeReaction(posts[5] as Message, 1))])
      // what a delete landing between a page's index read and its load leaves that load: index entries without records
      const gone = [posts[0], posts[5], posts[6]].map(p => p?.id ?? '')
      await raw(db, async level => { await sub(level, 'e').batch(gone.map(id => ({ type: 'del' as const, key: idBytes(id) }))) })
      const live = posts.map(p => p.id).filter(id => !gone.includes(id))
      for (const sort of ['new', 'hot', 'near', 'top'] as Sort[]) {
        const query: FeedQuery = { sort, limit: 5, now: T0, geohashPrefixes: AROUND, ...(sort === 'near' ? { origin: ORIGIN } : {}) }
        const page = await feedIds(db.store, query)
        assert.equal(page.length, 5, sort)
        assert.deepEqual(page, await expectedFeed(db.store, live, query), sort)
      }
    })

    it('gives each card its own counters and authorship mark, zeros where a post has no counters', async () => {
      const posts = Array.from({ length: 6 }, (_, i) => makePost({ createdAt: T0 - i * 60_000 }))
      const [liked, disliked, answered, mine] = posts as [Message, Message, Message, Message]
      await db.store.ingest([
        ...posts, makeReaction(liked, 1), makeReaction(liked, 1), makeReaction(disliked, -1), makeReply(answered), makeReply(answered)
      ])
      await db.store.markMine(mine.id, '00')
      const expected = (p: StoredPost): string => {
        const counts = p.id === liked.id ? [2, 0, 0] : p.id === disliked.id ? [0, 1, 0] : p.id === answered.id ? [0, 0, 2] : [0, 0, 0]
        return `${p.id} ${counts.join(' ')} ${String(p.id === mine.id)}`
      }
      for (const sort of ['new', 'hot', 'top'] as Sort[]) {
        const page = await db.store.feed({ sort, limit: 10, now: T0 })
        assert.equal(page.length, 6)
        assert.deepEqual(page.map(p => `${p.id} ${p.up} ${p.down} ${p.replies} ${String(p.isMine)}`), page.map(expected), sort)
      }
      // a counters record missing altogether reads as no engagement, not as an error
      await raw(db, async level => { await sub(level, 'c').del(idBytes(liked.id)) })
      const card = (await db.store.feed({ sort: 'new', limit: 10, now: T0 })).find(p => p.id === liked.id)
      assert.deepEqual([card?.up, card?.down, card?.replies], [0, 0, 0])
    })

    it('top: ranks the window from index and counters, then loads past what the filters drop', async () => {
      // scores 20, 19, … 1 from newest to oldest (older posts have fewer votes, so Top and New
      // agree); the 8 best are muted, and at a threshold of 9 the 10 worst are hidden
      const posts = Array.from({ length: 20 }, (_, i) => makePost({ createdAt: T0 - i * 60_000 }))
      await db.store.ingest([...posts, ...posts.flatMap((p, i) => Array.from({ length: 20 - i }, () => makeReaction(p, 1)))])
      const muted = new Set(posts.slice(0, 8).map(p => p.id))
      const query: FeedQuery = { sort: 'top', limit: 5, now: T0, exclude: p => muted.has(p.id) }
      assert.deepEqual(await feedIds(db.store, query), posts.slice(8, 13).map(p => p.id))
      assert.deepEqual(await feedIds(db.store, { ...query, hideAtOrBelow: 9 }), posts.slice(8, 11).map(p => p.id))
      await assertRanked(db.store, posts.map(p => p.id), query)
    })

    it('near: a parent cell with more engaged posts than one read of its span holds is read cell by cell', async function () {
      this.timeout(60_000)
      // more engaged posts than SPAN_ENTRIES under u05k at precision 5, in the query's cells and beside them
      const cells = [...AROUND, 'u05k0', 'u05kz']
      const posts = Array.from({ length: SPAN_ENTRIES + 40 }, (_, i) => makePost({ geohash: `${cells[i % cells.length] ?? ORIGIN}b`, createdAt: T0 - i * 60_000 }))
      const votes = posts.flatMap((p, i) => Array.from({ length: 2 + (i % 5) }, () => makeReaction(p, 1)))
      await db.store.ingest([...posts, ...votes])
      const ids = posts.map(p => p.id)
      for (const query of [
        { sort: 'near', limit: 50, now: T0, origin: ORIGIN, geohashPrefixes: AROUND },
        { sort: 'hot', limit: 50, now: T0, geohashPrefixes: AROUND },
        { sort: 'near', limit: 50, now: T0, origin: `${ORIGIN}b`, geohashPrefixes: neighbourhood(`${ORIGIN}b`) }
      ] satisfies FeedQuery[]) await assertRanked(db.store, ids, query)
    })
  })

  describe('schema', () => {
    it('builds the hot index when a version-1 store opens', async () => {
      db = await openDb()
      const liked = makePost({ createdAt: T0 - 5 * HOUR })
      const plain = makePost({ createdAt: T0 })
      await db.store.ingest([liked, plain, ...Array.from({ length: 8 }, () => makeReaction(liked, 1))])
      const ids = [liked.id, plain.id]
      const entries = await checkHotIndex(db, ids)
      assert.ok(entries > 0)
      // a version-1 store: the same layout without the hot index; raw() starts the store on it
      await raw(db, async level => {
        for (const name of ['h', 'i']) {
          const sub = level.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
          await sub.batch((await sub.keys().all()).map(key => ({ type: 'del' as const, key })))
        }
        await level.sublevel<string, number>('s', { valueEncoding: 'json' }).put('schemaVersion', 1)
      })
      assert.equal(await checkHotIndex(db, ids), entries)
      await raw(db, async level => {
        assert.equal(await level.sublevel<string, number>('s', { valueEncoding: 'json' }).get('schemaVersion'), SCHEMA_VERSION)
      })
      assert.deepEqual(await feedIds(db.store, { sort: 'hot', limit: 5, now: T0 }), [liked.id, plain.id])
    })

    it('opens a version-2 store as version 3, which only adds the id filter a clean stop saves', async () => {
      db = await openDb()
      const post = makePost()
      await db.store.ingest([post])
      await raw(db, async level => {
        await level.sublevel<Uint8Array, Uint8Array>('f', { keyEncoding: 'view', valueEncoding: 'view' }).clear()
        await level.sublevel<string, number>('s', { valueEncoding: 'json' }).put('schemaVersion', 2)
      })
      await raw(db, async level => {
        assert.equal(await level.sublevel<string, number>('s', { valueEncoding: 'json' }).get('schemaVersion'), 3)
      })
      assert.deepEqual(await feedIds(db.store, { sort: 'new', limit: 5, now: T0 }), [post.id])
    })

    it('refuses a store of a newer version', async () => {
      db = await openDb()
      await assert.rejects(raw(db, async level => {
        await level.sublevel<string, number>('s', { valueEncoding: 'json' }).put('schemaVersion', SCHEMA_VERSION + 1)
      }), { code: 'STORE_SCHEMA' })
      assert.equal(db.store.isStarted(), false)
    })
  })
})
