// Ingest, storage and feed benchmarks: murmur's pipeline and store beside raw node:crypto
// verification and raw classic-level reads and writes of the same data, in the same run.

import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
// level's Level is classic-level in Node: the same LevelDB binding the store uses
import { Level as ClassicLevel } from 'level'
import { randomBytes } from 'node:crypto'
import { decodeEnvelope, decodeBody, signedBytes, uniformPolicy } from '../../src/post/index.js'
import { createStore, type FeedQuery, type PostStore } from '../../src/store/index.js'
import { createIngestor } from '../../src/node/ingest.js'
import { sharedVerifier } from '../../src/verify/index.js'
import { neighbourhood } from '../../src/geo/index.js'
import { breathe, median, round, tempDir, trustedMessage } from './common.js'
import { BASE32, TAGS } from './dataset.js'

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
/** envelopes handed to the ingestor at once: what a gossip burst or a sync frame delivers */
const CHUNK = 512

/**
 * Raw verifications per second: the bare minimum a node must do for a post by a key it has
 * never seen (parse the key, verify), with everything else decoded beforehand.
 */
export function rawVerifyRate (envelopes: Uint8Array[]): number {
  const items = envelopes.map(e => {
    const envelope = decodeEnvelope(e)
    const body = decodeBody(envelope.body)
    return { spki: Buffer.concat([SPKI_PREFIX, body.author]), message: signedBytes(envelope.body), signature: envelope.signature }
  })
  const started = performance.now()
  let ok = 0
  for (const item of items) {
    const key = createPublicKey({ key: item.spki, format: 'der', type: 'spki' })
    if (cryptoVerify(null, item.message, key, item.signature)) ok++
  }
  const seconds = (performance.now() - started) / 1000
  if (ok !== items.length) throw new Error('a benchmark signature did not verify')
  return items.length / seconds
}

/**
 * Accepted posts per second through the whole pipeline into a fresh store: decode, PoW,
 * signature (on `verifyThreads` worker threads, as a node does; 0: on the event loop), dedupe,
 * batched write.
 */
export interface PipelineRun {
  rate: number
  /** CPU µs per post: the event loop's thread, and the whole process (workers, libuv's pool) */
  cpu: { mainUs: number, processUs: number }
}

export async function pipelineRate (envelopes: Uint8Array[], verifyThreads: number): Promise<PipelineRun> {
  const dir = await tempDir('ingest')
  const store = createStore({ path: dir.path, topicQuota: 10_000_000 })
  await store.start()
  const verifier = verifyThreads > 0 ? sharedVerifier({ threads: verifyThreads }) : undefined
  verifier?.start()
  const ingestor = createIngestor({ store, pow: () => uniformPolicy(0), ...(verifier != null ? { verifier } : {}) })
  try {
    const started = performance.now()
    const thread0 = process.threadCpuUsage()
    const process0 = process.cpuUsage()
    let stored = 0
    for (let i = 0; i < envelopes.length; i += CHUNK) {
      const outcomes = await Promise.all(envelopes.slice(i, i + CHUNK).map(async e => ingestor.submit(e)))
      stored += outcomes.filter(o => o.status === 'stored').length
    }
    await ingestor.flush()
    const seconds = (performance.now() - started) / 1000
    const thread = process.threadCpuUsage(thread0)
    const all = process.cpuUsage(process0)
    if (stored !== envelopes.length) throw new Error(`the pipeline stored ${stored} of ${envelopes.length}`)
    const per = (usage: NodeJS.CpuUsage): number => round((usage.user + usage.system) / stored, 0)
    return { rate: stored / seconds, cpu: { mainUs: per(thread), processUs: per(all) } }
  } finally {
    await verifier?.stop()
    await store.stop()
    await dir.remove()
  }
}

export interface IngestFigures { pipeline: number, verify: number, ratio: number, cpu: PipelineRun['cpu'] }

/**
 * Side by side, alternated (verify, pipeline, verify, pipeline) so a burst of load hits both,
 * after an untimed pipeline run on `warmUp` (a node runs warm for hours; at 4 000 posts the
 * first timed round still compiled its path, at 20 000 it hardly shows). Each set has its own
 * posts, by keys no other set uses: the workers live across the runs, as a node keeps them,
 * and a run of the same posts again would find every key in their KeyObject cache (4 096
 * keys), which spares a fifth of each verification that the raw baseline pays and a node
 * meeting new keys pays too.
 */
