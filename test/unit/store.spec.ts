import assert from 'node:assert/strict'
import { Level } from 'level'
import { useTempStore, collect } from '../helpers/temp-store.js'
import { T0, makeDelete, makePost, makeReaction, makeReply, randomHex } from '../fixtures/messages.js'
import type { IngestResult, PostStore, StoreOptions } from '../../src/store/index.js'

function statuses (results: IngestResult[]): string[] {
  return results.map(r => r.code === undefined ? r.status : `${r.status}:${r.code}`)
}

describe('store: ingest and state', () => {
  const temp = useTempStore()
  let store: PostStore
  beforeEach(() => { store = temp.store })

  async function open (options: Partial<StoreOptions> = {}): Promise<PostStore> {
    store = await temp.open(options)
    return store
  }

  describe('lifecycle', () => {
    it('start on an open store is a no-op, stop twice is harmless', async () => {
      await store.start()
      assert.equal(store.isStarted(), true)
      await store.stop()
      await store.stop()
      assert.equal(store.isStarted(), false)
      await assert.rejects(store.get(randomHex()), { code: 'STORE_CLOSED' })
    })

    it('marks the user\'s own post in the post\'s own write, and only a post it stores', async () => {
      const own = makePost()
      const known = makePost()
      await store.ingest([known])
      const results = await store.ingest([own, known], { sync: true, mine: new Map([[own.id, 'ab02'], [known.id, 'ab03']]) })
      assert.deepEqual(statuses(results), ['stored', 'duplicate:DUPLICATE'])
      assert.equal(await store.mineNonce(own.id), 'ab02')
      assert.equal((await store.get(own.id))?.isMine, true)
      // a message already stored (here, or one a peer relayed first) is not claimed by a mark
      assert.equal(await store.mineNonce(known.id), undefined)
      assert.equal((await store.get(known.id))?.isMine, false)
    })

    it('keeps data across stop and reopen', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const like = makeReaction(post, 1)
      await store.ingest([post, reply, like])
      await store.markMine(post.id, 'ab01')
      await store.joinTopic('tag:lyon')
      await store.setSetting('theme', { dark: true })
      await store.stop()

      await open()
      const got = await store.get(post.id)
      assert.equal(got?.text, post.text)
      assert.equal(got?.up, 1)
      assert.equal(got?.replies, 1)
      assert.equal(got?.isMine, true)
      assert.deepEqual(await store.getEnvelope(post.id), post.envelope)
      assert.equal(await store.mineNonce(post.id), 'ab01')
      assert.deepEqual(await store.topics(), ['tag:lyon'])
      assert.deepEqual(await store.getSetting('theme'), { dark: true })
      assert.deepEqual(await store.stats(), { posts: 1, replies: 1, reactions: 1, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })
  })

  describe('posts', () => {
    it('round-trips a post: fields, exact envelope bytes, has', async () => {
      const post = makePost({ tags: ['lyon', 'café'], text: 'hello #lyon' })
      assert.deepEqual(await store.ingest([post]), [{ id: post.id, status: 'stored' }])
      const { envelope, ...fields } = post
      assert.deepEqual(await store.get(post.id), { ...fields, up: 0, down: 0, replies: 0, isMine: false })
      assert.deepEqual(await store.getEnvelope(post.id), envelope)
      assert.equal(await store.has(post.id), true)
      assert.equal(await store.has(randomHex()), false)
      assert.equal(await store.get(randomHex()), undefined)
      assert.equal(await store.get('not-an-id'), undefined)
      assert.equal(await store.count(), 1)
    })

    it('answers duplicate for an id already stored, and for the same id twice in one call', async () => {
      const a = makePost()
      const b = makePost()
      await store.ingest([a])
      assert.deepEqual(statuses(await store.ingest([a, b, b])), ['duplicate:DUPLICATE', 'stored', 'duplicate:DUPLICATE'])
      assert.equal(await store.count(), 2)
    })

    it('rejects malformed messages without storing anything', async () => {
      const ok = makePost()
      const bad = [
        makePost({ id: 'xyz' }),
        makePost({ parent: randomHex() }),
        makeReaction(ok, 1, { value: 2 as 1 }),
        makeReply(ok, { parent: randomHex() })
      ]
      assert.deepEqual(statuses(await store.ingest(bad)), ['rejected:MALFORMED', 'rejected:MALFORMED', 'rejected:BAD_VALUE', 'rejected:BAD_PARENT'])
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('serialises overlapping ingest calls: one copy stored, the other duplicate', async () => {
      const post = makePost()
      const results = await Promise.all([store.ingest([post]), store.ingest([post]), store.ingest([makeReply(post)])])
      assert.deepEqual(results.map(r => r[0]?.status).sort(), ['duplicate', 'stored', 'stored'])
      assert.equal((await store.get(post.id))?.replies, 1)
    })

    it("writes the user's own messages before background batches queued ahead of them, each kind in its order", async () => {
      const order: string[] = []
      const track = async (name: string, write: Promise<unknown>): Promise<void> => { await write; order.push(name) }
      const batch = (n: number): ReturnType<typeof makePost>[] => Array.from({ length: n }, () => makePost())
      const own = makePost()
      await Promise.all([
        // the first batch is under way when the rest are queued
        track('gossip 1', store.ingest(batch(200))),
        track('gossip 2', store.ingest(batch(200))),
        track('gossip 3', store.ingest(batch(200))),
        track('mark', store.markMine(own.id, '00')),
        track('own post', store.ingest([own], { sync: true })),
        track('topic', store.joinTopic('tag:mine'))
      ])
      assert.deepEqual(order, ['gossip 1', 'mark', 'own post', 'topic', 'gossip 2', 'gossip 3'])
      assert.equal((await store.get(own.id))?.id, own.id)
    })
  })

  describe('replies', () => {
    it('counts replies and lists the thread oldest first', async () => {
      const post = makePost()
      const r2 = makeReply(post, { createdAt: T0 + 2000 })
      const r1 = makeReply(post, { createdAt: T0 + 1000 })
      const r3 = makeReply(post, { createdAt: T0 + 3000 })
      await store.ingest([post, r2, r1])
      await store.ingest([r3])
      const thread = await store.thread(post.id)
      assert.equal(thread.post?.id, post.id)
      assert.equal(thread.post?.replies, 3)
      assert.deepEqual(thread.replies.map(r => r.id), [r1.id, r2.id, r3.id])
      assert.deepEqual((await store.thread(post.id, { limit: 2 })).replies.map(r => r.id), [r1.id, r2.id])
      assert.deepEqual(await store.stats(), { posts: 1, replies: 3, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('reads cards on the event loop, in libuv\'s pool, or part each way, and returns them whole and in order', async () => {
      const post = makePost()
      const replies = Array.from({ length: 150 }, (_, i) => makeReply(post, { createdAt: T0 + 1000 * (i + 1) }))
      await store.ingest([post, ...[...replies].reverse(), makeReaction(replies[7], 1), makeReaction(replies[7], 1), makeReaction(replies[7], -1)])
      // the default (all on the loop here), none on the loop, and a budget that ends after the first read or few
      for (const syncReadMs of [undefined, 0, 0.001]) {
        await open(syncReadMs === undefined ? {} : { syncReadMs })
        const thread = await store.thread(post.id)
        assert.deepEqual(thread.replies.map(r => r.id), replies.map(r => r.id), `syncReadMs ${syncReadMs}`)
        assert.deepEqual([thread.replies[7].up, thread.replies[7].down, thread.replies[8].up], [2, 1, 0], `syncReadMs ${syncReadMs}`)
        assert.equal(thread.post?.replies, 150)
      }
      await assert.rejects(open({ syncReadMs: -1 }), /syncReadMs/)
    })

    it('ingests alike whether its prefetch reads on the event loop, in libuv\'s pool, or part each way', async () => {
      const post = makePost()
      const [r1, r2, r3] = [1, 2, 3].map(i => makeReply(post, { createdAt: T0 + 1000 * i }))
      // r2's delete comes before r2 (pending), then r2 itself (deleted on arrival)
      const batches = [
        [post, r1, r1, makeReaction(post, 1), makeDelete(r2)],
        [post, r2, r3, makeReaction(r1, -1)]
      ]
      const seen: unknown[] = []
      // none on the loop (the pool, as before), the default (all on the loop here), and a budget that ends after the first read or few
      for (const syncReadMs of [0, undefined, 0.001]) {
        const fresh = await temp.openEmpty(syncReadMs === undefined ? {} : { syncReadMs })
        const results = []
        for (const batch of batches) results.push(statuses(await fresh.ingest(batch)))
        const thread = await fresh.thread(post.id)
        seen.push({ results, stats: await fresh.stats(), replies: thread.replies.map(r => [r.id, r.up, r.down]), post: [thread.post?.up, thread.post?.replies] })
      }
      assert.deepEqual((seen[0] as { results: string[][] }).results[1].slice(0, 2), ['duplicate:DUPLICATE', 'deleted:PENDING_DELETE'])
      assert.deepEqual(seen[1], seen[0], 'the default budget')
      assert.deepEqual(seen[2], seen[0], 'a budget that ends after the first read')
    })

    it('rejects a reply whose root is not a post (BAD_PARENT) or whose topics differ (TOPIC_MISMATCH)', async () => {
      const post = makePost()
      const reply = makeReply(post)
      await store.ingest([post, reply])
      const toReply = makeReply(post, { parent: reply.id, root: reply.id })
      const otherTags = makeReply(post, { tags: ['paris'] })
      const otherGeo = makeReply(post, { geohash: 'u05kr' })
      assert.deepEqual(statuses(await store.ingest([toReply, otherTags, otherGeo])),
        ['rejected:BAD_PARENT', 'rejected:TOPIC_MISMATCH', 'rejected:TOPIC_MISMATCH'])
      assert.equal((await store.get(post.id))?.replies, 1)
    })

    it('stores a reply whose root is unknown; it joins the thread when the root arrives', async () => {
      const post = makePost()
      const reply = makeReply(post)
      assert.deepEqual(statuses(await store.ingest([reply])), ['stored'])
      assert.deepEqual((await store.thread(post.id)).replies.map(r => r.id), [reply.id])
      assert.equal((await store.thread(post.id)).post, undefined)
      await store.ingest([post])
      const thread = await store.thread(post.id)
      assert.equal(thread.post?.replies, 1)
      assert.deepEqual(thread.replies.map(r => r.id), [reply.id])
    })

    it('drops early replies that turn out not to fit when the root arrives', async () => {
      const post = makePost()
      const good = makeReply(post)
      const wrongTopics = makeReply(post, { tags: ['paris'] })
      const like = makeReaction(wrongTopics, 1)
      await store.ingest([good, wrongTopics, like])
      assert.equal((await store.get(post.id))?.replies, undefined)
      await store.ingest([post])
      assert.equal(await store.has(wrongTopics.id), false)
      assert.equal(await store.has(like.id), false)
      assert.equal(await store.isTombstoned(wrongTopics.id), false)
      const thread = await store.thread(post.id)
      assert.equal(thread.post?.replies, 1)
      assert.deepEqual(thread.replies.map(r => r.id), [good.id])
      assert.deepEqual(await store.stats(), { posts: 1, replies: 1, reactions: 0, deletes: 0, tombstones: 0, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('drops replies that named a reply as their root once that reply arrives', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const bogus = makeReply(post, { parent: reply.id, root: reply.id })
      await store.ingest([post, bogus])
      assert.equal(await store.has(bogus.id), true)
      await store.ingest([reply])
      assert.equal(await store.has(bogus.id), false)
      assert.equal((await store.get(post.id))?.replies, 1)
    })
  })

  describe('reactions', () => {
    it('counts likes and dislikes on posts and replies; myReaction tells what an author did', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const me = randomHex()
      await store.ingest([post, reply,
        makeReaction(post, 1, { author: me }), makeReaction(post, 1), makeReaction(post, -1),
        makeReaction(reply, -1, { author: me })])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down, p?.replies]), [2, 1, 1])
      assert.deepEqual(await store.get(reply.id).then(p => [p?.up, p?.down]), [0, 1])
      assert.equal(await store.myReaction(post.id, me), 1)
      assert.equal(await store.myReaction(reply.id, me), -1)
      assert.equal(await store.myReaction(post.id, randomHex()), undefined)
    })

    it('a newer reaction of the same author replaces the older one; an older one arriving late is ignored', async () => {
      const post = makePost()
      const me = randomHex()
      const like = makeReaction(post, 1, { author: me, createdAt: T0 + 1000 })
      const dislike = makeReaction(post, -1, { author: me, createdAt: T0 + 2000 })
      const stale = makeReaction(post, 1, { author: me, createdAt: T0 + 500 })
      await store.ingest([post, like])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down]), [1, 0])
      assert.deepEqual(statuses(await store.ingest([dislike])), ['stored'])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down]), [0, 1])
      assert.equal(await store.has(like.id), false)
      assert.equal(await store.myReaction(post.id, me), -1)
      assert.deepEqual(statuses(await store.ingest([stale, like])), ['duplicate:SUPERSEDED', 'duplicate:SUPERSEDED'])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down]), [0, 1])
      assert.deepEqual(await store.stats().then(s => s.reactions), 1)
      const entries = await collect(store.topicEntries('tag:lyon', 0, Number.MAX_SAFE_INTEGER))
      assert.deepEqual(entries.map(e => e.id).sort(), [post.id, dislike.id].sort())
    })

    it('counts a reaction whose target is unknown, and keeps the count when the target arrives', async () => {
      const post = makePost()
      const likes = [makeReaction(post, 1), makeReaction(post, 1), makeReaction(post, -1)]
      assert.deepEqual(statuses(await store.ingest(likes)), ['stored', 'stored', 'stored'])
      assert.equal(await store.get(post.id), undefined)
      await store.ingest([post])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down]), [2, 1])
    })

    it('rejects a reaction naming another thread (BAD_PARENT) or another topic (TOPIC_MISMATCH)', async () => {
      const post = makePost()
      const other = makePost()
      const reply = makeReply(post)
      const like = makeReaction(post, 1)
      await store.ingest([post, other, reply, like])
      assert.deepEqual(statuses(await store.ingest([
        makeReaction(reply, 1, { root: other.id }),
        makeReaction(post, 1, { root: other.id }),
        makeReaction(post, 1, { tags: ['paris'] }),
        makeReaction(reply, 1, { geohash: '' }),
        makeReaction(like, 1)
      ])), ['rejected:BAD_PARENT', 'rejected:BAD_PARENT', 'rejected:TOPIC_MISMATCH', 'rejected:TOPIC_MISMATCH', 'rejected:BAD_PARENT'])
      assert.deepEqual(await store.get(post.id).then(p => [p?.up, p?.down]), [1, 0])
      assert.deepEqual(await store.get(reply.id).then(p => [p?.up, p?.down]), [0, 0])
    })
  })

  describe('deletes', () => {
    it('deleting a root removes its replies, reactions and index entries and tombstones them', async () => {
      const post = makePost()
      const keep = makePost()
      const reply = makeReply(post)
      const onPost = makeReaction(post, 1)
      const onReply = makeReaction(reply, -1)
      await store.ingest([post, keep, reply, onPost, onReply])
      await store.markMine(post.id, '00')
      const del = makeDelete(post)
      assert.deepEqual(statuses(await store.ingest([del])), ['stored'])

      for (const m of [post, reply, onPost, onReply]) {
        assert.equal(await store.has(m.id), false, m.kind)
        assert.equal(await store.getEnvelope(m.id), undefined)
        assert.equal(await store.isTombstoned(m.id), true, m.kind)
      }
      assert.deepEqual(await store.getEnvelope(del.id), del.envelope, 'the delete is kept to spread it')
      assert.equal(await store.mineNonce(post.id), undefined)
      assert.deepEqual(await store.thread(post.id), { replies: [] })
      assert.equal(await store.myReaction(post.id, onPost.author), undefined)
      for (const sort of ['new', 'hot', 'top'] as const) {
        assert.deepEqual((await store.feed({ sort, limit: 10, now: T0 })).map(p => p.id), [keep.id])
        assert.deepEqual((await store.feed({ topic: 'tag:lyon', sort, limit: 10, now: T0 })).map(p => p.id), [keep.id])
        assert.deepEqual((await store.feed({ geohashPrefixes: ['u05k', 'u05kq'], sort, limit: 10, now: T0 })).map(p => p.id), [keep.id])
      }
      const entries = await collect(store.topicEntries('geo:u05k', 0, Number.MAX_SAFE_INTEGER))
      assert.deepEqual(entries.map(e => e.id).sort(), [keep.id, del.id].sort())
      assert.deepEqual(await store.stats(), { posts: 1, replies: 0, reactions: 0, deletes: 1, tombstones: 4, pendingTombstones: 0, labels: 0, reports: 0 })
      assert.equal(await store.count(), 1)

      // deleted things never come back, nor does anything new join the deleted thread
      assert.deepEqual(statuses(await store.ingest([post, reply, onPost, onReply, makeReply(post), makeReaction(post, 1), del, makeDelete(post)])), [
        'deleted:TOMBSTONED', 'deleted:TOMBSTONED', 'deleted:TOMBSTONED', 'deleted:TOMBSTONED',
        'deleted:ROOT_DELETED', 'deleted:PARENT_DELETED', 'duplicate:DUPLICATE', 'duplicate:ALREADY_DELETED'
      ])
      assert.equal(await store.count(), 1)
    })

    it('deleting a reply fixes the root counters and removes the reply reactions', async () => {
      const post = makePost()
      const r1 = makeReply(post)
      const r2 = makeReply(post)
      const onR1 = makeReaction(r1, 1)
      const onPost = makeReaction(post, -1)
      await store.ingest([post, r1, r2, onR1, onPost])
      assert.equal((await store.get(post.id))?.replies, 2)
      assert.deepEqual(statuses(await store.ingest([makeDelete(r1)])), ['stored'])
      const got = await store.get(post.id)
      assert.deepEqual([got?.up, got?.down, got?.replies], [0, 1, 1])
      assert.equal(await store.has(onR1.id), false)
      assert.equal(await store.isTombstoned(onR1.id), true)
      assert.deepEqual((await store.thread(post.id)).replies.map(r => r.id), [r2.id])
      assert.deepEqual(await store.stats(), { posts: 1, replies: 1, reactions: 1, deletes: 1, tombstones: 2, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('a delete can take back a reaction: counters follow', async () => {
      const post = makePost()
      const like = makeReaction(post, 1)
      await store.ingest([post, like, makeReaction(post, 1)])
      await store.ingest([makeDelete(like)])
      assert.equal((await store.get(post.id))?.up, 1)
      assert.equal(await store.myReaction(post.id, like.author), undefined)
    })

    it('deleting a root also removes reactions on replies that never arrived', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const onUnknownReply = makeReaction(reply, 1)
      await store.ingest([post, onUnknownReply])
      assert.equal((await store.get(reply.id)), undefined)
      await store.ingest([makeDelete(post)])
      assert.equal(await store.has(onUnknownReply.id), false)
      assert.equal(await store.isTombstoned(onUnknownReply.id), true)
      assert.deepEqual(statuses(await store.ingest([reply])), ['deleted:ROOT_DELETED'])
      assert.equal(await store.isTombstoned(reply.id), true, 'as if it had been there when the root was deleted')
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 1, tombstones: 3, pendingTombstones: 0, labels: 0, reports: 0 })
    })

    it('rejects a delete by another author (NOT_AUTHOR) and keeps the target', async () => {
      const post = makePost()
      const reply = makeReply(post)
      await store.ingest([post, reply])
      assert.deepEqual(statuses(await store.ingest([makeDelete(post, { author: randomHex() }), makeDelete(reply, { author: post.author })])),
        ['rejected:NOT_AUTHOR', 'rejected:NOT_AUTHOR'])
      assert.equal(await store.has(post.id), true)
      assert.equal(await store.has(reply.id), true)
      assert.equal((await store.get(post.id))?.replies, 1)
    })

    it('a delete arriving before its target: the target is dropped if its author matches', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const like = makeReaction(post, 1)
      const del = makeDelete(post)
      // the reply and a like arrive first, then the delete, then the post
      await store.ingest([reply, like])
      assert.deepEqual(statuses(await store.ingest([del])), ['stored'])
      assert.equal(await store.isTombstoned(post.id), false)
      assert.equal((await store.stats()).pendingTombstones, 1)
      assert.deepEqual(statuses(await store.ingest([del, makeDelete(post)])), ['duplicate:DUPLICATE', 'duplicate:ALREADY_PENDING'])

      assert.deepEqual(statuses(await store.ingest([post])), ['deleted:PENDING_DELETE'])
      assert.equal(await store.has(post.id), false)
      assert.equal(await store.isTombstoned(post.id), true)
      assert.equal(await store.has(reply.id), false)
      assert.equal(await store.has(like.id), false)
      assert.equal(await store.isTombstoned(reply.id), true)
      assert.equal(await store.get(post.id), undefined)
      assert.deepEqual(statuses(await store.ingest([post, reply])), ['deleted:TOMBSTONED', 'deleted:TOMBSTONED'])
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 1, tombstones: 3, pendingTombstones: 0, labels: 0, reports: 0 })
      // what sync may fetch: neither held (the delete) nor tombstoned (the post, the reply)
      const unknown = randomHex(32)
      assert.deepEqual(await store.lacking([post.id, del.id, unknown, reply.id, 'not an id', unknown]), [unknown, unknown])
    })

    it("a pending delete by someone else's key is ignored when the target arrives", async () => {
      const post = makePost()
      const forged = makeDelete(post, { author: randomHex() })
      await store.ingest([forged])
      assert.deepEqual(statuses(await store.ingest([post])), ['stored'])
      assert.equal(await store.has(post.id), true)
      assert.equal((await store.stats()).pendingTombstones, 0, 'the forged claim is dropped')
      // the real author can still delete it
      assert.deepEqual(statuses(await store.ingest([makeDelete(post)])), ['stored'])
      assert.equal(await store.isTombstoned(post.id), true)
    })

    it('a forged pending delete does not block the real one', async () => {
      const post = makePost()
      await store.ingest([makeDelete(post, { author: randomHex() })])
      await store.ingest([makeDelete(post)])
      assert.equal((await store.stats()).pendingTombstones, 2)
      assert.deepEqual(statuses(await store.ingest([post])), ['deleted:PENDING_DELETE'])
      assert.equal((await store.stats()).pendingTombstones, 0)
    })

    it('post, replies, reactions and the delete in one call end in the same state as one by one', async () => {
      const post = makePost()
      const reply = makeReply(post)
      const like = makeReaction(reply, 1)
      const del = makeDelete(post)
      assert.deepEqual(statuses(await store.ingest([post, reply, like, del, makeReply(post)])),
        ['stored', 'stored', 'stored', 'stored', 'deleted:ROOT_DELETED'])
      assert.deepEqual(await store.stats(), { posts: 0, replies: 0, reactions: 0, deletes: 1, tombstones: 4, pendingTombstones: 0, labels: 0, reports: 0 })
      assert.deepEqual(await collect(store.topicEntries('tag:lyon', 0, Number.MAX_SAFE_INTEGER)), [{ createdAt: del.createdAt, id: del.id }])
    })
  })

  describe('topicEntries', () => {
    it('lists every stored message of a topic in time order, within [from, to)', async () => {
      const post = makePost({ createdAt: T0, tags: ['lyon', 'food'], geohash: 'u05kqz' })
      const reply = makeReply(post, { createdAt: T0 + 10 })
      const like = makeReaction(post, 1, { createdAt: T0 + 20 })
      const other = makePost({ createdAt: T0 + 5, tags: ['paris'], geohash: '' })
      await store.ingest([like, reply, post, other])
      const all = await collect(store.topicEntries('tag:food', 0, T0 + 100))
      assert.deepEqual(all, [
        { createdAt: T0, id: post.id }, { createdAt: T0 + 10, id: reply.id }, { createdAt: T0 + 20, id: like.id }
      ])
      assert.deepEqual(await collect(store.topicEntries('geo:u05k', T0 + 10, T0 + 20)), [{ createdAt: T0 + 10, id: reply.id }])
      assert.deepEqual(await collect(store.topicEntries('tag:paris', 0, T0 + 100)), [{ createdAt: T0 + 5, id: other.id }])
      assert.deepEqual(await collect(store.topicEntries('tag:lyon', 0, T0 + 100, { now: post.expiresAt })), [])
      assert.deepEqual(await collect(store.topicEntries('#Lyon', 0, T0 + 100)).then(e => e.length), 3)
      await assert.rejects(collect(store.topicEntries('lyon', 0, 1)), { code: 'BAD_TOPIC' })
    })
  })

  describe('trim (a retention shorter than posts live)', () => {
    it('evicts a topic\'s root posts created before the cut, with their threads, and nothing else', async () => {
      const old = makePost({ createdAt: T0, tags: ['lyon'], geohash: '' })
      const oldReply = makeReply(old, { createdAt: T0 + 5_000 })
      const recent = makePost({ createdAt: T0 + 10_000, tags: ['lyon'], geohash: '' })
      const elsewhere = makePost({ createdAt: T0, tags: ['paris'], geohash: '' })
      await store.ingest([old, oldReply, recent, elsewhere])
      await store.markMine(old.id, 'ab01')
      assert.equal(await store.trim('tag:lyon', T0 + 10_000), 1)
      assert.equal(await store.get(old.id), undefined)
      assert.equal(await store.get(oldReply.id), undefined)
      assert.ok(await store.get(recent.id) !== undefined)
      assert.ok(await store.get(elsewhere.id) !== undefined)
      assert.deepEqual(await collect(store.topicEntries('tag:lyon', 0, T0 + 100_000)), [{ createdAt: recent.createdAt, id: recent.id }])
      assert.equal(await store.count(), 2)
      // an eviction, not a delete: the author can still delete their post elsewhere
      assert.equal(await store.mineNonce(old.id), 'ab01')
      assert.equal(await store.trim('tag:lyon', T0 + 10_000), 0)
    })
  })

  describe('mine, topics, settings', () => {
    it('remembers the nonce of my posts', async () => {
      const post = makePost()
      await store.ingest([post])
      assert.equal(await store.isMine(post.id), false)
      await store.markMine(post.id, 'deadbeef')
      assert.equal(await store.isMine(post.id), true)
      assert.equal(await store.mineNonce(post.id), 'deadbeef')
      assert.equal((await store.get(post.id))?.isMine, true)
      await assert.rejects(store.markMine(post.id, 'xyz'), { code: 'BAD_NONCE' })
    })

    it('writes no entry with an empty value, which classic-level would leak', async () => {
      const placed = makePost()
      const placeless = makePost({ geohash: '', tags: ['lyon', 'jazz'] })
      const unseen = makePost()
      await store.ingest([placed, placeless])
      await store.ingest([makeReply(placed), makeReply(unseen)])
      await store.ingest([makeReaction(placeless, 1), makeReaction(placeless, 1), makeReaction(placed, 1), makeReaction(placed, 1)])
      await store.ingest([makeDelete(unseen), makeDelete(placed)])
      await store.joinTopic('tag:lyon')
      assert.equal((await store.feed({ topic: 'tag:jazz', sort: 'hot', limit: 10, now: T0 }))[0]?.id, placeless.id)
      await store.stop()
      const raw = new Level<Uint8Array, Uint8Array>(temp.path, { keyEncoding: 'view', valueEncoding: 'view' })
      const empty: string[] = []
      let entries = 0
      for await (const [key, value] of raw.iterator()) {
        entries++
        if (value.byteLength === 0) empty.push(Buffer.from(key).toString('latin1'))
      }
      await raw.close()
      assert.ok(entries > 30, `${entries} entries`)
      assert.deepEqual(empty, [])
      await open()
    })

    it('joins and leaves topics in canonical form', async () => {
      await store.joinTopic('tag:Lyon')
      await store.joinTopic('geo:u05k')
      await store.joinTopic('#lyon')
      assert.deepEqual(await store.topics(), ['geo:u05k', 'tag:lyon'])
      await store.leaveTopic('tag:lyon')
      assert.deepEqual(await store.topics(), ['geo:u05k'])
      await assert.rejects(store.joinTopic('geo:u05kq'), { code: 'BAD_TOPIC' })
    })
  })
})
