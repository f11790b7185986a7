// `node dist/scripts/bench/feed.js [--posts=20000] [--dir=PATH] [--runs=60] [--loop=SORT] [--build=CHECKOUT] [--views=500]`:
// the feed benchmark alone, steadier than main.ts's: each iteration times a raw nextv(50), then
// a Hot, New, Near and Top page, a Near page of a neighbourhood not read before (nearFirst) and
// a Hot page of a topic not read before (hotFirst), and the ratios are medians of per-iteration
// ratios, so a burst of load from other processes hits the page and its baseline alike. It also counts the LevelDB calls of each sort's second
// page. `--views=0` reads every page from the index ranges (StoreOptions.viewPosts).
// `--dir` keeps the filled store for the next run (and for `node --cpu-prof … --loop=new`,
// which only reads that sort's page in a loop). `--build` reads with another built checkout's
// store (e.g. /work/main) instead of this one's.

import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Level as ClassicLevel } from 'level'
import { createStore as ownCreateStore } from '../../src/store/index.js'
import type { FeedQuery } from '../../src/store/index.js'
import { dataset } from './dataset.js'
import { feedQueries, fillStore, pageQuery, rawPage, rawStart, startListed, viewsBuilt, type FeedSort } from './store.js'
import { median, peakRssMb, removeTempDirs, round, tempDir } from './common.js'
import { onInterrupt, scriptArgs, valueOptions } from '../cli.js'

const args = scriptArgs('node dist/scripts/bench/feed.js [--posts=20000] [--dir=PATH] [--runs=60] [--loop=SORT] [--build=CHECKOUT] [--views=500]', valueOptions('posts', 'dir', 'runs', 'loop', 'build', 'views'))
const posts = args.number('posts', 20_000, { min: 1, integer: true })
const runs = args.number('runs', 60, { min: 1, integer: true })
const loop = args.text('loop')
const build = args.text('build')
onInterrupt(removeTempDirs)
const createStore: typeof ownCreateStore = build === undefined
  ? ownCreateStore
  : (await import(pathToFileURL(resolve(build, 'dist', 'src', 'store', 'index.js')).href)).createStore

// count what reaches the binding: every getMany/get and every iterator step is a trip through
// libuv's pool; a getSync reads on the event loop
const calls = { getMany: 0, get: 0, getSync: 0, nextv: 0, iterators: 0 }
const proto = ClassicLevel.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
for (const [method, counter] of [['_getMany', 'getMany'], ['_get', 'get'], ['_getSync', 'getSync'], ['_iterator', 'iterators']] as const) {
  const original = proto[method]
  proto[method] = function (this: unknown, ...args: unknown[]) { calls[counter]++; return original.apply(this, args) }
}

const temp = args.text('dir') === undefined ? await tempDir('feed') : undefined
const path = args.text('dir') ?? join(temp?.path ?? '', 'db')
if (!existsSync(path)) {
  console.error(`filling a store of ${posts} posts at ${path}`)
  // by the build that reads it: a build refuses a store of a newer schema than its own
  await fillStore(path, await dataset({ count: posts, keys: 1_000 }), undefined, createStore)
}
const views = args.number('views', undefined, { min: 0, integer: true })
const store = createStore({ path, topicQuota: 10_000_000, ...(views === undefined ? {} : { viewPosts: views }) })
await startListed(store)
// the iterator class of this LevelDB binding, to count its nextv calls
const probe = (store as unknown as { db: ClassicLevel<Uint8Array, Uint8Array> }).db
const probeIt = probe.iterator()
const itProto = Object.getPrototypeOf(Object.getPrototypeOf(probeIt)) as Record<string, (...args: unknown[]) => unknown>
await probeIt.close()
for (const target of [Object.getPrototypeOf(probeIt) as Record<string, (...args: unknown[]) => unknown>, itProto]) {
  if (!Object.hasOwn(target, '_nextv')) continue
  const original = target._nextv
  target._nextv = function (this: unknown, ...args: unknown[]) { calls.nextv++; return original.apply(this, args) }
}