export async function benchIngest (warmUp: Uint8Array[], rounds: Uint8Array[][], verifyThreads: number): Promise<IngestFigures> {
  const verify: number[] = []
  const pipeline: PipelineRun[] = []
  const workers = verifyThreads > 0 ? sharedVerifier({ threads: verifyThreads }) : undefined
  workers?.start()
  try {
    await pipelineRate(warmUp, verifyThreads)
    for (const envelopes of rounds) {
      verify.push(rawVerifyRate(envelopes))
      await breathe()
      pipeline.push(await pipelineRate(envelopes, verifyThreads))
    }
  } finally {
    await workers?.stop()
  }
  const v = Math.max(...verify)
  const best = pipeline.reduce((a, b) => b.rate > a.rate ? b : a)
  return { pipeline: round(best.rate, 0), verify: round(v, 0), ratio: round(best.rate / v, 3), cpu: best.cpu }
}

export interface StorageFigures {
  store: number
  /** raw batched puts of each post's envelope under its id */
  raw: number
  ratio: number
  bytesPerPost: number
  /** LevelDB entries and bytes the store writes per post (indexes, record, counters) */
  entriesPerPost: number
  storedBytesPerPost: number
  /** raw batched puts of exactly the entries the store wrote, posts per second */
  rawSameEntries: number
  /** store ÷ rawSameEntries: murmur's own overhead over LevelDB writing the same bytes */
  sameEntriesRatio: number
}

/** Every entry of a database, to replay the same bytes as raw puts. */
async function entriesOf (path: string): Promise<Array<[Uint8Array, Uint8Array]>> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try {
    return await db.iterator().all()
  } finally {
    await db.close()
  }
}

/** Posts persisted per second by store.ingest (indexes, counters, quota in one batch) ÷ raw batched puts of the envelopes. */
export async function benchStorage (envelopes: Uint8Array[]): Promise<StorageFigures> {
  const messages = envelopes.map(trustedMessage)
  const storeRates: number[] = []
  const rawRates: number[] = []
  const sameRates: number[] = []
  let written: Array<[Uint8Array, Uint8Array]> = []
  for (let r = 0; r < 2; r++) {
    {
      const dir = await tempDir('raw')
      const db = new ClassicLevel<Uint8Array, Uint8Array>(dir.path, { keyEncoding: 'view', valueEncoding: 'view' })
      await db.open()
      // the keys are made before the clock starts, as the store's messages arrive decoded
      const puts = messages.map(m => ({ type: 'put' as const, key: Buffer.from(m.id, 'hex'), value: m.envelope }))
      const started = performance.now()
      for (let i = 0; i < puts.length; i += CHUNK) await db.batch(puts.slice(i, i + CHUNK))
      rawRates.push(messages.length / ((performance.now() - started) / 1000))
      await db.close()
      await dir.remove()
    }
    {
      const dir = await tempDir('store')
      const store = createStore({ path: dir.path, topicQuota: 10_000_000 })
      await store.start()
      const started = performance.now()
      for (let i = 0; i < messages.length; i += CHUNK) await store.ingest(messages.slice(i, i + CHUNK))
      storeRates.push(messages.length / ((performance.now() - started) / 1000))
      await store.stop()
      if (r === 0) written = await entriesOf(dir.path)
      await dir.remove()
    }
    {
      // the same entries in the same number of batches, shuffled out of key order as the store writes them
      const dir = await tempDir('raw-same')
      const db = new ClassicLevel<Uint8Array, Uint8Array>(dir.path, { keyEncoding: 'view', valueEncoding: 'view' })
      await db.open()
      const perBatch = Math.ceil(written.length / Math.ceil(messages.length / CHUNK))
      const puts = written.map(e => [Math.random(), e] as const).sort((a, b) => a[0] - b[0]).map(([, [key, value]]) => ({ type: 'put' as const, key, value }))
      const started = performance.now()
      for (let i = 0; i < puts.length; i += perBatch) await db.batch(puts.slice(i, i + perBatch))
      sameRates.push(messages.length / ((performance.now() - started) / 1000))
      await db.close()
      await dir.remove()
    }
  }
  const s = Math.max(...storeRates)
  const raw = Math.max(...rawRates)
  const same = Math.max(...sameRates)
  return {
    store: round(s, 0),
    raw: round(raw, 0),
    ratio: round(s / raw, 3),
    bytesPerPost: round(messages.reduce((n, m) => n + m.envelope.byteLength, 0) / messages.length, 0),
    entriesPerPost: round(written.length / messages.length, 1),
    storedBytesPerPost: round(written.reduce((n, [k, v]) => n + k.byteLength + v.byteLength, 0) / messages.length, 0),
    rawSameEntries: round(same, 0),
    sameEntriesRatio: round(s / same, 3)
  }
}

