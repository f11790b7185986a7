// `node dist/scripts/bench/compare.js <other checkout> [--rounds=6] [--only=storage,ingest,feed] [--posts=20000] [--fresh]`: this build's store and ingest
// pipeline against another built checkout's (e.g. main's), in one process and alternated, so
// that both meet the same load; on a shared machine, separate runs differ more than the change.

import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { uniformPolicy } from '../../src/post/index.js'
import { createIngestor } from '../../src/node/ingest.js'
import { createStore } from '../../src/store/index.js'
import { dataset } from './dataset.js'
import { feedQueries, rawPage, rawStart } from './store.js'
import { median, removeTempDirs, round, tempDir, trustedMessage } from './common.js'
import { onInterrupt, scriptArgs, valueOptions } from '../cli.js'
import type { FeedQuery, PostStore, StoreOptions } from '../../src/store/index.js'
import type { Ingestor } from '../../src/node/ingest.js'
import type { Level as ClassicLevel } from 'level'

interface Build {
  name: string
  createStore: (options: StoreOptions) => PostStore
  createIngestor: typeof createIngestor
}

const args = scriptArgs('node dist/scripts/bench/compare.js <other checkout with a built dist/> [--rounds=6] [--only=storage,ingest,feed] [--posts=20000] [--fresh]', {
  ...valueOptions('rounds', 'only', 'posts'),
  fresh: { type: 'boolean' }
}, { min: 1, max: 1 })
const otherPath = args.positionals[0]
const rounds = args.number('rounds', 6, { min: 1, integer: true })
const only = args.list('only', ['storage', 'ingest', 'feed'])
const wanted = (section: string): boolean => only === undefined || only.includes(section)
const feedPosts = args.number('posts', 20_000, { min: 1, integer: true })
onInterrupt(removeTempDirs)
const other = (file: string): string => pathToFileURL(resolve(otherPath, 'dist', file)).href
const builds: Build[] = [
  { name: 'this', createStore, createIngestor },
  {
    name: 'other',
    createStore: (await import(other('src/store/index.js'))).createStore,
    createIngestor: (await import(other('src/node/ingest.js'))).createIngestor
  }
]

/** Runs `measure` for each build, `rounds` times, the order flipped every round; medians. */
async function alternate (measure: (build: Build) => Promise<number>): Promise<Record<string, number>> {
  const values: Record<string, number[]> = { this: [], other: [] }
  for (let r = 0; r < rounds; r++) {
    for (const build of r % 2 === 0 ? builds : [...builds].reverse()) values[build.name]?.push(await measure(build))
  }
  return { this: round(median(values.this ?? []), 1), other: round(median(values.other ?? []), 1) }
}

async function withStore<T> (build: Build, use: (store: PostStore) => Promise<T>): Promise<T> {
  const dir = await tempDir('compare')
  const store = build.createStore({ path: dir.path, topicQuota: 10_000_000 })
  await store.start()
  try {
    return await use(store)
  } finally {
    await store.stop()
    await dir.remove()
  }
}

if (wanted('storage')) {
  const storageEnvelopes = await dataset({ count: 10_000, keys: 1_000 })
  const messages = storageEnvelopes.map(trustedMessage)
  const storage = await alternate(async build => await withStore(build, async store => {
    const started = performance.now()
    for (let i = 0; i < messages.length; i += 512) await store.ingest(messages.slice(i, i + 512))
    return messages.length / ((performance.now() - started) / 1000)
  }))
  console.log(`storage, posts/s (10 000 posts, batches of 512): this ${storage.this}, other ${storage.other}`)
}

