import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { decodeTrusted } from '../../src/post/validate.js'
import { SCHEMA_VERSION, createStore } from '../../src/store/index.js'
import { NO_VALUE } from '../../src/store/keys.js'
import { collect } from '../helpers/temp-store.js'
import { T0 } from '../fixtures/messages.js'
import type { Message } from '../../src/post/model.js'
import type { PostStore, UpgradeProgress } from '../../src/store/index.js'

/** A store written by the schema-1 code (see its `about`), as every LevelDB entry it held. */
interface Fixture {
  about: string
  topicQuota: number
  batches: Array<Array<{ id: string, envelope: string }>>
  mine: Array<[string, string]>
  topics: string[]
  settings: Array<[string, unknown]>
  entries: Array<[string, string]>
}

const FIXTURE: Fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/store-v1.json', import.meta.url), 'utf8'))
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/**
 * Every entry as `key = value`. With `legacy`, an empty value reads as NO_VALUE: the code before
 * NO_VALUE wrote entries whose values no reader looks at as empty, and the migration leaves them so.
 */
async function dump (path: string, legacy = false): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try {
    const valueOf = (value: Uint8Array): Uint8Array => legacy && value.byteLength === 0 ? NO_VALUE : value
    // but the id filter a clean stop saves (f): a cache of what the rest holds, saved only once a listing of the ids has ended
    return (await db.iterator().all()).map(([key, value]) => `${Buffer.from(key).toString('latin1')} = ${toHex(valueOf(value))}`).filter(line => !line.startsWith('!f!'))
  } finally {
    await db.close()
  }
}

describe('store: schema migration', () => {
  let dir: string
  const stores: PostStore[] = []
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'murmur-migrate-')) })
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** The fixture's database, written entry by entry as the old code left it. */
  async function oldStore (path: string): Promise<void> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    await db.batch(FIXTURE.entries.map(([key, value]) => ({ type: 'put' as const, key: fromHex(key), value: fromHex(value) })))
    await db.close()
  }

  /** A store over the fixture's schema-1 database at `path`, not yet started; stopped after the test. */
  async function oldStoreOpened (path: string, onUpgrade?: (p: UpgradeProgress) => void): Promise<PostStore> {
    await oldStore(path)
    const store = createStore({ path, topicQuota: FIXTURE.topicQuota, ...(onUpgrade != null ? { onUpgrade } : {}) })
    stores.push(store)
    return store
  }

  /** The same history through today's code. */
  async function freshStore (path: string): Promise<void> {
    const store = createStore({ path, topicQuota: FIXTURE.topicQuota })
    await store.start()
    for (const batch of FIXTURE.batches) {
      await store.ingest(batch.map(({ id, envelope }): Message => ({ id, ...decodeTrusted(fromHex(envelope)) })))
    }
    for (const [id, nonce] of FIXTURE.mine) await store.markMine(id, nonce)
    for (const topic of FIXTURE.topics) await store.joinTopic(topic)
    for (const [key, value] of FIXTURE.settings) await store.setSetting(key, value)
    await store.stop()
  }

  it('rewrites a schema-1 store on open into exactly what today\'s code writes for the same messages', async () => {
    const old = join(dir, 'old')
    const fresh = join(dir, 'fresh')
    const progress: UpgradeProgress[] = []
    const store = await oldStoreOpened(old, p => { progress.push(p) })
    await freshStore(fresh)
    assert.ok((await dump(old)).some(line => line.startsWith('!m!')), 'the fixture holds JSON records')

    await store.start()
    await store.stop()
    assert.deepEqual(await dump(old, true), await dump(fresh))
    assert.equal(SCHEMA_VERSION, 3)
    // every step is reported, in order, from schema 1 to today's, with the entries each went through
    assert.deepEqual([...new Set(progress.map(p => p.step))], ['topic index', 'geo index', 'old records', 'compaction', 'hot index', 'id filter'])
    assert.ok(progress.every(p => p.from === 1 && p.to === SCHEMA_VERSION))
    const last = (step: string): number => progress.filter(p => p.step === step).at(-1)?.done ?? -1
    const held = (prefix: string): number => FIXTURE.entries.filter(([key]) => Buffer.from(key, 'hex').toString('latin1').startsWith(prefix)).length
    assert.equal(last('topic index'), held('!t!'))
    assert.equal(last('geo index'), held('!g!'))
    assert.equal(last('hot index'), held('!c!'))
    // a store already at today's schema has nothing to upgrade
    progress.length = 0
    await store.start()
    await store.stop()
    assert.deepEqual(progress, [])
  })

  it('can run again over a store it already migrated, as after a crash before the version was written', async () => {
    const path = join(dir, 'db')
    const store = await oldStoreOpened(path)
    await store.start()
    await store.stop()
    const migrated = await dump(path)
    const db = new Level<string, unknown>(path, { valueEncoding: 'json' })
    await db.open()
    await db.sublevel<string, unknown>('s', { valueEncoding: 'json' }).put('schemaVersion', 1)
    await db.close()
    await store.start()
    await store.stop()
    assert.deepEqual(await dump(path), migrated)
  })

  it('serves what the old store held: posts, threads, feeds, sync entries, counts', async () => {
    const path = join(dir, 'db')
    const store = await oldStoreOpened(path)
    await store.start()
    const [six, five, four, noGeo] = (FIXTURE.batches[0] ?? []).map(m => m.id)
    assert.deepEqual(await store.stats(), { posts: 6, replies: 2, reactions: 2, deletes: 2, tombstones: 1, pendingTombstones: 1, labels: 1, reports: 1 })
    const post = await store.get(six ?? '')
    assert.deepEqual([post?.tags, post?.geohash, post?.up, post?.replies, post?.isMine], [['lyon', 'food'], 'u05kqz', 1, 1, true])
    assert.equal((await store.thread(six ?? '')).replies.length, 1)
    const now = T0 + 3_600_000
    const near = async (prefixes: string[]): Promise<string[]> => (await store.feed({ geohashPrefixes: prefixes, sort: 'new', limit: 50, now })).map(p => p.id)
    assert.ok((await near(['u05kqz'])).includes(six ?? ''))
    assert.ok((await near(['u05kr'])).includes(five ?? ''))
    assert.deepEqual(await near(['u09t']), [four])
    const food = await collect(store.topicEntries('tag:food', 0, Number.MAX_SAFE_INTEGER, { now }))
    // the two roots, a reply, two reactions and the delete of the other reply
    assert.equal(food.length, 6)
    assert.ok([six, noGeo].every(id => food.some(e => e.id === id)), 'root posts still reach sync')
    const lyon = await collect(store.topicEntries('tag:lyon', 0, Number.MAX_SAFE_INTEGER, { now }))
    assert.deepEqual(lyon, [...lyon].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)), 'in time order')
    assert.ok(lyon.length > 4, 'roots and what hangs off them')
    assert.deepEqual(await store.topics(), ['tag:lyon'])
    assert.deepEqual(await store.getSetting('theme'), { dark: true })
  })

  it('refuses a store of a schema it does not know', async () => {
    const path = join(dir, 'db')
    const db = new Level<string, unknown>(path, { valueEncoding: 'json' })
    await db.open()
    await db.sublevel<string, unknown>('s', { valueEncoding: 'json' }).put('schemaVersion', SCHEMA_VERSION + 1)
    await db.close()
    const store = createStore({ path })
    await assert.rejects(store.start(), { code: 'STORE_SCHEMA' })
    assert.equal(store.isStarted(), false)
  })
})