/** Fills a store at `path` with the envelopes (trusted, see trustedMessage), in batches. */
export async function fillStore (path: string, envelopes: Uint8Array[], onProgress?: (done: number) => void, create = createStore): Promise<void> {
  const store = create({ path, topicQuota: 10_000_000 })
  await store.start()
  try {
    for (let i = 0; i < envelopes.length; i += 1_000) {
      await store.ingest(envelopes.slice(i, i + 1_000).map(trustedMessage))
      onProgress?.(i + 1_000)
    }
  } finally {
    await store.stop()
  }
}

export interface FeedFigures {
  posts: number
  /** median ms per page of 50 */
  hot: number
  new: number
  near: number
  /** a neighbourhood's first Near page, read from the index ranges (later ones come from its view) */
  nearFirst: number
  /** a topic's first Hot page, read from the index ranges (the same) */
  hotFirst: number
  /** median ms of a raw nextv(50) of envelopes from a random point */
  raw: number
  /** the worst of the three's median ratios to the raw page timed just before (Near's later pages) */
  ratio: number
  ratios: { hot: number, new: number, near: number, nearFirst: number, hotFirst: number }
}

/**
 * Starts a store and waits for its listing of the ids it holds (src/store/known.ts). A start
 * lists them itself since 2026-12-02; a build before it (compare.js, `--build`) listed them
 * in the background after start: 4.4 s on a million posts, reading LevelDB beside the pages a
 * feed benchmark times (its nextv calls were counted as theirs).
 */
export async function startListed (store: PostStore): Promise<void> {
  await store.start()
  await (store as unknown as { loadingKnown?: Promise<void> }).loadingKnown
}

/** The pages every feed benchmark reads: the busiest tag, and the cells around a Lyon geohash. */
export function feedQueries (now: number): Record<'hot' | 'new' | 'near' | 'top', FeedQuery> {
  return {
    hot: { topic: 'tag:lyon', sort: 'hot', limit: 50, now },
    new: { topic: 'tag:lyon', sort: 'new', limit: 50, now },
    near: { geohashPrefixes: neighbourhood('u05kq'), sort: 'near', origin: 'u05kq', limit: 50, now },
    top: { topic: 'tag:lyon', sort: 'top', limit: 50, now }
  }
}

/**
 * A Near page of a neighbourhood read for the first time: around each cell of u05m in turn, 32
 * of them, more than the views a store keeps (src/store/views.ts), and none of them
 * Near's usual neighbourhood (feedQueries).
 */
export function firstNearQuery (now: number, i: number): FeedQuery {
  const origin = `u05m${BASE32[((i % BASE32.length) + BASE32.length) % BASE32.length] ?? ''}`
  return { geohashPrefixes: neighbourhood(origin), sort: 'near', origin, limit: 50, now }
}

/** The tags of Hot pages read for the first time: every other tag than feedQueries', 29 of them, more than the views a store keeps. */
const FIRST_HOT_TAGS = TAGS.filter(tag => tag !== 'lyon')

/** A Hot page of a topic read for the first time: each tag of FIRST_HOT_TAGS in turn. */
export function firstHotQuery (now: number, i: number): FeedQuery {
  return { topic: `tag:${FIRST_HOT_TAGS[((i % FIRST_HOT_TAGS.length) + FIRST_HOT_TAGS.length) % FIRST_HOT_TAGS.length] ?? ''}`, sort: 'hot', limit: 50, now }
}

export type FeedSort = keyof ReturnType<typeof feedQueries> | 'nearFirst' | 'hotFirst'

/** The `i`-th page of a sort: nearFirst around another cell each time, hotFirst of another tag, the others always the same (`queries`). */
export function pageQuery (queries: ReturnType<typeof feedQueries>, now: number, sort: FeedSort, i: number): FeedQuery {
  return sort === 'nearFirst' ? firstNearQuery(now, i) : sort === 'hotFirst' ? firstHotQuery(now, i) : queries[sort]
}

