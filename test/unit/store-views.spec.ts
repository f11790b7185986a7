import assert from 'node:assert/strict'
import { Level } from 'level'
import { useTempStore } from '../helpers/temp-store.js'
import { HOUR, T0, makeDelete, makePost, makeReaction } from '../fixtures/messages.js'
import { neighbourhood } from '../../src/geo/index.js'
import { sortKey } from '../../src/ranking/index.js'
import { tailEntry } from '../../src/store/keys.js'
import { createFeedViews, type FeedSpec, type FeedViews, type PageRequest, type RankChange } from '../../src/store/views.js'
import type { Merged } from '../../src/store/merge.js'
import type { FeedQuery, PostStore, StoredPost } from '../../src/store/index.js'
import type { Message } from '../../src/post/model.js'

/**
 * Feed views (src/store/views.ts): pages from memory that must stay what reading
 * the index ranges gives. The hot index's property test (store-hot.spec.ts) checks them against
 * ranking every post through random histories; these are the cases it meets seldom.
 */

const ORIGIN = 'u05kq'
const near = (over: Partial<FeedQuery> = {}): FeedQuery => ({ sort: 'near', limit: 1, now: T0, origin: ORIGIN, geohashPrefixes: neighbourhood(ORIGIN), ...over })
const ids = (posts: Array<{ id: string }>): string[] => posts.map(p => p.id)

/** A page, then the wait for the view it set building (in the background). */
async function nearPage (store: PostStore, query: FeedQuery): Promise<StoredPost[]> {
  const page = await store.feed(query)
  await (store as unknown as { views: FeedViews }).views.idle()
  return page
}

/** Counts the LevelDB iterators opened from now on, by any database of this process. */
function countIterators (): { opened: number, restore: () => void } {
  const proto = Level.prototype as unknown as { _iterator: (...args: unknown[]) => unknown }
  const original = proto._iterator
  const counter = {
    opened: 0,
    restore: () => { proto._iterator = original }
  }
  proto._iterator = function (this: unknown, ...args: unknown[]) {
    counter.opened++
    return original.apply(this, args)
  }
  return counter
}

/** Counts the envelopes (cards) read from now on, by any database of this process. */
function countEnvelopeReads (): { read: number, restore: () => void } {
  const proto = Level.prototype as unknown as Record<'getSync' | 'getMany', (...args: unknown[]) => unknown>
  const original = { getSync: proto.getSync, getMany: proto.getMany }
  const envelope = (key: unknown): boolean => key instanceof Uint8Array && Buffer.from(key.subarray(0, 3)).toString() === '!e!'
  const counter = {
    read: 0,
    restore: () => { Object.assign(proto, original) }
  }
  proto.getSync = function (this: unknown, key: unknown, ...rest: unknown[]) {
    if (envelope(key)) counter.read++
    return original.getSync.call(this, key, ...rest)
  }
  proto.getMany = function (this: unknown, keys: unknown, ...rest: unknown[]) {
    if (Array.isArray(keys)) counter.read += keys.filter(envelope).length
    return original.getMany.call(this, keys, ...rest)
  }
  return counter
}

