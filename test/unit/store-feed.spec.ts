import assert from 'node:assert/strict'
import { useTempStore, collect } from '../helpers/temp-store.js'
import { DAY, HOUR, T0, makeDelete, makePost, makeReaction, makeReply, randomHex } from '../fixtures/messages.js'
import type { Message } from '../../src/post/model.js'
import type { FeedQuery, PostStore, StoreOptions } from '../../src/store/index.js'

function reactions (target: Message, up: number, down: number): Message[] {
  return [
    ...Array.from({ length: up }, () => makeReaction(target, 1)),
    ...Array.from({ length: down }, () => makeReaction(target, -1))
  ]
}

const ALL = Number.MAX_SAFE_INTEGER

describe('store: feeds, purge, quotas', () => {
  const temp = useTempStore()
  let store: PostStore
  beforeEach(() => { store = temp.store })

  async function open (options: Partial<StoreOptions> = {}): Promise<PostStore> {
    store = await temp.open(options)
    return store
  }

  async function ids (query: Partial<FeedQuery>): Promise<string[]> {
    return (await store.feed({ sort: 'new', limit: 50, now: T0, ...query })).map(p => p.id)
  }

  describe('feed', () => {
    it('orders new, hot and top', async () => {
      const a = makePost({ createdAt: T0 - 2 * HOUR }) // hot T0 − 2 h + 4 h · log2 5 = T0 + 7.3 h, top 5
      const b = makePost({ createdAt: T0 - 1 * HOUR }) // hot T0 − 1 h, top 0
      const c = makePost({ createdAt: T0 }) // hot T0 (one vote: as in New), top 1
      const d = makePost({ createdAt: T0 - 10 * HOUR }) // hot T0 − 10 h + 4 h · log2 10 = T0 + 3.3 h, top 10
      await store.ingest([a, b, c, d, ...reactions(a, 5, 0), ...reactions(c, 1, 0), ...reactions(d, 10, 0)])
      assert.deepEqual(await ids({ sort: 'new' }), [c.id, b.id, a.id, d.id])
      assert.deepEqual(await ids({ sort: 'hot' }), [a.id, d.id, c.id, b.id])
      assert.deepEqual(await ids({ sort: 'top' }), [d.id, a.id, c.id, b.id])
      assert.deepEqual(await ids({ sort: 'new', limit: 2 }), [c.id, b.id])
      assert.deepEqual(await ids({ sort: 'hot', limit: 1 }), [a.id])
      const [first] = await store.feed({ sort: 'top', limit: 1, now: T0 })
      assert.deepEqual([first?.up, first?.down, first?.replies, first?.kind], [10, 0, 0, 'post'])
    })

    it('returns root posts only', async () => {
      const post = makePost()
      await store.ingest([post, makeReply(post), makeReaction(post, 1), makeDelete(makePost())])
      for (const sort of ['new', 'hot', 'top'] as const) assert.deepEqual(await ids({ sort }), [post.id])
    })

    it('filters by topic: tag or geo cell', async () => {
      const lyon = makePost({ tags: ['lyon'], geohash: 'u05kq', createdAt: T0 - 3 })
      const paris = makePost({ tags: ['paris', 'food'], geohash: 'u09tv', createdAt: T0 - 2 })
      const both = makePost({ tags: ['lyon', 'food'], geohash: '', createdAt: T0 - 1 })
      await store.ingest([lyon, paris, both])
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [both.id, lyon.id])
      assert.deepEqual(await ids({ topic: 'tag:food' }), [both.id, paris.id])
      assert.deepEqual(await ids({ topic: 'geo:u09t' }), [paris.id])
      assert.deepEqual(await ids({ topic: 'tag:Lyon', sort: 'hot' }), [both.id, lyon.id])
      assert.deepEqual(await ids({ topic: 'tag:nothing' }), [])
    })

    it('filters by any union of geohash prefixes, without duplicates', async () => {
      const p1 = makePost({ geohash: 'u05kq', createdAt: T0 - 4 })
      const p2 = makePost({ geohash: 'u05kr', createdAt: T0 - 3 })
      const p3 = makePost({ geohash: 'u09tb', createdAt: T0 - 2 })
      const p4 = makePost({ geohash: 'gcpvj', createdAt: T0 - 1, tags: ['london'] })
      const p5 = makePost({ geohash: 'u05kqz', createdAt: T0 - 5 })
      const none = makePost({ geohash: '', createdAt: T0 })
      await store.ingest([p1, p2, p3, p4, p5, none])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05kq', 'u05kr'] }), [p2.id, p1.id, p5.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['u09tb', 'u05k', 'u05kq'] }), [p3.id, p2.id, p1.id, p5.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05kqz', 'u05kqy'] }), [p5.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['gcpv'], sort: 'top' }), [p4.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05kq'] }), [p1.id, p5.id])
      assert.deepEqual(await ids({ geohashPrefixes: [] }), [])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05k', 'gcpv'], topic: 'tag:lyon' }), [p2.id, p1.id, p5.id])
    })

    it("ranks 'near' by distance from the origin cell", async () => {
      const here = makePost({ geohash: 'u05kq', createdAt: T0 - 3 })
      const next = makePost({ geohash: 'u05kr', createdAt: T0 - 2 })
      const far = makePost({ geohash: 'gcpvj', createdAt: T0 - 1 })
      const nowhere = makePost({ geohash: '', createdAt: T0 })
      await store.ingest([here, next, far, nowhere])
      assert.deepEqual(await ids({ sort: 'near', origin: 'u05kq' }), [here.id, next.id, far.id, nowhere.id])
      assert.deepEqual(await ids({ sort: 'near', origin: 'u05kq', geohashPrefixes: ['u05k'] }), [here.id, next.id])
    })

    it('hides posts at score −5 or lower from feeds, but get and thread still return them', async () => {
      const hidden = makePost({ createdAt: T0 - 2 })
      const shown = makePost({ createdAt: T0 - 1 })
      await store.ingest([hidden, shown, ...reactions(hidden, 1, 6), ...reactions(shown, 0, 4)])
      for (const sort of ['new', 'hot', 'top'] as const) assert.deepEqual(await ids({ sort }), [shown.id], sort)
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [shown.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05k'] }), [shown.id])
      assert.equal((await store.get(hidden.id))?.down, 6)
      assert.equal((await store.thread(hidden.id)).post?.id, hidden.id)
      // one more like brings it back above the threshold
      await store.ingest(reactions(hidden, 1, 0))
      assert.deepEqual(await ids({ sort: 'new' }), [shown.id, hidden.id])
    })

    it('never shows expired posts, even before the purge', async () => {
      const expired = makePost({ createdAt: T0 - 8 * DAY, expiresAt: T0 - DAY })
      const endsNow = makePost({ createdAt: T0 - 2 * DAY, expiresAt: T0 })
      const live = makePost({ createdAt: T0 - 3 * DAY, expiresAt: T0 + DAY })
      await store.ingest([expired, endsNow, live, ...reactions(expired, 9, 0)])
      for (const sort of ['new', 'hot', 'top'] as const) {
        assert.deepEqual(await ids({ sort }), [live.id], sort)
        assert.deepEqual(await ids({ sort, topic: 'geo:u05k' }), [live.id], sort)
        assert.deepEqual(await ids({ sort, geohashPrefixes: ['u05k', 'u05kq'] }), [live.id], sort)
      }
      assert.deepEqual(await ids({ now: T0 - 2 * DAY }), [endsNow.id, live.id, expired.id])
      assert.equal((await store.thread(expired.id, { now: T0 })).post, undefined)
      assert.equal((await store.thread(expired.id)).post?.id, expired.id)
    })

    it("'new' skips hidden and expired entries and still fills the page", async () => {
      const posts = Array.from({ length: 10 }, (_, i) => makePost({
        createdAt: T0 - (10 - i) * 1000,
        expiresAt: i >= 7 ? T0 - 1 : T0 + DAY // the 3 newest are expired
      }))
      await store.ingest([...posts, ...reactions(posts[6] as Message, 0, 5)])
      assert.deepEqual(await ids({ limit: 3 }), [posts[5], posts[4], posts[3]].map(p => p?.id))
    })

    it('ranks top over a bounded window of the newest candidates, and reads hot from its index', async () => {
      await open({ candidates: 3 })
      const old = makePost({ createdAt: T0 - 5 * HOUR })
      const recent = [1, 2, 3].map(h => makePost({ createdAt: T0 - h * HOUR }))
      await store.ingest([old, ...recent, ...reactions(old, 50, 0)])
      // the old post would rank first, but it is not among the 3 newest entries read
      assert.deepEqual(await ids({ sort: 'top', limit: 2 }), [recent[0]?.id, recent[1]?.id])
      // hot finds it through the hot index, and reads no more than 3 candidates
      assert.deepEqual(await ids({ sort: 'hot', limit: 3 }), [old.id, recent[0]?.id, recent[1]?.id])
      assert.deepEqual(await ids({ sort: 'hot', limit: 3, exclude: p => p.id === recent[0]?.id }), [old.id, recent[1]?.id])
      assert.equal((await ids({ sort: 'new', limit: 10 })).length, 4, "'new' reads at least limit entries")
    })

    it('validates queries', async () => {
      await assert.rejects(store.feed({ sort: 'new', limit: 0, now: T0 }), { code: 'BAD_LIMIT' })
      await assert.rejects(store.feed({ sort: 'new', limit: 201, now: T0 }), { code: 'BAD_LIMIT' })
      await assert.rejects(store.feed({ sort: 'new', limit: 1.5, now: T0 }), { code: 'BAD_LIMIT' })
      await assert.rejects(store.feed({ sort: 'best' as 'new', limit: 5, now: T0 }), { code: 'BAD_SORT' })
      await assert.rejects(store.feed({ sort: 'near', limit: 5, now: T0 }), { code: 'BAD_GEOHASH' })
      await assert.rejects(store.feed({ sort: 'new', limit: 5, now: T0, topic: 'lyon' }), { code: 'BAD_TOPIC' })
      await assert.rejects(store.feed({ sort: 'new', limit: 5, now: T0, geohashPrefixes: ['a!'] }), { code: 'BAD_GEOHASH' })
      // only the precisions a Near-me query uses are indexed
      for (const prefix of ['u', 'u05', 'u05kqzz']) {
        await assert.rejects(store.feed({ sort: 'new', limit: 5, now: T0, geohashPrefixes: ['u05k', prefix] }), { code: 'BAD_GEOHASH' }, prefix)
      }
    })
  })

  describe('purge', () => {
    it('removes what expired with every index entry, and keeps what lives', async () => {
      const short = makePost({ createdAt: T0, expiresAt: T0 + DAY, tags: ['lyon', 'food'] })
      const shortReply = makeReply(short, { expiresAt: T0 + DAY })
      const shortLike = makeReaction(short, 1, { expiresAt: T0 + DAY })
      const long = makePost({ createdAt: T0 + 1, expiresAt: T0 + 7 * DAY })
      const longReply = makeReply(long)
      const earlyLike = makeReaction(long, 1, { expiresAt: T0 + DAY }) // expires before its post
      const lateLike = makeReaction(long, -1)
      await store.ingest([short, shortReply, shortLike, long, longReply, earlyLike, lateLike])
      await store.markMine(short.id, '01')

      assert.equal(await store.purge(T0 + DAY - 1), 0)
      assert.equal(await store.purge(T0 + DAY), 4)

      for (const m of [short, shortReply, shortLike, earlyLike]) {
        assert.equal(await store.has(m.id), false)
        assert.equal(await store.getEnvelope(m.id), undefined)
        assert.equal(await store.isTombstoned(m.id), false, 'expiry is not deletion')
      }
      assert.equal(await store.mineNonce(short.id), undefined)
      assert.deepEqual(await store.thread(short.id), { replies: [] })
      assert.deepEqual(await collect(store.topicEntries('tag:food', 0, ALL)), [])
      const now = T0 + 2 * DAY
      for (const sort of ['new', 'hot', 'top'] as const) {
        assert.deepEqual(await ids({ sort, now }), [long.id])
        assert.deepEqual(await ids({ sort, now, topic: 'tag:food' }), [])
        assert.deepEqual(await ids({ sort, now: T0, topic: 'tag:lyon' }), [long.id])
        assert.deepEqual(await ids({ sort, now: T0, geohashPrefixes: ['u05kq'] }), [long.id])
      }
      const kept = await store.get(long.id)
      assert.deepEqual([kept?.up, kept?.down, kept?.replies], [0, 1, 1])
      assert.deepEqual((await store.thread(long.id)).replies.map(r => r.id), [longReply.id])
      assert.deepEqual((await collect(store.topicEntries('tag:lyon', 0, ALL))).map(e => e.id),
        [long.id, longReply.id, lateLike.id])
      assert.deepEqual(await store.stats(), { posts: 1, replies: 1, reactions: 1, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })

      assert.equal(await store.purge(T0 + 7 * DAY), 3)
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
      assert.deepEqual(await collect(store.topicEntries('tag:lyon', 0, ALL)), [])
      assert.deepEqual(await ids({ sort: 'new', now: 0 }), [])
    })

    it('removes tombstones and pending tombstones at their expiry', async () => {
      const post = makePost({ expiresAt: T0 + DAY })
      const reply = makeReply(post, { expiresAt: T0 + 2 * DAY })
      const del = makeDelete(post, { expiresAt: T0 + 3 * DAY })
      const unknown = makePost({ expiresAt: T0 + 4 * DAY })
      const early = makeDelete(unknown, { expiresAt: T0 + 4 * DAY })
      await store.ingest([post, reply, del, early])
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 2, tombstones: 2, pendingTombstones: 1, labels: 0, reports: 0 })
      // what sync would fetch: neither the deleted post and reply nor the held delete; the
      // unknown post (its early delete is only pending), in the order asked; no malformed id
      assert.deepEqual(await store.lacking([unknown.id, post.id, 'not an id', del.id, reply.id]), [unknown.id])

      assert.equal(await store.purge(T0 + DAY), 1) // the post's tombstone
      assert.equal(await store.isTombstoned(post.id), false)
      assert.equal(await store.isTombstoned(reply.id), true)
      assert.equal(await store.purge(T0 + 3 * DAY), 2) // the reply's tombstone, the delete
      assert.equal(await store.has(del.id), false)
      assert.equal(await store.purge(T0 + 4 * DAY), 1) // the early delete, and its pending tombstone with it
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('works through more than one batch', async function () {
      this.timeout(60_000)
      const posts = Array.from({ length: 2500 }, (_, i) => makePost({ createdAt: T0 + i, expiresAt: T0 + DAY + i }))
      const live = makePost({ expiresAt: T0 + 30 * DAY })
      await store.ingest([...posts, live])
      assert.equal(await store.count(), 2501)
      assert.equal(await store.purge(T0 + DAY + 2499), 2500)
      assert.equal(await store.count(), 1)
      assert.deepEqual(await ids({ now: T0 + 2 * DAY }), [live.id])
    })
  })

  describe('quota', () => {
    it('evicts the oldest root posts of a topic over quota, with their threads', async () => {
      await open({ topicQuota: 3 })
      const posts = Array.from({ length: 5 }, (_, i) => makePost({ createdAt: T0 + i * 1000, tags: ['lyon'], geohash: '' }))
      const [p0, p1, p2, p3, p4] = posts as [Message, Message, Message, Message, Message]
      const reply = makeReply(p0)
      const like = makeReaction(reply, 1)
      await store.ingest([p0, p1, p2, reply, like])
      await store.markMine(p0.id, 'beef')
      assert.equal(await store.count(), 3)
      await store.ingest([p3])
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [p3.id, p2.id, p1.id])
      assert.equal(await store.has(reply.id), false)
      assert.equal(await store.has(like.id), false)
      assert.equal(await store.isTombstoned(p0.id), false, 'eviction is not deletion')
      assert.equal(await store.mineNonce(p0.id), 'beef', 'the user can still delete a post this node evicted')
      await store.ingest([p4])
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [p4.id, p3.id, p2.id])
      assert.deepEqual(await store.stats(), { posts: 3, replies: 0, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('evicts a post from all its topics, and counts each topic on its own', async () => {
      await open({ topicQuota: 2 })
      const a = makePost({ createdAt: T0, tags: ['lyon', 'food'], geohash: '' })
      const b = makePost({ createdAt: T0 + 1, tags: ['food'], geohash: '' })
      const c = makePost({ createdAt: T0 + 2, tags: ['lyon'], geohash: '' })
      const d = makePost({ createdAt: T0 + 3, tags: ['food'], geohash: '' })
      await store.ingest([a, b, c, d]) // food: a, b, d → a evicted, everywhere
      assert.deepEqual(await ids({ topic: 'tag:food' }), [d.id, b.id])
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [c.id])
      assert.deepEqual(await ids({}), [d.id, c.id, b.id])
      const e = makePost({ createdAt: T0 + 4, tags: ['lyon'], geohash: '' })
      await store.ingest([e]) // lyon: c, e → within quota
      assert.deepEqual(await ids({ topic: 'tag:lyon' }), [e.id, c.id])
      assert.equal(await store.count(), 4)
    })

    it('evicts in the geo cell topic too', async () => {
      await open({ topicQuota: 2 })
      const posts = [0, 1, 2].map(i => makePost({ createdAt: T0 + i, tags: [randomHex(4)], geohash: 'u05kq' }))
      await store.ingest(posts)
      assert.deepEqual(await ids({ topic: 'geo:u05k' }), [posts[2]?.id, posts[1]?.id])
      assert.deepEqual(await ids({ geohashPrefixes: ['u05kq'] }), [posts[2]?.id, posts[1]?.id])
    })
  })
})
