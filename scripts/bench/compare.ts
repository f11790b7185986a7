// `node dist/scripts/bench/compare.js <other checkout> [--rounds=6]`: this build's store and ingest
// pipeline against another built checkout's (e.g. main's), in one process and alternated, so
// that both meet the same load; on a shared machine, separate runs differ more than the change.

import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { neighbourhood } from '../../src/geo/index.js'
import { uniformPolicy } from '../../src/post/index.js'
import { createIngestor } from '../../src/node/ingest.js'
import { createStore } from '../../src/store/index.js'
import { dataset } from './dataset.js'
import { median, round, tempDir, trustedMessage } from './common.js'
import type { FeedQuery, PostStore, StoreOptions } from '../../src/store/index.js'
import type { Ingestor } from '../../src/node/ingest.js'

interface Build {
  name: string
  createStore: (options: StoreOptions) => PostStore
  createIngestor: typeof createIngestor
}

const otherPath = process.argv[2]
if (otherPath === undefined || otherPath.startsWith('--')) {
  console.error('usage: node dist/scripts/bench/compare.js <other checkout with a built dist/> [--rounds=6]')
  process.exit(2)
}
const rounds = Number(process.argv.find(a => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 6)
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

const storageEnvelopes = await dataset({ count: 10_000, keys: 1_000 })
const messages = storageEnvelopes.map(trustedMessage)
const storage = await alternate(async build => await withStore(build, async store => {
  const started = performance.now()
  for (let i = 0; i < messages.length; i += 512) await store.ingest(messages.slice(i, i + 512))
  return messages.length / ((performance.now() - started) / 1000)
}))
console.log(`storage, posts/s (10 000 posts, batches of 512): this ${storage.this}, other ${storage.other}`)

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

// feeds: both stores filled once with the same 20 000 posts, pages alternated
const feedMessages = (await dataset({ count: 20_000, keys: 1_000 })).map(trustedMessage)
const stores = new Map<string, { store: PostStore, remove: () => Promise<void> }>()
for (const build of builds) {
  const dir = await tempDir('compare-feed')
  const store = build.createStore({ path: dir.path, topicQuota: 10_000_000 })
  await store.start()
  for (let i = 0; i < feedMessages.length; i += 1_000) await store.ingest(feedMessages.slice(i, i + 1_000))
  stores.set(build.name, { store, remove: dir.remove })
}
const now = Date.now()
const queries: Record<string, FeedQuery> = {
  hot: { topic: 'tag:lyon', sort: 'hot', limit: 50, now },
  new: { topic: 'tag:lyon', sort: 'new', limit: 50, now },
  near: { geohashPrefixes: neighbourhood('u05kq'), sort: 'near', origin: 'u05kq', limit: 50, now }
}
try {
  for (const [name, query] of Object.entries(queries)) {
    const ms = await alternate(async build => {
      const store = stores.get(build.name)?.store as PostStore
      await store.feed(query)
      const times: number[] = []
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        await store.feed(query)
        times.push(performance.now() - started)
      }
      return median(times)
    })
    console.log(`feed ${name}, ms per page of 50 (store of 20 000): this ${ms.this}, other ${ms.other}`)
  }
} finally {
  for (const { store, remove } of stores.values()) {
    await store.stop()
    await remove()
  }
}