/** Settles once the store builds no Near-me view: a neighbourhood's first page builds one after it, in the background. */
export async function viewsBuilt (store: PostStore): Promise<void> {
  await (store as unknown as { views?: { idle: () => Promise<void> } }).views?.idle()
}

const ENVELOPES = Buffer.from('!e!')
const ENVELOPES_END = Buffer.from('!e"')

/**
 * Where the raw page starts: a random envelope key of `db`, drawn once per run and read again
 * for every raw page. murmur's pages repeat the same queries, so their LevelDB blocks are warm
 * after the first; a raw page from a new random key each time met cold blocks instead (a block
 * read and decompressed per level: 10 % slower at 100 000 posts, 25–35 % at 1 000 000, measured
 * side by side), which flattered the ratios.
 */
export async function rawStart (db: ClassicLevel<Uint8Array, Uint8Array>): Promise<Uint8Array> {
  const keys = await db.keys({ gte: Buffer.concat([ENVELOPES, randomBytes(32)]), lt: ENVELOPES_END, limit: 50 }).all()
  // near the end of the key range: the first envelopes instead
  return keys.length < 50 ? ENVELOPES : keys[0]
}

/** A raw nextv(50) of envelopes from `start` (`rawStart`), in ms. */
export async function rawPage (db: ClassicLevel<Uint8Array, Uint8Array>, start: Uint8Array): Promise<number> {
  const started = performance.now()
  const it = db.iterator({ gte: start, lt: ENVELOPES_END })
  const page = await it.nextv(50)
  await it.close()
  if (page.length < 50) throw new Error(`a raw page of ${page.length} envelopes`)
  return performance.now() - started
}

/**
 * Ranked pages from a filled store at `path` beside raw nextv(50) pages of the same database,
 * interleaved: each iteration times a raw page, then a Hot, New and Near page, and a ratio is
 * the median of the iterations' ratios, so a burst of load (or of LevelDB compacting after the
 * fill) weighs on a page and its baseline alike. Timing the pages first and the raw reads
 * after, as this did before, gave ratios 1.5–3× those of scripts/bench/feed.ts on one store.
 */
export async function benchFeed (path: string, posts: number, runs = 30): Promise<FeedFigures> {
  const store = createStore({ path, topicQuota: 10_000_000 })
  await startListed(store)
  const now = Date.now()
  const queries = feedQueries(now)
  const sorts = ['hot', 'new', 'near', 'nearFirst', 'hotFirst'] as const
  const times: Record<typeof sorts[number] | 'raw', number[]> = { raw: [], hot: [], new: [], near: [], nearFirst: [], hotFirst: [] }
  const ratios: Record<typeof sorts[number], number[]> = { hot: [], new: [], near: [], nearFirst: [], hotFirst: [] }
  // the store's own handle: LevelDB lets one process open a database once
  const db = (store as unknown as { db: ClassicLevel<Uint8Array, Uint8Array> }).db
  try {
    const start = await rawStart(db)
    await rawPage(db, start)
    for (const sort of sorts) await store.feed(pageQuery(queries, now, sort, -1))
    await viewsBuilt(store)
    for (let i = 0; i < runs; i++) {
      const raw = await rawPage(db, start)
      times.raw.push(raw)
      for (const sort of sorts) {
        const started = performance.now()
        await store.feed(pageQuery(queries, now, sort, i))
        const ms = performance.now() - started
        times[sort].push(ms)
        ratios[sort].push(ms / raw)
      }
      // the first page's view, built after it: not beside the next pages
      await viewsBuilt(store)
    }
  } finally {
    await store.stop()
  }
  const ratio = { hot: round(median(ratios.hot)), new: round(median(ratios.new)), near: round(median(ratios.near)), nearFirst: round(median(ratios.nearFirst)), hotFirst: round(median(ratios.hotFirst)) }
  return {
    posts,
    hot: round(median(times.hot), 2),
    new: round(median(times.new), 2),
    near: round(median(times.near), 2),
    nearFirst: round(median(times.nearFirst), 2),
    hotFirst: round(median(times.hotFirst), 2),
    raw: round(median(times.raw), 3),
    ratio: Math.max(ratio.hot, ratio.new, ratio.near),
    ratios: ratio
  }
}