if (wanted('ingest')) {
  const ingestEnvelopes = await dataset({ count: 4_000 })
  const ingest = await alternate(async build => await withStore(build, async store => {
    const ingestor: Ingestor = build.createIngestor({ store, pow: () => uniformPolicy(0) })
    const started = performance.now()
    let stored = 0
    for (let i = 0; i < ingestEnvelopes.length; i += 512) {
      const outcomes = await Promise.all(ingestEnvelopes.slice(i, i + 512).map(async e => await ingestor.submit(e)))
      stored += outcomes.filter(o => o.status === 'stored').length
    }
    await ingestor.flush()
    if (stored !== ingestEnvelopes.length) throw new Error(`${build.name} stored ${stored} of ${ingestEnvelopes.length}`)
    return stored / ((performance.now() - started) / 1000)
  }))
  console.log(`ingest pipeline, posts/s (4 000 posts, each by its own key): this ${ingest.this}, other ${ingest.other}`)
}

/** The store's own LevelDB handle (a private field of both builds' store), so a raw page reads the same files. */
type StoreDb = ClassicLevel<Uint8Array, Uint8Array> & { compactRange: (start: Uint8Array, end: Uint8Array) => Promise<void> }
function levelOf (store: PostStore): StoreDb {
  return (store as unknown as { db: StoreDb }).db
}

// feeds: both stores filled once with the same posts, pages alternated; each page follows a raw
// nextv(50) of envelopes in the same database, and the ratio is the median of page ÷ that raw page
if (wanted('feed')) {
  const feedMessages = (await dataset({ count: feedPosts, keys: 1_000 })).map(trustedMessage)
  const stores = new Map<string, { store: PostStore, remove: () => Promise<void>, start: Uint8Array }>()
  for (const build of builds) {
    const dir = await tempDir('compare-feed')
    const store = build.createStore({ path: dir.path, topicQuota: 10_000_000 })
    await store.start()
    for (let i = 0; i < feedMessages.length; i += 1_000) await store.ingest(feedMessages.slice(i, i + 1_000))
    if (args.flag('fresh')) {
      // as main.ts measures: reopened right after the fill, LevelDB still compacting
      await store.stop()
      await store.start()
    } else {
      // so that neither build's pages meet the other's compaction after the fill
      await levelOf(store).compactRange(Buffer.from([0]), Buffer.from([0xff]))
    }
    const start = await rawStart(levelOf(store))
    await rawPage(levelOf(store), start)
    stores.set(build.name, { store, remove: dir.remove, start })
  }
  const now = Date.now()
  const queries: Record<string, FeedQuery> = feedQueries(now)
  try {
    for (const [name, query] of Object.entries(queries)) {
      const ratios: Record<string, number[]> = { this: [], other: [] }
      // CPU of the whole process per page (LevelDB reads on libuv's threads included): steadier than time under load
      const cpu: Record<string, number[]> = { this: [], other: [] }
      const ms = await alternate(async build => {
        const { store, start } = stores.get(build.name) as { store: PostStore, start: Uint8Array }
        await store.feed(query)
        const times: number[] = []
        const perRaw: number[] = []
        const since = process.cpuUsage()
        let rawCpu = 0
        for (let i = 0; i < 7; i++) {
          const before = process.cpuUsage()
          const raw = await rawPage(levelOf(store), start)
          const used = process.cpuUsage(before)
          rawCpu += used.user + used.system
          const started = performance.now()
          await store.feed(query)
          times.push(performance.now() - started)
          perRaw.push(times[times.length - 1] / raw)
        }
        const all = process.cpuUsage(since)
        ratios[build.name]?.push(median(perRaw))
        cpu[build.name]?.push((all.user + all.system - rawCpu) / 7)
        return median(times)
      })
      console.log(`feed ${name}, ms per page of 50 (store of ${feedPosts}): this ${ms.this} (${round(median(ratios.this ?? []))}× raw nextv(50), CPU ${round(median(cpu.this ?? []), 0)} µs), ` +
        `other ${ms.other} (${round(median(ratios.other ?? []))}×, CPU ${round(median(cpu.other ?? []), 0)} µs)`)
    }
  } finally {
    for (const { store, remove } of stores.values()) {
      await store.stop()
      await remove()
    }
  }
}
