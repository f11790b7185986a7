// `npm run bench -- [--quick] [--only=ingest,gossip,...] [--verify-threads=N]`: murmur's figures as ratios
// against baselines measured in the same run (raw node:crypto, bare gossipsub, raw LevelDB),
// because the machines are shared and noisy. Prints a table, writes
// scripts/results/bench-<date>.json, and ends with one JSON line of the ratios.

import { execFile } from 'node:child_process'
import { cpus } from 'node:os'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { dataset } from './dataset.js'
import { benchFeed, benchIngest, benchStorage, fillStore, type FeedFigures } from './store.js'
import { benchGossip } from './gossip.js'
import { run as reconcile, catchUp } from './sync.js'
import { peakRssMb, removeTempDirs, round, tempDir } from './common.js'
import { defaultVerifyThreads } from '../../src/verify/index.js'
import { onInterrupt, scriptArgs, valueOptions } from '../cli.js'

const SECTIONS = ['ingest', 'storage', 'feed', 'gossip', 'sync'] as const
const args = scriptArgs('npm run bench -- [--quick] [--only=ingest,storage,feed,gossip,sync] [--verify-threads=N]', {
  quick: { type: 'boolean' },
  ...valueOptions('only', 'verify-threads')
})
const quick = args.flag('quick')
const only = args.list('only', SECTIONS)
const wanted = (section: typeof SECTIONS[number]): boolean => only == null || only.includes(section)
// the nodes' signature workers (config verifyThreads); 0 verifies on the event loop
const verifyThreads = args.number('verify-threads', defaultVerifyThreads(), { min: 0, integer: true })
onInterrupt(removeTempDirs)
const here = dirname(fileURLToPath(import.meta.url))
const results = join(here, '..', '..', '..', 'scripts', 'results')

const plan = quick
  ? { ingest: 4_000, storage: 10_000, feedStores: [20_000], rssStore: 20_000, gossipNodes: 8, burst: 1_000, paced: 400, syncN: [10_000], catchUp: 3_000 }
  : { ingest: 20_000, storage: 50_000, feedStores: [100_000, 1_000_000], rssStore: 1_000_000, gossipNodes: 10, burst: 1_000, paced: 1_000, syncN: [10_000, 100_000], catchUp: 20_000 }

const started = Date.now()
const log = (what: string): void => { console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`) }
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: (await import('node:os')).loadavg().map(x => round(x, 2)) },
  plan,
  verifyThreads
}
const rows: Array<[string, string, string, string, string]> = []
const ratios: Record<string, number | null> = {
  ingest_ratio: null, gossip_ratio: null, gossip_p50_ratio: null, delivery_ratio: null, feed_ratio: null, storage_ratio: null, sync_bytes_ratio: null
}

if (wanted('ingest')) {
  log(`ingest: ${plan.ingest} posts, each by its own key`)
  const sets = await Promise.all([1, 2, 3].map(async seed => dataset({ count: plan.ingest, seed })))
  const ingest = await benchIngest(sets[0], sets.slice(1), verifyThreads)
  report.ingest = ingest
  ratios.ingest_ratio = ingest.ratio
  rows.push(['ingest', `${ingest.pipeline} posts/s`, `${ingest.verify} verifies/s`, String(ingest.ratio), '≥ 0.5'])
  rows.push(['ingest CPU µs/post', `event loop ${ingest.cpu.mainUs}, process ${ingest.cpu.processUs}`, `${round(1e6 / ingest.verify, 0)} µs/verify`, '', '(context)'])
}

if (wanted('storage')) {
  log(`storage: ${plan.storage} posts`)
  const storage = await benchStorage(await dataset({ count: plan.storage, keys: 1_000 }))
  report.storage = storage
  ratios.storage_ratio = storage.ratio
  rows.push(['storage', `${storage.store} posts/s`, `${storage.raw} puts/s`, String(storage.ratio), '≥ 0.3'])
  rows.push([`storage, same ${storage.entriesPerPost} entries/post`, `${storage.store} posts/s`, `${storage.rawSameEntries} posts/s raw`, String(storage.sameEntriesRatio), '(context)'])
}

if (wanted('feed')) {
  const feeds: FeedFigures[] = []
  for (const size of plan.feedStores) {
    const dir = await tempDir('feed')
    try {
      log(`feed: generating ${size} posts`)
      const envelopes = await dataset({ count: size, keys: 1_000 })
      log(`feed: filling a store of ${size}`)
      await fillStore(join(dir.path, 'db'), envelopes, done => { if (done % 100_000 === 0) log(`  ${done}`) })
      const feed = await benchFeed(join(dir.path, 'db'), size)
      feeds.push(feed)
      rows.push([`feed ${size.toLocaleString('en')}`, `hot ${feed.hot} / new ${feed.new} / near ${feed.near} ms`, `nextv(50) ${feed.raw} ms`, String(feed.ratio), '≤ 3'])
      rows.push([`feed ${size.toLocaleString('en')}, Near's first page`, `${feed.nearFirst} ms (a neighbourhood not read before)`, '', String(feed.ratios.nearFirst), '(context)'])
      rows.push([`feed ${size.toLocaleString('en')}, Hot's first page`, `${feed.hotFirst} ms (a topic not read before)`, '', String(feed.ratios.hotFirst), '(context)'])
      if (size === plan.rssStore) {
        log('rss: a node on that store')
        const { stdout } = await promisify(execFile)(process.execPath, [join(here, 'node-rss.js'), dir.path], { maxBuffer: 1 << 20 })
        const rss = JSON.parse(stdout.trim().split('\n').pop() as string) as { posts: number, allocator: string, openedMb: number, peakMb: number, endAnonMb: number, endFileMb: number }
        report.rss = rss
        rows.push([`node RSS, ${rss.posts.toLocaleString('en')} posts`, `${rss.peakMb} MB peak on ${rss.allocator === 'jemalloc' ? 'jemalloc' : "the system's malloc"} (at the end ${rss.endAnonMb} own + ${rss.endFileMb} mapped files)`, '', '', size >= 1_000_000 ? '≤ 300 MB' : '(1M in full mode)'])
      }
    } finally {
      await dir.remove()
    }
  }
  report.feed = feeds
  ratios.feed_ratio = Math.max(...feeds.map(f => f.ratio))
}