describe('store: feed views', () => {
  describe('in a store', () => {
    const temp = useTempStore()

    it('serve a neighbourhood\'s later pages from memory, and follow new posts and votes', async () => {
      const posts = Array.from({ length: 6 }, (_, i) => makePost({ geohash: ORIGIN, createdAt: T0 - i * 60_000 }))
      await temp.store.ingest(posts)
      assert.deepEqual(ids(await nearPage(temp.store, near({ limit: 3 }))), ids(posts.slice(0, 3)))
      const iterators = countIterators()
      try {
        const later = makePost({ geohash: ORIGIN, createdAt: T0 + 1 })
        const liked = posts[4] as Message
        await temp.store.ingest([later, ...Array.from({ length: 4 }, () => makeReaction(liked, 1))])
        assert.deepEqual(ids(await temp.store.feed(near({ limit: 3, now: T0 + 2 }))), [liked.id, later.id, posts[0]?.id])
        assert.equal(iterators.opened, 0, 'no index range read')
      } finally {
        iterators.restore()
      }
      // without views: the same page, from the ranges
      await temp.open({ viewPosts: 0 })
      const iterators2 = countIterators()
      try {
        assert.equal((await temp.store.feed(near({ limit: 3, now: T0 + 2 })))[0]?.id, posts[4]?.id)
        assert.ok(iterators2.opened > 0)
      } finally {
        iterators2.restore()
      }
    })

    it('build a Near view from the index entries without reading a post, but a post whose entries predate its geohash in them', async () => {
      // three cells at three distances, a cell and its geo cell (the `t` and `g` ranges); a liked post (the hot ranges)
      const cells = [ORIGIN, ...neighbourhood(ORIGIN).slice(1, 3)]
      const posts = Array.from({ length: 9 }, (_, i) => makePost({ geohash: cells[i % 3], createdAt: T0 - i * 60_000 }))
      const [liked, plain] = [posts[7], posts[5]] as [Message, Message]
      await temp.store.ingest([...posts, ...Array.from({ length: 4 }, () => makeReaction(liked, 1))])
      const feeds = [near({ limit: 4 }), near({ limit: 4, origin: 'u05k', geohashPrefixes: neighbourhood('u05k') })]
      const builds = async (): Promise<Array<{ first: string[], later: string[], read: number }>> => {
        const out = []
        for (const query of feeds) {
          const first = ids(await temp.store.feed(query))
          // the build starts on the next turn: what it reads is counted alone
          const reads = countEnvelopeReads()
          try {
            await (temp.store as unknown as { views: FeedViews }).views.idle()
          } finally {
            reads.restore()
          }
          out.push({ first, later: ids(await temp.store.feed(query)), read: reads.read })
        }
        return out
      }
      const built = await builds()
      for (const { first, later, read } of built) {
        assert.equal(read, 0, 'no card read')
        assert.deepEqual(later, first, 'the view ranks as the ranges do')
        assert.ok(first.includes(liked.id))
      }
      // the entries two posts had before 2026-12-01: by-topic values the expiry alone, by-geo and by-topic hot values empty
      await temp.store.stop()
      const db = new Level<Uint8Array, Uint8Array>(temp.path, { keyEncoding: 'view', valueEncoding: 'view' })
      try {
        const old = [liked.id, plain.id]
        for (const [name, keep] of [['t', 8], ['g', 0], ['h', 0]] as const) {
          const table = db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' })
          for (const [key, value] of await table.iterator().all()) {
            if (old.includes(tailEntry(key).id)) await table.put(key, value.subarray(0, keep))
          }
        }
      } finally {
        await db.close()
      }
      await temp.open()
      const again = await builds()
      assert.deepEqual(again.map(b => b.later), built.map(b => b.later), 'the same views, each of the two posts ranked from its card')
      // around u05kq the liked post is met first in its cell's hot range, whose entries held the geohash already
      assert.deepEqual(again.map(b => b.read), [1, 2])
    })

    it('serve Hot and New of a topic and of everything from memory too, and follow new posts, votes and deletes', async () => {
      const posts = Array.from({ length: 6 }, (_, i) => makePost({ tags: i % 2 === 0 ? ['a'] : ['b'], createdAt: T0 - i * 60_000 }))
      await temp.store.ingest(posts)
      const feeds: FeedQuery[] = [
        { sort: 'hot', limit: 2, now: T0 }, { sort: 'hot', topic: 'tag:a', limit: 2, now: T0 },
        { sort: 'new', limit: 2, now: T0 }, { sort: 'new', topic: 'tag:a', limit: 2, now: T0 }
      ]
      for (const query of feeds) await nearPage(temp.store, query)
      const [a0, , a2, , a4] = posts as [Message, Message, Message, Message, Message]
      const later = makePost({ tags: ['b'], createdAt: T0 + 1 })
      // a4, the oldest of tag:a, four likes ahead (8 h of recency); a0 deleted (which reads its replies' range)
      await temp.store.ingest([later, ...Array.from({ length: 4 }, () => makeReaction(a4, 1)), makeDelete(a0)])
      const iterators = countIterators()
      try {
        const pages = await Promise.all(feeds.map(async query => ids(await temp.store.feed({ ...query, now: T0 + 2 }))))
        assert.deepEqual(pages, [[a4.id, later.id], [a4.id, a2.id], [later.id, posts[1]?.id], [a2.id, a4.id]])
        assert.equal(iterators.opened, 0, 'no index range read')
      } finally {
        iterators.restore()
      }
      // a topic's page filtered by cells is not a view's: read from the ranges
      const filtered = countIterators()
      try {
        await temp.store.feed({ sort: 'hot', topic: 'tag:a', geohashPrefixes: [ORIGIN], limit: 2, now: T0 })
        assert.ok(filtered.opened > 0)
      } finally {
        filtered.restore()
      }
    })

    it('rank an engaged post by its createdAt, which a Hot view\'s build reads from the hot key and the counters', async () => {
      // 4 likes: 8 h of recency, so a post 9 h old ranks an hour below a new one, and one 7 h old an hour above
      const older = makePost({ createdAt: T0 - 9 * HOUR })
      const fresh = makePost({ createdAt: T0 })
      const liked = makePost({ createdAt: T0 - 7 * HOUR })
      await temp.store.ingest([older, fresh, liked, ...[older, liked].flatMap(p => Array.from({ length: 4 }, () => makeReaction(p, 1)))])
      const hot: FeedQuery = { sort: 'hot', limit: 3, now: T0 }
      const expected = [liked.id, fresh.id, older.id]
      assert.deepEqual(ids(await nearPage(temp.store, hot)), expected, 'from the ranges')
      assert.deepEqual(ids(await temp.store.feed({ ...hot, limit: 2 })), expected.slice(0, 2), 'from the view')
      assert.deepEqual(ids(await temp.store.feed({ ...hot, limit: 1 })), expected.slice(0, 1))
    })

    it('know they no longer hold every post once one was pushed out', async () => {
      await temp.open({ viewPosts: 2 })
      const soon = [makePost({ geohash: ORIGIN, createdAt: T0, expiresAt: T0 + HOUR }), makePost({ geohash: ORIGIN, createdAt: T0 - 1, expiresAt: T0 + HOUR })]
      await temp.store.ingest(soon.slice(0, 1))
      // built holding the one post of the cells: every post, until a third comes
      assert.deepEqual(ids(await nearPage(temp.store, near())), [soon[0]?.id])
      const older = makePost({ geohash: ORIGIN, createdAt: T0 - 2 })
      await temp.store.ingest(soon.slice(1))
      await temp.store.ingest([older])
      // the view kept the best two: the older post went, and the two it holds have expired
      assert.deepEqual(ids(await temp.store.feed(near({ now: T0 + 2 * HOUR }))), [older.id])
    })

    it('rank a post by the votes that came before it', async () => {
      await temp.open({ viewPosts: 2 })
      const [a, b] = [makePost({ geohash: ORIGIN, createdAt: T0 }), makePost({ geohash: ORIGIN, createdAt: T0 - 1 })]
      await temp.store.ingest([a, b])
      assert.deepEqual(ids(await nearPage(temp.store, near())), [a.id])
      // an hour older, four likes ahead of it: 8 h of recency
      const liked = makePost({ geohash: ORIGIN, createdAt: T0 - HOUR })
      await temp.store.ingest(Array.from({ length: 4 }, () => makeReaction(liked, 1)))
      await temp.store.ingest([liked])
      assert.deepEqual(ids(await temp.store.feed(near())), [liked.id])
    })

    it('drop a post whose votes rank it below what they hold', async () => {
      await temp.open({ viewPosts: 2 })
      const [a, b, c] = Array.from({ length: 3 }, (_, i) => makePost({ geohash: ORIGIN, createdAt: T0 - i * 60_000 })) as [Message, Message, Message]
      await temp.store.ingest([a, b, c])
      assert.deepEqual(ids(await nearPage(temp.store, near())), [a.id])
      // two dislikes: a ranks 4 h lower, below c, which the view does not hold
      await temp.store.ingest([makeReaction(a, -1), makeReaction(a, -1)])
      assert.deepEqual(ids(await temp.store.feed(near({ limit: 1, exclude: post => post.id === b.id }))), [c.id])
    })
  })

  describe('the module', () => {
    const where: FeedSpec = { name: 'here', sources: [ORIGIN], keyOf: sortKey('near', ORIGIN) }
    const post = (id: string, createdAt: number): StoredPost => ({ ...makePost({ geohash: ORIGIN, createdAt }), id, up: 0, down: 0, replies: 0 }) as unknown as StoredPost
    const change = (p: StoredPost, over: Partial<RankChange> = {}): RankChange =>
      ({ id: p.id, createdAt: p.createdAt, geohash: p.geohash, sources: [ORIGIN], up: 0, down: 0, replies: 0, removed: false, ...over })
    const request = (store: Map<string, StoredPost>, limit = 2): PageRequest => ({
      limit,
      keep: (p): p is StoredPost => p !== undefined,
      load: async wanted => wanted.map(id => store.get(id))
    })
    const merged = (posts: StoredPost[], settled = true) => async (): Promise<Merged<StoredPost>> => ({ posts, settled })

    it('replay what commits changed while a view was built', async () => {
      const views = createFeedViews({ entries: 4, views: 4 })
      const [x, y, z] = [post('x', T0), post('y', T0 - 1), post('z', T0 + 1)]
      const store = new Map([[x.id, x], [y.id, y]])
      assert.equal(await views.page(where, request(store)), undefined, 'no view yet')
      // the merge read x and y; meanwhile y went and z came
      await views.build(where, async (): Promise<Merged<StoredPost>> => {
        store.delete(y.id)
        store.set(z.id, z)
        views.apply([change(y, { removed: true }), change(z)])
        return { posts: [x, y], settled: true }
      })
      assert.deepEqual((await views.page(where, request(store)))?.map(p => p.id), ['z', 'x'])
    })

    it('are not kept when a commit failed during the build, or the merge did not settle; one is built at a time, once', async () => {
      const views = createFeedViews({ entries: 4, views: 4 })
      const x = post('x', T0)
      const store = new Map([[x.id, x]])
      await views.build(where, async () => { views.clear(); return { posts: [x], settled: true } })
      assert.equal(await views.page(where, request(store)), undefined)
      await views.build(where, merged([x], false))
      assert.equal(await views.page(where, request(store)), undefined)
      await views.build(where, async () => { throw new Error('the store stopped') })
      assert.equal(await views.page(where, request(store)), undefined)
      let builds = 0
      const counted = async (): Promise<Merged<StoredPost>> => { builds++; return { posts: [x], settled: true } }
      await Promise.all([views.build(where, counted), views.build({ ...where, name: 'there' }, counted)])
      await views.build(where, counted)
      assert.equal(builds, 1)
      assert.deepEqual((await views.page(where, request(store)))?.map(p => p.id), ['x'])
    })

    it('are built again once removals have left under half of them and a page needs more', async () => {
      const views = createFeedViews({ entries: 4, views: 4 })
      const posts = [post('a', T0), post('b', T0 - 1), post('c', T0 - 2), post('d', T0 - 3)]
      const store = new Map(posts.map(p => [p.id, p]))
      await views.build(where, merged(posts))
      const held = post('e', T0 - 4)
      store.set(held.id, held)
      // full: e ranks after its floor, d
      const only = (wanted: string[]): PageRequest => ({ ...request(store, 2), keep: (p): p is StoredPost => p !== undefined && wanted.includes(p.id) })
      assert.equal(await views.page(where, only(['d', 'e'])), undefined, 'the filters left one: the ranges serve it')
      let builds = 0
      const counted = async (): Promise<Merged<StoredPost>> => { builds++; return { posts: [...store.values()], settled: true } }
      await views.build(where, counted)
      assert.equal(builds, 0, 'a full view is kept')
      for (const id of ['a', 'b', 'c']) store.delete(id)
      views.apply(['a', 'b', 'c'].map(id => change(posts.find(p => p.id === id) as StoredPost, { removed: true })))
      assert.equal(await views.page(where, request(store, 2)), undefined)
      await views.build(where, counted)
      assert.equal(builds, 1, 'one entry of four left: built again')
      assert.deepEqual((await views.page(where, request(store, 2)))?.map(p => p.id), ['d', 'e'])
    })

    it('keep the neighbourhoods read last', async () => {
      const views = createFeedViews({ entries: 4, views: 2 })
      const store = new Map<string, StoredPost>()
      const named = (name: string): FeedSpec => ({ ...where, name })
      await views.build(named('a'), merged([]))
      await views.build(named('b'), merged([]))
      assert.deepEqual(await views.page(named('a'), request(store)), [])
      await views.build(named('c'), merged([]))
      assert.equal(await views.page(named('b'), request(store)), undefined, 'b, read least lately, went')
      assert.deepEqual(await views.page(named('a'), request(store)), [])
    })
  })
})
