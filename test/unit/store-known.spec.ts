import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import pWaitFor from 'p-wait-for'
import { useTempStore, type TempStore } from '../helpers/temp-store.js'
import { T0, DAY, HOUR, makeDelete, makeLabel, makePost, makeReaction, makeReply, makeReport } from '../fixtures/messages.js'
import { Level } from 'level'
import { GENERATION_MS, Generations, IdFilter, generationOf } from '../../src/store/known.js'
import { EXP_MESSAGE, NO_VALUE, concat, u64 } from '../../src/store/keys.js'
import { SCHEMA_VERSION } from '../../src/store/index.js'
import type { PostStore, UpgradeProgress } from '../../src/store/index.js'
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
interface Internals {
  idsListed?: number
  known?: { lacks: (id: Uint8Array) => boolean }
  db?: { close: () => Promise<void> }
  t: Record<'idFilter' | 'idJournal', { sub: { get: (key: Uint8Array) => Promise<Uint8Array | undefined>, keys: () => { all: () => Promise<Uint8Array[]> } } }>
}
/** The store's own view of what it knows, and of its saved filter's tables. */
const internals = (store: PostStore): Internals & { known: NonNullable<Internals['known']> } => store as any

/** Starts the store again without the filter it saved, so it lists its ids. */
async function unsaved (temp: TempStore): Promise<PostStore> {
  await savedFilter(temp, async table => { await table.clear() })
  return await temp.open()
}

/** Counts the LevelDB databases opened from now on (the binding's own opens, not its sublevels'), until `restore`. */
function countOpens (): { count: number, restore: () => void } {
  const proto = Level.prototype as unknown as { _open: (...args: unknown[]) => Promise<void> }
  const open = proto._open
  const opens = {
    count: 0,
    restore: () => { proto._open = open }
  }
  proto._open = async function (this: unknown, ...args: unknown[]) {
    opens.count++
    return await open.apply(this, args)
  }
  return opens
}

/** Ends the store as a crash would: LevelDB closed under it, with nothing saved at a stop. */
async function crash (store: PostStore): Promise<void> {
  const inner = store as unknown as Internals
  const db = inner.db
  inner.db = undefined
  inner.known = undefined
  await db?.close()
}

/**
 * A store that holds a post, deleted another and awaits a third (its delete came first), then
 * started again. After a clean stop, it restores the filter the stop saved. After a crash, it
 * restores the filter last saved and reads the journal of ids written since ('journal'), or
 * lists their ids from LevelDB at start when it never saved one ('listing').
 */
async function restarted (temp: TempStore, how: 'listing' | 'journal' | 'clean'): Promise<{ store: PostStore, held: Message, doomed: Message, awaited: Message }> {
  const held = makePost()
  const doomed = makePost()
  const awaited = makePost()
  await temp.store.ingest([held, doomed])
  await temp.store.ingest([makeDelete(doomed), makeDelete(awaited)])
  if (how !== 'clean') await crash(temp.store)
  // a crash before its first save: the store saves its filter once it has listed the ids
  const store = how === 'listing' ? await unsaved(temp) : await temp.open()
  assert.equal(internals(store).idsListed === undefined, how !== 'listing', 'listed only with no filter saved')
  return { store, held, doomed, awaited }
}

