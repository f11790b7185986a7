// Soak run: does a node's memory stay flat when it runs for a long time? One murmur node
// (soak-node.ts, its own process) takes a steady stream of posts and reactions by gossip from
// a bare gossipsub publisher in this process, over loopback TCP, while it reads its feeds.
// The posts live `--ttl` seconds, so the node's purge removes them as fast as they come: after
// the first two lives its store holds a steady number, and what it keeps in memory should too.
// Reports the node's heap (after full collections, unless --no-forced-gc), its anonymous and
// file-backed RSS, and the slope of each over the steady part of the run; writes
// scripts/results/soak-<time>.json. `--node-env NAME=VALUE` sets a variable for the node's
// process alone: with jemalloc preloaded, `MALLOC_CONF=stats_interval:…` makes it print its
// totals now and then, which the report keeps (`mallocStats`), so that what malloc holds can
// be told from what V8 holds and from what the RSS shows. The node runs on the allocator
// `murmur start` would (src/cli/allocator.ts): `--node-env MURMUR_ALLOCATOR=system` for glibc's as
// it is, with its default arenas. `--node-flags="--x --y"` gives the node's `node` these flags
// (V8's heap settings, which NODE_OPTIONS does not take).
//
//   npx node dist/scripts/bench/soak.js [--minutes 10] [--rate 200] [--ttl 60] [--reactions 0.5] [--verify-threads N] [--no-forced-gc] [--node-env NAME=VALUE]... [--node-flags="--x --y"]

import { spawn } from 'node:child_process'
import { writeFile, mkdir } from 'node:fs/promises'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { bodyId, decodeEnvelope } from '../../src/post/index.js'
import { toGossipTopic, parseTopic } from '../../src/geo/index.js'
import { multiaddr } from '../../src/network/libp2p.js'
import { createBareGossipNode } from '../../test/helpers/raw-peer.js'
import pWaitFor from 'p-wait-for'
import { envelopeOf, newSigner, reactionOf, shapeOf, type PostShape, type Signer } from './dataset.js'
import { removeTempDirs, round, tempDir } from './common.js'
import { onInterrupt, scriptArgs, valueOptions } from '../cli.js'

const here = dirname(fileURLToPath(import.meta.url))
const RESULTS = join(here, '..', '..', '..', 'scripts', 'results')
const TAG = 'soak'
const TOPIC = `tag:${TAG}`
const TICK_MS = 50
const SAMPLE_MS = 10_000
const PURGE_MS = 5_000
/** distinct authors: signing keys are cheap to reuse, and the store does not care */
const SIGNERS = 500

const args = scriptArgs('npm run soak -- [--minutes 10] [--rate 200] [--ttl 60] [--reactions 0.5] [--verify-threads N] [--no-forced-gc] [--node-env NAME=VALUE]... [--node-flags="--x --y"]', {
  ...valueOptions('minutes', 'rate', 'ttl', 'reactions', 'verify-threads', 'node-flags'),
  // measure the node as it runs, without the full collections before each sample
  'no-forced-gc': { type: 'boolean' },
  'node-env': { type: 'string', multiple: true }
})
const minutes = args.number('minutes', 10, { min: 0 })
const rate = args.number('rate', 200, { min: 0 })
const ttlMs = args.number('ttl', 60, { min: 0 }) * 1000
/** reactions per post published */
const reactionShare = args.number('reactions', 0.5, { min: 0 })
const forcedGc = !args.flag('no-forced-gc')
const nodeFlags = args.words('node-flags')
const verifyThreads = args.number('verify-threads', undefined, { min: 0, integer: true })
// steady (seconds since the node started): past two lives of a post and two purges, so the
// store holds what one life brings; the slopes need a few samples after that
const steadyFrom = 2 * ttlMs / 1000 + 2 * PURGE_MS / 1000
const minMinutes = (steadyFrom + 3 * SAMPLE_MS / 1000) / 60
if (minutes < minMinutes) args.wrong(`--minutes must be at least ${round(minMinutes, 2)} with --ttl ${ttlMs / 1000}`)
const nodeEnv = Object.fromEntries(args.texts('node-env').map(pair => {
  const at = pair.indexOf('=')
  if (at < 1) args.wrong(`--node-env takes NAME=VALUE, got ${pair}`)
  return [pair.slice(0, at), pair.slice(at + 1)]
}))
/** jemalloc's totals line, which its `stats_interval` prints with the options `gmdablxe` */
const MALLOC_TOTALS = /^Allocated: (\d+), active: (\d+), metadata: (\d+).*, resident: (\d+), mapped: (\d+), retained: (\d+)/