if (wanted('gossip')) {
  log(`gossip: ${plan.gossipNodes} nodes, burst ${plan.burst}, paced ${plan.paced}`)
  const gossip = await benchGossip({ nodes: plan.gossipNodes, burst: plan.burst, paced: plan.paced, verifyThreads })
  report.gossip = gossip
  ratios.gossip_ratio = gossip.ratio
  ratios.gossip_p50_ratio = gossip.p50Ratio
  ratios.delivery_ratio = gossip.deliveryRatio
  rows.push(['gossip burst (faster of 2)', `${gossip.murmur.burstRate} deliveries/s (${gossip.murmur.burstRates.join(', ')})`, `${gossip.bare.burstRate} bare (${gossip.bare.burstRates.join(', ')})`, String(gossip.ratio), '≥ 0.8'])
  const latency = (p: typeof gossip.bare.paced): string => `${p.p50} ms (p99 ${p.p99})`
  rows.push([`gossip paced ${gossip.pacedRate}/s p50`, latency(gossip.murmur.paced), latency(gossip.bare.paced), String(gossip.p50Ratio), '≤ 1.5'])
  rows.push([`gossip paced ${gossip.quarterRate}/s p50 (a quarter)`, latency(gossip.murmur.quarter), latency(gossip.bare.quarter), String(gossip.quarterP50Ratio), '(context)'])
  const delivered = (g: typeof gossip.bare): string => `burst ${g.burstDelivery}, paced ${g.paced.delivery}, a quarter ${g.quarter.delivery}`
  rows.push(['gossip delivery', delivered(gossip.murmur), delivered(gossip.bare), String(gossip.deliveryRatio), '1.0'])
  // CPU time does not depend on what else the machine runs, as rates do: where the cost went
  const cpu = (c: typeof gossip.bare.burstCpu): string => `event loop ${c.mainUs} (${c.busy} of a core), process ${c.processUs}`
  rows.push(['gossip burst CPU µs/delivery', cpu(gossip.murmur.burstCpu), cpu(gossip.bare.burstCpu), '', '(context)'])
  // the paced p50 is a queue's once the one event loop the nodes share is busy all the time
  rows.push(['gossip paced CPU µs/delivery', cpu(gossip.murmur.paced.cpu), cpu(gossip.bare.paced.cpu), '', '(context)'])
  rows.push(['gossip a quarter CPU µs/delivery', cpu(gossip.murmur.quarter.cpu), cpu(gossip.bare.quarter.cpu), '', '(context)'])
  const traffic = (t: typeof gossip.bare.burstTraffic): string => `${t.copies} copies/node/msg (${t.copiesSettled} settled, loop ${t.cpuSettledMainUs} µs/delivery), meshes ${t.meshes.join(' ')}${t.sendFailures > 0 ? `, ${t.sendFailures} failed sends` : ''}`
  rows.push(['gossip burst traffic', traffic(gossip.murmur.burstTraffic), traffic(gossip.bare.burstTraffic), '', '(context)'])
}

if (wanted('sync')) {
  const sync = []
  for (const n of plan.syncN) {
    for (const d of [10, 1_000]) {
      log(`sync: n ${n}, d ${d}`)
      const row = reconcile(n, d)
      sync.push(row)
      rows.push([`sync n ${n.toLocaleString('en')} d ${d}`, `${row.bytes} B, ${row.roundTrips} round trips`, `32 × d = ${32 * d} B; goal ${row.roundTripGoal} trips`, String(row.sync_bytes_ratio), '≤ 40'])
    }
  }
  report.sync = sync
  ratios.sync_bytes_ratio = Math.max(...sync.filter(r => r.d === 10).map(r => r.sync_bytes_ratio ?? 0))
  log(`sync: catch-up of ${plan.catchUp}`)
  const catchUpFigures = await catchUp(plan.catchUp, verifyThreads)
  report.catchUp = catchUpFigures
  rows.push([`sync catch-up ${plan.catchUp}`, `${catchUpFigures.seconds} s (${catchUpFigures.stored} stored)`, `n ÷ ingest of the same posts = ${round(plan.catchUp / catchUpFigures.ingestRate, 2)} s`, String(catchUpFigures.ratio), '≤ 1.3'])
  rows.push([`sync catch-up ${plan.catchUp}, pushed`, `${catchUpFigures.pushedSeconds} s`, 'the same', String(catchUpFigures.pushedRatio), '≤ 1.3'])
}

report.ratios = ratios
report.peakRssMb = peakRssMb()
report.seconds = round((Date.now() - started) / 1000, 1)

const header: [string, string, string, string, string] = ['figure', 'murmur', 'baseline', 'ratio', 'goal']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |'
console.log(line(header))
console.log('|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|')
for (const row of rows) console.log(line(row))

await mkdir(results, { recursive: true })
const file = join(results, `bench-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`)
await writeFile(file, JSON.stringify(report, null, 2) + '\n')
console.log(`wrote ${file} in ${report.seconds as number} s`)
console.log(JSON.stringify(ratios))