/** Runs `step` until a run of it reads nothing: the store has learnt the counts a new post updates. */
async function untilKnown (counter: { reads: number }, step: () => Promise<void>): Promise<void> {
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

  it('the saved filter comes back whole from its bytes, with its generations and journal numbers, and not from bytes of another format or cut short', () => {
    const generations = new Generations()
    // past a generation's first two capacities, in three generations
    const ids = Array.from({ length: 100_000 }, () => randomBytes(32))
    ids.forEach((id, i) => { generations.add(7 + (i % 3), id) })
    const bytes = generations.bytes(2 ** 40 + 5, 2 ** 33 + 1)
    const back = Generations.from(bytes)
    assert.ok(back !== undefined)
    assert.equal(back.seq, 2 ** 40 + 5)
    assert.equal(back.cleared, 2 ** 33 + 1)
    assert.equal(ids.filter(id => !back.generations.has(id)).length, 0)
    assert.equal(back.generations.size, generations.size)
    assert.deepEqual(back.generations.bytes(2 ** 40 + 5, 2 ** 33 + 1), bytes)
    assert.equal(Generations.from(bytes.subarray(0, bytes.byteLength - 4)), undefined, 'cut short')
    assert.equal(Generations.from(new Uint8Array([...bytes, 0, 0, 0, 0])), undefined, 'with more after it')
    const otherFormat = bytes.slice()
    otherFormat[3] = 2
    assert.equal(Generations.from(otherFormat), undefined, 'another format')
    const otherProbes = bytes.slice()
    otherProbes[11] += 1
    assert.equal(Generations.from(otherProbes), undefined, 'other parameters')
    const otherSpan = bytes.slice()
    otherSpan[19] += 1
    assert.equal(Generations.from(otherSpan), undefined, 'another span of generations')
    assert.equal(Generations.from(new Uint8Array(0)), undefined)
    // a filter said to be longer than the bytes, or to hold far more than its words can
    const words = (...w: number[]): Uint8Array => { const v = new DataView(new ArrayBuffer(4 * w.length)); w.forEach((x, i) => { v.setUint32(4 * i, x) }); return new Uint8Array(v.buffer) }
    const saved = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const header = [0, 4, 8, 12, 16].map(at => saved.getUint32(at))
    const first = header[3]
    assert.equal(Generations.from(words(...header, 0, 1, 0, 0, 1, 7, 1, first, 0, 2 ** 30)), undefined, 'longer than its bytes')
    assert.equal(Generations.from(words(...header, 0, 1, 0, 0, 1, 7, 1, first, 0, 1, 0)), undefined, 'too few words for its capacity')
    assert.equal(Generations.from(words(...header, 0, 1, 0, 0, 2, 7, 1, first, 0, first / 2, ...new Array(first / 2).fill(0))), undefined, 'fewer generations than it says')
    assert.ok(Generations.from(words(...header, 0, 1, 0, 0, 1, 7, 1, first, 0, first / 2, ...new Array(first / 2).fill(0))) !== undefined, 'the smallest whole one')
  })

  it('drops a generation once everything in it has expired, and keeps the rest', () => {
    const generations = new Generations()
    const early = randomBytes(32)
    const late = randomBytes(32)
    const end = (generationOf(T0) + 1) * GENERATION_MS
    generations.add(generationOf(end - 1), early)
    generations.add(generationOf(end), late)
    generations.expire(end - 2)
    assert.ok(generations.has(early), 'not all of its generation has expired')
    generations.expire(end - 1)
    assert.equal(generations.has(early), false)
    assert.ok(generations.has(late))
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
      const store = await unsaved(temp)
      assert.ok(internals(store).idsListed !== undefined, 'listed')
      assert.ok(await internals(store).t.idFilter.sub.get(FILTER_KEY) !== undefined, 'saved once listed')
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

    it('saves its filter at a clean stop and restores it at start, with no journal to read', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      const saved = await savedFilter(temp, async table => await table.get(FILTER_KEY))
      assert.ok(saved !== undefined && saved.byteLength > 0, 'saved at stop')
      const store = await temp.open()
      assert.equal(internals(store).idsListed, undefined, 'no listing')
      assert.deepEqual(await internals(store).t.idJournal.sub.keys().all(), [], 'the journal cleared')
      assert.equal(internals(store).known.lacks(Buffer.from(post.id, 'hex')), false)
      assert.equal(internals(store).known.lacks(randomBytes(32)), true, 'what it holds is all it knows')
      assert.equal((await store.ingest([post]))[0].status, 'duplicate')
      // what this run writes goes to the journal, in the same batch
      await store.ingest([makePost()])
      assert.equal((await internals(store).t.idJournal.sub.keys().all()).length, 1)
    })

    it('after a crash, restores the filter saved once listed and reads the journal of what came after, with no listing', async () => {
      // listed at start (an empty store), and saved then
      assert.ok(await internals(temp.store).t.idFilter.sub.get(FILTER_KEY) !== undefined, 'saved once listed')
      const before = makePost({ expiresAt: T0 + 30 * DAY })
      await temp.store.ingest([before])
      const after = [makePost(), makePost({ expiresAt: T0 + 2 * DAY }), makePost({ expiresAt: T0 + 29 * DAY })]
      await temp.store.ingest(after.slice(0, 2))
      await temp.store.ingest(after.slice(2))
      // a journal this short is not worth a save yet
      await temp.store.purge(T0)
      assert.equal((await internals(temp.store).t.idJournal.sub.keys().all()).length, 3)
      await crash(temp.store)
      const store = await temp.open()
      assert.equal(internals(store).idsListed, undefined, 'no listing')
      for (const post of [before, ...after]) assert.equal(internals(store).known.lacks(Buffer.from(post.id, 'hex')), false)
      assert.equal(internals(store).known.lacks(randomBytes(32)), true)
      for (const post of [before, ...after]) assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('clears at its next save the journal entries that a crash between a save and its clearing left', async () => {
      await temp.store.ingest([makePost()])
      const path = (temp.store as unknown as { path: string }).path
      // a clean stop saves as of the last entry, and clears the journal up to it
      await temp.store.stop()
      const level = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
      const journal = level.sublevel<Uint8Array, Uint8Array>('y', { keyEncoding: 'view', valueEncoding: 'view' })
      assert.deepEqual(await journal.keys().all(), [])
      // as if the process had died before the clearing: the entry saved with the filter is
      // back, and there is no mark of how far the journal was cleared
      const stale = new Uint8Array(8)
      stale[7] = 1
      await journal.put(stale, new Uint8Array(36))
      await level.sublevel<string, Uint8Array>('f', { valueEncoding: 'view' }).del('cleared')
      await level.close()
      const store = await temp.open()
      assert.equal(internals(store).idsListed, undefined, 'restored, the stale entry not read')
      await store.ingest([makePost()])
      assert.equal((await internals(store).t.idJournal.sub.keys().all()).length, 2)
      await temp.open()
      assert.deepEqual(await internals(temp.store).t.idJournal.sub.keys().all(), [], 'both cleared by the stop that saved after them')
    })

    it('lists its ids when an entry of the journal is not whole', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      const path = (temp.store as unknown as { path: string }).path
      await crash(temp.store)
      const level = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
      const journal = level.sublevel<Uint8Array, Uint8Array>('y', { keyEncoding: 'view', valueEncoding: 'view' })
      const [[key, value]] = await journal.iterator().all()
      await journal.put(key, value.subarray(1))
      await level.close()
      const store = await temp.open()
      assert.ok(internals(store).idsListed !== undefined, 'listing')
      assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('forgets the ids of a generation the purge has emptied, and keeps those it holds', async () => {
      const gone = makePost({ expiresAt: T0 + DAY })
      const kept = makePost({ expiresAt: T0 + 30 * DAY })
      await temp.store.ingest([gone, kept])
      const known = internals(temp.store).known
      assert.equal(known.lacks(Buffer.from(gone.id, 'hex')), false)
      const end = (generationOf(T0 + DAY) + 1) * GENERATION_MS
      assert.ok(await temp.store.purge(end - 1) >= 1)
      assert.equal(await temp.store.get(gone.id), undefined)
      assert.equal(known.lacks(Buffer.from(gone.id, 'hex')), true, 'forgotten')
      assert.equal(known.lacks(Buffer.from(kept.id, 'hex')), false)
      // and once saved, after a crash
      await temp.open()
      await crash(temp.store)
      const store = await temp.open()
      assert.equal(internals(store).known.lacks(Buffer.from(gone.id, 'hex')), true)
      assert.equal((await store.ingest([kept]))[0].status, 'duplicate')
    })

    it('saves a filter that holds the ids of writes that began while it was stopping', async () => {
      const posts = Array.from({ length: 20 }, () => makePost())
      const stopping = temp.store.stop()
      // each a task of its own, queued after the stop began
      const writes = await Promise.allSettled(posts.map(async post => await temp.store.ingest([post])))
      await stopping
      const stored = posts.filter((_, i) => { const w = writes[i]; return w.status === 'fulfilled' && w.value[0]?.status === 'stored' })
      assert.ok(stored.length > 0, 'no write got in before the store closed')
      const store = await temp.open()
      assert.equal(internals(store).idsListed, undefined, 'restored')
      for (const post of stored) assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('lists its ids when the saved filter is not one of its format', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      await savedFilter(temp, async table => { await table.put(FILTER_KEY, new Uint8Array([0, 0, 0, 9])) })
      const store = await temp.open()
      assert.ok(internals(store).idsListed !== undefined, 'listing')
      assert.equal(internals(store).known.lacks(Buffer.from(post.id, 'hex')), false)
      assert.equal((await store.ingest([post]))[0].status, 'duplicate')
    })

    it('once it has listed many ids, opens LevelDB again (dropping the pages the listing mapped) with the filter it saved, and works on', async () => {
      const post = makePost()
      await temp.store.ingest([post])
      // the expiry entries of 70 000 more ids, as a big store that never saved its filter holds
      const many = Array.from({ length: 70_000 }, () => randomBytes(32))
      await savedFilter(temp, async table => { await table.clear() })
      const level = new Level<Uint8Array, Uint8Array>(temp.path, { keyEncoding: 'view', valueEncoding: 'view' })
      const expiry = level.sublevel<Uint8Array, Uint8Array>('x', { keyEncoding: 'view', valueEncoding: 'view' })
      await expiry.batch(many.map(id => ({ type: 'put' as const, key: concat(u64(T0 + 20 * DAY), Uint8Array.of(EXP_MESSAGE), id), value: NO_VALUE })))
      await level.close()
      const opens = countOpens()
      const progress: UpgradeProgress[] = []
      try {
        const store = await temp.open({ onUpgrade: p => { progress.push(p) } })
        assert.equal(opens.count, 2, 'opened again')
        assert.ok((internals(store).idsListed ?? 0) > many.length, 'listed')
        // told as it goes (the CLI prints it), as a step of no schema change
        assert.ok(progress.length > 1 && progress.every(p => p.step === 'id filter' && p.from === SCHEMA_VERSION && p.to === SCHEMA_VERSION))
        assert.equal(progress.at(-1)?.done, internals(store).idsListed)
        for (const id of [...many.slice(0, 100), Buffer.from(post.id, 'hex')]) assert.equal(internals(store).known.lacks(id), false)
        assert.equal((await store.ingest([post]))[0].status, 'duplicate')
        const fresh = makePost()
        assert.equal((await store.ingest([fresh]))[0].status, 'stored')
        assert.equal((await store.get(fresh.id))?.id, fresh.id)
        // a start with fewer ids than that opens LevelDB once, and this one restores what the first saved
        const told = progress.length
        const again = await temp.open({ onUpgrade: p => { progress.push(p) } })
        assert.equal(opens.count, 3)
        assert.equal(progress.length, told, 'nothing listed, nothing told')
        assert.equal(internals(again).idsListed, undefined, 'restored')
        assert.equal(internals(again).known.lacks(many[0]), false)
      } finally {
        opens.restore()
      }
    })

    const whens = { listing: 'after a crash, by listing', journal: 'after a crash, from its saved filter and journal', clean: 'after a clean stop' }
    for (const how of ['listing', 'journal', 'clean'] as const) {
      it(`stores a new post with no read once it knows its ids (${whens[how]}), and still finds one held, deleted or awaited`, async () => {
        // the counts are learnt from the first write
        const { store, held, doomed, awaited } = await restarted(temp, how)
        const counter = countReads(store)
        await untilKnown(counter, async () => { assert.equal((await store.ingest([makePost()]))[0].status, 'stored') })
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

      it(`tells sync the ids it lacks with no read once it knows its ids (${whens[how]}), and still reads those it may hold`, async () => {
        const { store, held, doomed, awaited } = await restarted(temp, how)
        const counter = countReads(store, 'hasMany')
        await untilKnown(counter, async () => {
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

    it('never tells absent an id it holds, through random histories of writes, purges, saves, crashes and restarts', async () => {
      type Op =
        | { op: 'post', hours: number, count: number }
        | { op: 'reply' | 'react' | 'delete', target: number, known: boolean }
        | { op: 'purge', hours: number }
        | { op: 'crash' | 'restart' }
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        { weight: 4, arbitrary: fc.record({ op: fc.constant('post' as const), hours: fc.integer({ min: 1, max: 30 * 24 }), count: fc.integer({ min: 1, max: 3 }) }) },
        { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('reply' as const, 'react' as const, 'delete' as const), target: fc.nat(), known: fc.boolean() }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('purge' as const), hours: fc.integer({ min: 0, max: 32 * 24 }) }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('crash' as const, 'restart' as const) }) }
      )
      const tables = ['records', 'tombstones', 'awaited'] as const
      let runs = 0
      await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        let store = await temp.openEmpty()
        const posts: Message[] = []
        for (const o of ops) {
          const target = (n: number): Message => posts[n % Math.max(posts.length, 1)] ?? makePost()
          if (o.op === 'post') {
            const fresh = Array.from({ length: o.count }, () => makePost({ expiresAt: T0 + o.hours * HOUR }))
            posts.push(...fresh)
            await store.ingest(fresh)
          } else if (o.op === 'reply' || o.op === 'react' || o.op === 'delete') {
            const parent = o.known ? target(o.target) : makePost()
            await store.ingest([o.op === 'reply' ? makeReply(parent) : o.op === 'react' ? makeReaction(parent, 1) : makeDelete(parent)])
          } else if (o.op === 'purge') {
            await store.purge(T0 + o.hours * HOUR)
          } else {
            if (o.op === 'crash') await crash(store)
            store = await temp.open()
          }
          const { t, known } = store as unknown as { t: Record<typeof tables[number], { sub: { keys: (o: object) => AsyncIterable<Uint8Array> } }>, known: { lacks: (id: Uint8Array) => boolean } }
          for (const table of tables) {
            for await (const key of t[table].sub.keys({ keyEncoding: 'view' })) assert.equal(known.lacks(key), false, `an id of ${table} told absent after ${o.op}`)
          }
        }
        runs++
      }), { numRuns: 60 })
      assert.equal(runs, 60)
    })

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