interface Sample {
  s: number
  heapMb: number
  heapTotalMb: number
  v8PhysicalMb: number
  externalMb: number
  arrayBuffersMb: number
  anonMb: number
  fileMb: number
  cpuS: number
  posts: number
  gossip: { accepted: number, ignored: number, rejected: number, limited: number, shed: number }
}

/** Least-squares slope of y over x. */
function slope (points: Array<[number, number]>): number {
  const n = points.length
  if (n < 2) return NaN
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxy / sxx
}

const dir = await tempDir('soak')
const nodeOptions = { purgeMs: PURGE_MS, sampleMs: SAMPLE_MS, forcedGc, ...(verifyThreads != null ? { verifyThreads } : {}) }
const spawnedAt = performance.now()
const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, join(here, 'soak-node.js'), dir.path, TOPIC, JSON.stringify(nodeOptions)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...nodeEnv } })
const samples: Sample[] = []
const mallocStats: Array<Record<string, number>> = []
createInterface({ input: child.stderr }).on('line', line => {
  process.stderr.write(line + '\n')
  const totals = MALLOC_TOTALS.exec(line)
  if (totals === null) return
  const [allocatedMb, activeMb, metadataMb, residentMb, mappedMb, retainedMb] = totals.slice(1).map(bytes => round(Number(bytes) / 1e6, 2))
  mallocStats.push({ s: round((performance.now() - spawnedAt) / 1000, 1), allocatedMb, activeMb, metadataMb, residentMb, mappedMb, retainedMb })
})
let address: string | undefined
let allocator: string | undefined
let allocatorEnv: Record<string, string> = {}
const lines = createInterface({ input: child.stdout })
lines.on('line', line => {
  const value = JSON.parse(line)
  if (value.address != null) {
    address = String(value.address)
    allocator = String(value.allocator)
    allocatorEnv = value.allocatorEnv
    process.stderr.write(`the node runs on ${allocator === 'jemalloc' ? 'jemalloc' : "the system's malloc"}\n`)
  } else {
    samples.push(value)
    process.stderr.write(`${value.s as number} s: heap ${value.heapMb as number} MB of ${value.heapTotalMb as number} (V8 resident ${value.v8PhysicalMb as number}), anon ${value.anonMb as number}, file ${value.fileMb as number}, posts ${value.posts as number}\n`)
  }
})

const ended = (): boolean => child.exitCode != null || child.signalCode != null
/** "stop" on its stdin: the node stops cleanly, its store closed, and its process ends. */
async function stopNode (timeout: number): Promise<void> {
  if (ended()) return
  child.stdin.end('stop\n')
  await pWaitFor(ended, { interval: 100, timeout })
}
// interrupted, the node stops as at the end of a run before its store is removed; given up on after 30 s
onInterrupt(async () => {
  await stopNode(30_000).catch(() => {})
  await removeTempDirs()
})

await pWaitFor(() => address != null || child.exitCode != null, { interval: 50, timeout: 60_000 })
if (address == null) throw new Error('the node did not start')

const publisher = await createBareGossipNode()
const pubsub = publisher.services.pubsub
const gossipTopic = toGossipTopic(parseTopic(TOPIC))
pubsub.subscribe(gossipTopic)
await publisher.dial(multiaddr(address))
await pWaitFor(() => pubsub.getSubscribers(gossipTopic).length > 0, { interval: 50, timeout: 30_000 })

const signers: Signer[] = Array.from({ length: SIGNERS }, () => newSigner())
const random = Math.random
/** posts in the first half of their life, for reactions to pick from (the newest few thousand) */
const live: Array<{ id: Uint8Array, shape: PostShape }> = []
let published = 0
let posts = 0
let owed = 0
const endAt = performance.now() + minutes * 60_000
let publishing = Promise.resolve()

function publish (envelope: Uint8Array): void {
  published++
  // in order, as a peer's stream carries them; one that fails shows as published less accepted
  publishing = publishing.then(async () => { await pubsub.publish(gossipTopic, envelope) }).then(() => {}, () => {})
}

