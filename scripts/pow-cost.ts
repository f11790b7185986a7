// What proof of work costs: the time to build each kind of message (mine, sign, self-check)
// at the default difficulties, on one core of this machine as a stand-in for a phone, and
// what a spammer pays per 1 000 posts. Runs on the main thread only: one core. Each sample is
// timed in CPU time (what the core spent, unaffected by other processes on a shared machine)
// and in wall time.
//
//   npx tsc -p tsconfig.json && npx node dist/scripts/pow-cost.js [--samples N] [--price USD_PER_CORE_HOUR]
//
// Prints a table and writes scripts/results/pow-cost.json.

import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { createMessage } from '../src/post/index.js'
import { DEFAULT_POW_POLICY } from '../src/config.js'
import type { MessageInput, MessageKind } from '../src/post/index.js'
import { scriptArgs, valueOptions } from './cli.js'

const args = scriptArgs('npx node dist/scripts/pow-cost.js [--samples 40] [--price USD_PER_CORE_HOUR] [--spot-price USD_PER_CORE_HOUR]', valueOptions('samples', 'price', 'spot-price'))
const samples = args.number('samples', 40, { min: 1, integer: true })
// an on-demand vCPU of a general-purpose cloud instance, 2025 list prices (c7i/c7g class)
const price = args.number('price', 0.04, { min: 0 })
// a spot/preemptible vCPU
const spotPrice = args.number('spot-price', 0.012, { min: 0 })

const parent = Buffer.from(randomBytes(32)).toString('hex')
const text = 'the market smells of croissants this morning, and the queue at the bakery goes round the corner #lyon'
function input (kind: MessageKind): MessageInput {
  const now = Date.now()
  const common = { tags: ['lyon'], geohash: 'u05kq', createdAt: now, expiresAt: now + 7 * 86_400_000 }
  switch (kind) {
    case 'post': return { kind, text, ...common }
    case 'reply': return { kind, text: 'which stall? the one by the fountain?', parent, root: parent, ...common }
    case 'reaction': return { kind, text: '', parent, root: parent, value: 1, ...common }
    default: return { kind, text: '', parent, root: parent, ...common }
  }
}

/** Raw SHA-256 rate over a body-sized input per CPU second, the unit all the figures scale with. */
function hashRate (): number {
  const body = randomBytes(220)
  const start = performance.now()
  const cpu = process.cpuUsage()
  let n = 0
  while (performance.now() - start < 2000) {
    for (let i = 0; i < 1000; i++) { body[219] = i; createHash('sha256').update(body).digest() }
    n += 1000
  }
  const spent = process.cpuUsage(cpu)
  return n / ((spent.user + spent.system) / 1e6)
}

function mean (xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

interface Row {
  kind: MessageKind
  bits: number
  samples: number
  /** CPU time of one message: mine, sign, self-check */
  meanMs: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  /** wall-clock time, which also counts waiting for the core on a busy machine */
  wallMeanMs: number
  wallP95Ms: number
  /** 2^bits / hash rate: the expectation the mean should approach */
  expectedMs: number
}

const rate = hashRate()
console.log(`load average ${loadavg().map(x => x.toFixed(2)).join(' ')} on ${cpus().length} cores`)
const rows: Row[] = []
const secretKey = randomBytes(32)
for (const kind of ['post', 'reply', 'reaction', 'delete'] as const) {
  const bits = DEFAULT_POW_POLICY[kind]
  const times: number[] = []
  const walls: number[] = []
  for (let i = 0; i < samples; i++) {
    const start = performance.now()
    const cpu = process.cpuUsage()
    await createMessage(input(kind), secretKey, { pow: DEFAULT_POW_POLICY })
    const spent = process.cpuUsage(cpu)
    times.push((spent.user + spent.system) / 1000)
    walls.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  walls.sort((a, b) => a - b)
  rows.push({
    kind,
    bits,
    samples,
    meanMs: round(mean(times)),
    p50Ms: round(percentile(times, 0.5)),
    p95Ms: round(percentile(times, 0.95)),
    maxMs: round(times[times.length - 1]),
    wallMeanMs: round(mean(walls)),
    wallP95Ms: round(percentile(walls, 0.95)),
    expectedMs: round(2 ** bits / rate * 1000)
  })
}

// a spammer's bill: the expected work (not the sampled mean, which is noisy), on cores like this one
const postBits = DEFAULT_POW_POLICY.post
const coreSecondsPer1000 = 1000 * 2 ** postBits / rate
const spam = {
  postBits,
  coreSecondsPer1000Posts: round(coreSecondsPer1000),
  coreHoursPer1000Posts: round(coreSecondsPer1000 / 3600, 3),
  usdPer1000PostsOnDemand: round(coreSecondsPer1000 / 3600 * price, 4),
  usdPer1000PostsSpot: round(coreSecondsPer1000 / 3600 * spotPrice, 4),
  postsPerCorePerHour: Math.round(3600 / (2 ** postBits / rate)),
  usdPerCoreHourOnDemand: price,
  usdPerCoreHourSpot: spotPrice
}

console.log(`one core of ${cpus()[0]?.model ?? 'this machine'}: ${Math.round(rate).toLocaleString('en')} SHA-256/s\n`)
console.log('                         CPU time of one message (ms)              wall (ms)')
console.log('kind      bits  samples      mean      p50      p95      max      mean      p95   2^bits/rate ms')
for (const r of rows) {
  console.log(`${r.kind.padEnd(9)} ${String(r.bits).padStart(4)} ${String(r.samples).padStart(8)} ${fmt(r.meanMs, 9)} ${fmt(r.p50Ms, 8)} ${fmt(r.p95Ms, 8)} ${fmt(r.maxMs, 8)} ${fmt(r.wallMeanMs, 9)} ${fmt(r.wallP95Ms, 8)} ${fmt(r.expectedMs, 16)}`)
}
console.log(`\nspam: 1 000 posts at ${postBits} bits = ${spam.coreSecondsPer1000Posts} core-seconds (${spam.coreHoursPer1000Posts} core-hours)` +
  ` = $${spam.usdPer1000PostsOnDemand} on demand at $${price}/core-hour, $${spam.usdPer1000PostsSpot} spot at $${spotPrice}; ` +
  `${spam.postsPerCorePerHour} posts per core per hour`)

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'results', 'pow-cost.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify({
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  node: process.version,
  hashesPerSecond: Math.round(rate),
  loadAverage: loadavg(),
  policy: DEFAULT_POW_POLICY,
  rows,
  spam
}, null, 2) + '\n')
console.log(`\nwrote ${out}`)

function round (x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function fmt (x: number, width: number): string {
  return x.toFixed(1).padStart(width)
}