const now = Date.now()
const queries = feedQueries(now)
const queryOf = (name: FeedSort, i: number): FeedQuery => pageQuery(queries, now, name, i)

try {
  if (loop !== undefined) {
    const query = (queries as Record<string, FeedQuery | undefined>)[loop]
    if (query === undefined) throw new Error(`--loop must be one of ${Object.keys(queries).join(', ')}`)
    const rssBefore = peakRssMb()
    const started = performance.now()
    const since = process.cpuUsage()
    for (let i = 0; i < runs; i++) await store.feed(query)
    const used = process.cpuUsage(since)
    console.log(`${runs} ${loop} pages: ${round((performance.now() - started) / runs, 3)} ms each, CPU ${round((used.user + used.system) / runs, 0)} µs, peak RSS ${rssBefore} → ${peakRssMb()} MB`)
  } else {
    const times: Record<string, number[]> = { raw: [] }
    // CPU time of the whole process (LevelDB's reads run on libuv's threads): steadier than wall time on a loaded machine
    const cpu: Record<string, number> = { raw: 0 }
    const cpuOf = (since: NodeJS.CpuUsage): number => { const u = process.cpuUsage(since); return u.user + u.system }
    const ratios: Record<string, number[]> = {}
    const perPage: Record<string, typeof calls> = {}
    const names: FeedSort[] = [...Object.keys(queries) as Array<keyof typeof queries>, 'nearFirst', 'hotFirst']
    const start = await rawStart(probe)
    await rawPage(probe, start)
    for (const name of names) {
      times[name] = []
      ratios[name] = []
      cpu[name] = 0
      // a second page, as most are (the first built its feed's view after it); nearFirst's is around another cell, hotFirst's of another tag
      await store.feed(queryOf(name, -1))
      await viewsBuilt(store)
      const before = { ...calls }
      const page = await store.feed(queryOf(name, -2))
      perPage[name] = { getMany: calls.getMany - before.getMany, get: calls.get - before.get, getSync: calls.getSync - before.getSync, nextv: calls.nextv - before.nextv, iterators: calls.iterators - before.iterators }
      await viewsBuilt(store)
      if (page.length !== 50) throw new Error(`${name}: a page of ${page.length}`)
    }
    for (let i = 0; i < runs; i++) {
      let since = process.cpuUsage()
      const raw = await rawPage(probe, start)
      cpu.raw += cpuOf(since)
      times.raw.push(raw)
      for (const name of names) {
        // Top reads thousands of posts: every 10th iteration, so its garbage does not weigh on the others' baseline
        if (name === 'top' && i % 10 !== 0) continue
        since = process.cpuUsage()
        const started = performance.now()
        await store.feed(queryOf(name, i))
        const ms = performance.now() - started
        cpu[name] += cpuOf(since)
        times[name].push(ms)
        ratios[name].push(ms / raw)
      }
      // the views of nearFirst's neighbourhood and hotFirst's topic, built after their pages: not beside the next pages
      await viewsBuilt(store)
    }
    const cpuPerPage = (name: string): number => round(cpu[name] / times[name].length, 0)
    console.log(`store of ${posts} posts, ${runs} iterations, raw nextv(50) median ${round(median(times.raw), 3)} ms, CPU ${cpuPerPage('raw')} µs`)
    for (const name of names) {
      const c = perPage[name]
      console.log(`${name.padEnd(4)} ${String(round(median(times[name]), 3)).padStart(7)} ms  ratio ${String(round(median(ratios[name]))).padStart(6)}  ` +
        `CPU ${cpuPerPage(name)} µs (${round(cpuPerPage(name) / cpuPerPage('raw'))}× raw)  LevelDB calls: ${c.iterators} iterators, ${c.nextv} nextv, ${c.getMany} getMany, ${c.get} get, ${c.getSync} getSync`)
    }
  }
} finally {
  await store.stop()
  await temp?.remove()
}