const ticker = setInterval(() => {
  owed += rate * TICK_MS / 1000
  const now = Date.now()
  while (owed >= 1) {
    owed--
    const signer = signers[posts % SIGNERS]
    // on the node's topic, with one of the usual Zipf tags beside it and a place on two in three
    const usual = shapeOf(random, now, 0, 120)
    const shape = { ...usual, tags: [TAG, ...usual.tags.filter(t => t !== TAG)].slice(0, 2), expiresAt: now + ttlMs }
    const envelope = envelopeOf(signer, shape)
    live.push({ id: bodyId(decodeEnvelope(envelope).body), shape })
    // an honest peer reacts to live posts only: an expired message is held against its sender
    while (live.length > 4_000 || (live.length > 0 && (live[0].shape.expiresAt as number) < now + ttlMs / 2)) live.shift()
    publish(envelope)
    posts++
    if (random() < reactionShare && live.length > 1) {
      const target = live[Math.floor(random() * (live.length - 1))]
      publish(reactionOf(signers[Math.floor(random() * SIGNERS)], target, random() < 0.8 ? 1 : -1, now))
    }
  }
}, TICK_MS)

await pWaitFor(() => performance.now() >= endAt || child.exitCode != null, { interval: 500, timeout: minutes * 60_000 + 60_000 })
clearInterval(ticker)
await publishing
// one more sample once the node has judged every message (the stream's last few hundred
// milliseconds may still be in its queues as it ends), then a clean stop; the wait gives up
// after three samples, and a message lost shows as published less accepted
const sampled = samples.length
const judged = (x: Sample): number => Object.values(x.gossip).reduce((a, b) => a + b, 0)
await pWaitFor(() => samples.length > sampled && judged(samples[samples.length - 1]) >= published, { interval: 500, timeout: 3 * SAMPLE_MS + 5_000 }).catch(() => {})
await stopNode(60_000)
await publisher.stop()
await dir.remove()

const steady = samples.filter(x => x.s >= steadyFrom)
const perTenMinutes = (pick: (x: Sample) => number): number => round(slope(steady.map(x => [x.s, pick(x)])) * 600, 2)
const span = (pick: (x: Sample) => number): [number, number] => [Math.min(...steady.map(pick)), Math.max(...steady.map(pick))]
const last = samples[samples.length - 1]
const held = span(x => x.posts)
const report = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model },
  plan: { minutes, rate, ttlS: ttlMs / 1000, reactionShare, purgeMs: PURGE_MS, sampleMs: SAMPLE_MS, verifyThreads: verifyThreads ?? 'default', forcedGc, nodeFlags: nodeFlags.join(' ') },
  // the allocator decides how much freed memory the RSS keeps: the one the node ran on, and the
  // variables its process ran with
  allocator,
  allocatorEnv,
  published,
  gossip: last?.gossip,
  steadyFromS: steadyFrom,
  steadySamples: steady.length,
  postsHeld: { min: held[0], max: held[1] },
  // what the node's process used of a core over the steady part: a setting that saves memory
  // may cost it
  steadyCpuPercent: steady.length < 2 ? undefined : round((steady[steady.length - 1].cpuS - steady[0].cpuS) / (steady[steady.length - 1].s - steady[0].s) * 100, 1),
  slopeMbPer10Min: { heap: perTenMinutes(x => x.heapMb), heapTotal: perTenMinutes(x => x.heapTotalMb), v8Physical: perTenMinutes(x => x.v8PhysicalMb), anon: perTenMinutes(x => x.anonMb), file: perTenMinutes(x => x.fileMb), external: perTenMinutes(x => x.externalMb) },
  range: {
    heapMb: span(x => x.heapMb),
    anonMb: span(x => x.anonMb),
    fileMb: span(x => x.fileMb)
  },
  samples,
  ...(mallocStats.length > 0 ? { mallocStats } : {})
}
await mkdir(RESULTS, { recursive: true })
const file = join(RESULTS, `soak-${report.at.slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}.json`)
await writeFile(file, JSON.stringify(report, null, 1))
console.log(`published ${published} (posts ${posts}); the node's gossip verdicts ${JSON.stringify(report.gossip)}; posts held in the steady part ${report.postsHeld.min}–${report.postsHeld.max}`)
console.log(`steady from ${steadyFrom} s, ${steady.length} samples: heap ${report.range.heapMb.join('–')} MB, anon ${report.range.anonMb.join('–')}, file ${report.range.fileMb.join('–')}; the node's process ${report.steadyCpuPercent ?? '?'} % of a core`)
console.log(`slope per 10 minutes: heap ${report.slopeMbPer10Min.heap} MB (committed ${report.slopeMbPer10Min.heapTotal}, resident ${report.slopeMbPer10Min.v8Physical}), anon ${report.slopeMbPer10Min.anon}, file ${report.slopeMbPer10Min.file}, native ${report.slopeMbPer10Min.external}`)
console.log(`wrote ${file}`)
