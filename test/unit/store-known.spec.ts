import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import pWaitFor from 'p-wait-for'
import { useTempStore, type TempStore } from '../helpers/temp-store.js'
import { T0, DAY, makeDelete, makeLabel, makePost, makeReaction, makeReply, makeReport } from '../fixtures/messages.js'
import { Level } from 'level'
import { IdFilter } from '../../src/store/known.js'
import type { PostStore } from '../../src/store/index.js'
import type { Message } from '../../src/post/model.js'

/**
 * Counts the store's reads of several keys at once on its private root database: `getMany`
 * (a transaction's prefetch) or `hasMany` (sync's lacking).
 */
function countReads (store: PostStore, method: 'getMany' | 'hasMany' = 'getMany'): { reads: number } {
  const counter = { reads: 0 }
  const db = (store as unknown as { db: Record<typeof method, (...args: any[]) => Promise<unknown>> }).db
  const read = db[method].bind(db)
  db[method] = async (...args) => {
    counter.reads++
    return await read(...args)
  }
  return counter
}

interface FilterTable {
  get: (key: Uint8Array) => Promise<Uint8Array | undefined>
  put: (key: Uint8Array, value: Uint8Array) => Promise<void>
  clear: () => Promise<void>
}

/** Stops the store and runs `fn` on the saved id filter's table, with no store holding the database. */
async function savedFilter<T> (temp: TempStore, fn: (table: FilterTable) => Promise<T>): Promise<T> {
  const path = (temp.store as unknown as { path: string }).path
  await temp.store.stop()
  const level = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await level.open()
  const table = level.sublevel<Uint8Array, Uint8Array>('f', { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    return await fn({ get: async key => await table.get(key), put: async (key, value) => { await table.put(key, value) }, clear: async () => { await table.clear() } })
  } finally {
    await level.close()
  }
}

const FILTER_KEY = new TextEncoder().encode('ids')
/** The store's own view of what it knows, and of its saved filter's table. */
const internals = (store: PostStore): { loadingKnown?: Promise<void>, known: { lacks: (id: Uint8Array) => boolean }, t: { idFilter: { sub: { get: (key: Uint8Array) => Promise<Uint8Array | undefined> } } } } => store as any

/** Starts the store again as after a crash: without the filter its last stop saved, so it lists its ids. */
async function afterCrash (temp: TempStore): Promise<PostStore> {
  await savedFilter(temp, async table => { await table.clear() })
  return await temp.open()
}

/**
 * A store that holds a post, deleted another and awaits a third (its delete came first), then
 * started again: it lists their ids from LevelDB in the background after a crash, and restores
 * the filter its stop saved after a clean stop.
 */
async function restarted (temp: TempStore, how: 'crash' | 'clean'): Promise<{ store: PostStore, held: Message, doomed: Message, awaited: Message }> {
  const held = makePost()
  const doomed = makePost()
  const awaited = makePost()
  await temp.store.ingest([held, doomed])
  await temp.store.ingest([makeDelete(doomed), makeDelete(awaited)])
  return { store: how === 'crash' ? await afterCrash(temp) : await temp.open(), held, doomed, awaited }
}

/** Runs `step` until a run of it reads nothing: the store has listed its ids. */
async function untilListed (counter: { reads: number }, step: () => Promise<void>): Promise<void> {
  await pWaitFor(async () => {
    const before = counter.reads
    await step()
    return counter.reads === before
  }, { interval: 10, timeout: 10_000 })
}

describe('store: what it knows without reading', () => {
  it('the id filter holds every id added, past its first capacities, and few others', () => {
    const filter = new IdFilter()
    const ids = Array.from({ length: 150_000 }, () => randomBytes(32))
    for (const id of ids) filter.add(id)
    // proof of work zeroes an id's leading bits, which the probes skip: mined ids are told apart as well
    const mined = (): Buffer => Buffer.concat([Buffer.alloc(4), randomBytes(28)])
    const minedIds = Array.from({ length: 1_000 }, mined)
    for (const id of minedIds) filter.add(id)
    assert.equal([...ids, ...minedIds].filter(id => !filter.has(id)).length, 0)
    for (const absent of [() => randomBytes(32), mined]) {
      let others = 0
      for (let i = 0; i < 50_000; i++) if (filter.has(absent())) others++
      assert.ok(others < 50_000 * 0.03, `${others} of 50 000 absent ids looked present`)
    }
    assert.equal(filter.has(new Uint8Array(31)), true, 'what is not an id is taken as possibly held')
  })

  it('the id filter comes back whole from its bytes, and not from bytes of another format or cut short', () => {
    const filter = new IdFilter()
    // past its first two capacities
    const ids = Array.from({ length: 200_000 }, () => randomBytes(32))
    for (const id of ids) filter.add(id)
    const bytes = filter.bytes()
    const back = IdFilter.from(bytes)
    assert.ok(back !== undefined)
    assert.equal(ids.filter(id => !back.has(id)).length, 0)
    assert.deepEqual(back.bytes(), bytes)
    assert.equal(IdFilter.from(bytes.subarray(0, bytes.byteLength - 4)), undefined, 'cut short')
    assert.equal(IdFilter.from(new Uint8Array([...bytes, 0, 0, 0, 0])), undefined, 'with more after it')
    const otherFormat = bytes.slice()
    otherFormat[3] = 2
    assert.equal(IdFilter.from(otherFormat), undefined, 'another format')
    const otherProbes = bytes.slice()
    otherProbes[11] += 1
    assert.equal(IdFilter.from(otherProbes), undefined, 'other parameters')
    assert.equal(IdFilter.from(new Uint8Array(0)), undefined)
    // a filter said to be longer than the bytes, or to hold far more than its words can
    const words = (...w: number[]): Uint8Array => { const v = new DataView(new ArrayBuffer(4 * w.length)); w.forEach((x, i) => { v.setUint32(4 * i, x) }); return new Uint8Array(v.buffer) }
    const saved = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const header = [0, 4, 8].map(at => saved.getUint32(at))
    assert.equal(IdFilter.from(words(...header, 1, 1 << 16, 0, 2 ** 30)), undefined, 'longer than its bytes')
    assert.equal(IdFilter.from(words(...header, 1, 1 << 16, 0, 1, 0)), undefined, 'too few words for its capacity')
  })

  describe('with a store', () => {
    const temp = useTempStore()

    it('lists every id its records, tombstones and awaited marks hold, from the expiry index', async () => {
      const [a, b, c, d] = Array.from({ length: 4 }, () => makePost())
      const reply = makeReply(a)
      const mod = makePost().author
      await temp.store.ingest([a, b, c, reply, makeReaction(a, 1), makeReaction(reply, -1), makeLabel(mod, [a.id], 'spam'), makeReport(mod, b.id, 'abuse')])
      // a deleted post and a deleted reply (tombstones), a delete and a reply before their post (awaited), a dropped post
      await temp.store.ingest([makeDelete(b), makeDelete(reply), makeDelete(d), makeReply(makePost())])
      await temp.store.drop([c.id])
      const store = await afterCrash(temp)
      await internals(store).loadingKnown
      const { t, known } = store as unknown as { t: Record<'records' | 'tombstones' | 'awaited', { sub: { keys: (o: object) => AsyncIterable<Uint8Array> } }>, known: { lacks: (id: Uint8Array) => boolean } }
      for (const table of ['records', 'tombstones', 'awaited'] as const) {
        let held = 0
        for await (const key of t[table].sub.keys({ keyEncoding: 'view' })) {
          held++
          assert.equal(known.lacks(key), false, `an id of ${table} told absent`)
        }
        assert.ok(held > 0, `no ${table} to check`)
      }
    })

    it('saves its filter at a clean stop and restores it at start, which takes it off the disk until the next stop', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      const saved = await savedFilter(temp, async table => await table.get(FILTER_KEY))
      assert.ok(saved !== undefined && saved.byteLength > 0, 'saved at stop')
      const store = await temp.open()
      assert.equal(internals(store).loadingKnown, undefined, 'no listing')
      assert.equal(internals(store).known.lacks(Buffer.from(post.id, 'hex')), false)
      assert.equal(internals(store).known.lacks(randomBytes(32)), true, 'what it holds is all it knows')
      // a crash now would leave no filter to miss what this run writes
      assert.equal(await internals(store).t.idFilter.sub.get(FILTER_KEY), undefined)
      assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('saves a filter that holds the ids of writes that began while it was stopping', async () => {
      const posts = Array.from({ length: 20 }, () => makePost())
      await internals(temp.store).loadingKnown
      const stopping = temp.store.stop()
      // each a task of its own, queued after the stop began
      const writes = await Promise.allSettled(posts.map(async post => await temp.store.ingest([post])))
      await stopping
      const stored = posts.filter((_, i) => { const w = writes[i]; return w.status === 'fulfilled' && w.value[0]?.status === 'stored' })
      assert.ok(stored.length > 0, 'no write got in before the store closed')
      const store = await temp.open()
      assert.equal(internals(store).loadingKnown, undefined, 'restored')
      for (const post of stored) assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('lists its ids when the saved filter is not one of its format', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      await savedFilter(temp, async table => { await table.put(FILTER_KEY, new Uint8Array([0, 0, 0, 9])) })
      const store = await temp.open()
      assert.ok(internals(store).loadingKnown !== undefined, 'listing')
      await internals(store).loadingKnown
      assert.equal(internals(store).known.lacks(Buffer.from(post.id, 'hex')), false)
      assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    for (const how of ['crash', 'clean'] as const) {
      it(`stores a new post with no read once it has listed its ids (after a ${how} stop), and still finds one held, deleted or awaited`, async () => {
        // the counts are learnt from the first write
        const { store, held, doomed, awaited } = await restarted(temp, how)
        const counter = countReads(store)
        await untilListed(counter, async () => { assert.equal((await store.ingest([makePost()]))[0].status, 'stored') })
        assert.equal((await store.ingest([held]))[0].status, 'duplicate')
        assert.deepEqual((await store.ingest([doomed]))[0], { id: doomed.id, status: 'deleted', code: 'TOMBSTONED' })
        // the awaited post is refused when it arrives
        assert.equal((await store.ingest([awaited]))[0].status, 'deleted')
        assert.equal(await store.get(awaited.id), undefined)
        // the user's own post, written durably, is no different
        const before = counter.reads
        assert.equal((await store.ingest([makePost()], { sync: true }))[0].status, 'stored')
        assert.equal(counter.reads, before)
      })

      it(`tells sync the ids it lacks with no read once it has listed its ids (after a ${how} stop), and still reads those it may hold`, async () => {
        const { store, held, doomed, awaited } = await restarted(temp, how)
        const counter = countReads(store, 'hasMany')
        await untilListed(counter, async () => {
          const fresh = makePost().id
          assert.deepEqual(await store.lacking([fresh]), [fresh])
        })
        const fresh = [makePost().id, makePost().id]
        const before = counter.reads
        // held and tombstoned ids are not lacking; an awaited one is (its post has not come), and so are the new
        assert.deepEqual(await store.lacking([held.id, fresh[0], doomed.id, awaited.id, 'nothex', fresh[1]]), [fresh[0], awaited.id, fresh[1]])
        assert.equal(counter.reads, before + 1, 'one read, for the ids it may hold')
        assert.deepEqual(await store.lacking(fresh), fresh)
        assert.equal(counter.reads, before + 1)
      })
    }

    it('keeps the counts it writes from memory equal to what is stored, across drops, deletes, purges and evictions', async () => {
      let store = await temp.open({ topicQuota: 5 })
      const posts = Array.from({ length: 12 }, (_, i) => makePost({ tags: ['q'], geohash: '', createdAt: T0 + i, expiresAt: T0 + (i < 3 ? DAY : 7 * DAY) }))
      const check = async (): Promise<void> => {
        const page = await store.feed({ sort: 'new', topic: 'tag:q', limit: 100, now: T0 })
        assert.ok(page.length <= 5, `${page.length} posts on a topic of quota 5`)
        assert.equal((await store.stats()).posts, page.length)
      }
      for (const post of posts.slice(0, 8)) await store.ingest([post])
      await check()
      assert.equal((await store.drop([posts[7].id])).length, 1)
      await store.ingest([makeDelete(posts[6])])
      await check()
      await store.ingest(posts.slice(8, 10))
      assert.ok(await store.purge(T0 + DAY) >= 0)
      await check()
      store = await temp.open({ topicQuota: 5 })
      await store.ingest(posts.slice(10))
      await check()
      assert.equal((await store.stats()).posts, 5)
    })
  })
})
