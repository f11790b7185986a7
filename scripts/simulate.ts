// `npm run simulate -- --nodes N --topics T --rate R --minutes M [--churn 0.2] [--pow-bits 0] [--warmup 60] [--cpu-prof 0,7] [--node-flags="--x --y"] [--odd-node-flags="--z"] [--seed S]`
//
// N real nodes, each `murmur start` in its own process (the code users run, with its own event
// loop, so CPU and memory per node are the OS's figures for that process), on 127.0.0.1 TCP.
// Each node joins two tags (Zipf over T tags) and its home geo cell; posts arrive as a Poisson
// process of R posts/s from random online nodes through the HTTP API; a fraction of nodes
// leave and come back (churn). Deliveries are read from every node's live event stream.
// Reports delivery per topic (for nodes online the whole run), latency percentiles, bytes
// sent per delivery (TCP bytes_sent of every node socket, from `ss`), CPU and memory per
// node, and how busy the whole machine was each second (/proc/stat) and how much of that was
// this simulation's processes rather than other tenants'; posting starts once
// discovery covered every node's topics and the start-up syncs are over. Writes
// scripts/results/simulate-<date>.json and an SVG of latency and delivery over time.
// `--cpu-prof` runs the listed nodes under `node --cpu-prof`, a profile per process lifetime.
// `--node-flags` gives every node's `node` these flags; `--odd-node-flags` gives them to the
// odd-numbered nodes only, and the report compares their CPU and memory with the even ones':
// an A/B test of a runtime setting in one run, on one network, under the same load.

import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { setPriority, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CELLS, TAGS } from './bench/dataset.js'
import { percentile, round } from './bench/common.js'
import { onInterrupt, scriptArgs, valueOptions } from './cli.js'
import { endProcess } from '../test/helpers/cli-node.js'

const here = dirname(fileURLToPath(import.meta.url))
const CLI = join(here, '..', 'src', 'cli', 'main.js')
const RESULTS = join(here, '..', '..', 'scripts', 'results')
const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz'

const args = scriptArgs('npm run simulate -- --nodes N --topics T --rate R --minutes M [--churn 0.2] [--pow-bits 0] [--warmup 60] [--cpu-prof 0,7] [--node-flags="--x --y"] [--odd-node-flags="--z"] [--seed S]', {
  ...valueOptions('nodes', 'topics', 'rate', 'minutes', 'churn', 'pow-bits', 'warmup', 'seed', 'cpu-prof', 'node-flags', 'odd-node-flags')
})

/** The percentiles a latency is reported with. */
function spread (ms: number[]): { p50: number, p90: number, p99: number } {
  return { p50: percentile(ms, 50), p90: percentile(ms, 90), p99: percentile(ms, 99) }
}

const NODES = args.number('nodes', 20, { min: 3, integer: true })
const TOPICS = args.number('topics', 8, { min: 1, max: TAGS.length, integer: true })
const RATE = args.number('rate', 2, { min: 0 })
const MINUTES = args.number('minutes', 2, { min: 0 })
const CHURN = args.number('churn', 0.2, { min: 0, max: 0.9 })
const POW_BITS = args.number('pow-bits', 0, { min: 0, integer: true })
/** longest wait for discovery to give every node a peer on each of its topics, seconds */
const WARMUP_S = args.number('warmup', 60, { min: 0 })
/** the first nodes are the bootstrap list of the rest, and never leave */
const BOOTSTRAPS = 2
const BUCKET_S = 10
const NODE_NICENESS = 10
/** nodes run under `--cpu-prof`, and where their profiles go */
const PROFILED = new Set((args.text('cpu-prof') ?? '').split(',').filter(s => s !== '').map(s => {
  const index = Number(s)
  return Number.isInteger(index) && index >= 0 && index < NODES ? index : args.wrong(`--cpu-prof takes node indexes from 0 to ${NODES - 1}, got ${s}`)
}))
const PROFILES = join(tmpdir(), `murmur-sim-profiles-${process.pid}`)
const NODE_FLAGS = args.words('node-flags')
const ODD_NODE_FLAGS = args.words('odd-node-flags')
/** longest wait for the start-up syncs to end once the warm-up is over, seconds */
const SETTLE_S = 90
/** a node too starved to answer its API for this long is counted as unanswered */
const API_TIMEOUT_MS = 30_000
/** the latency goal: slower deliveries are broken down by what their posts have in common */
const SLOW_MS = 2_000

const started = Date.now()
const log = (what: string): void => { console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`) }

/** mulberry32: a small seeded generator, so that two builds can be run on the same network. */
function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `--seed` (default: a random one, printed) fixes which topics each node joins, the posts'
 * authors, topics, places and times, and who leaves when: one stream each, so the posting
 * and churn loops, which interleave by timing, do not shift each other's draws.
 */
const SEED = args.number('seed', Math.floor(Math.random() * 2 ** 31), { integer: true })
const draw = { setup: seeded(SEED), posts: seeded(SEED + 1), churn: seeded(SEED + 2) }

function random<T> (items: readonly T[], rng: () => number): T {
  return items[Math.floor(rng() * items.length)]
}

/** Zipf-like: tag k with weight 1/(k+1). */
function zipfTag (): string {
  const weights = Array.from({ length: TOPICS }, (_, k) => 1 / (k + 1))
  let x = draw.setup() * weights.reduce((a, b) => a + b, 0)
  for (let k = 0; k < TOPICS; k++) {
    x -= weights[k]
    if (x <= 0) return TAGS[k]
  }
  return TAGS[TOPICS - 1]
}

interface SimNode {
  index: number
  stable: boolean
  dataDir: string
  tags: string[]
  cell: string
  topics: string[]
  child?: ChildProcess
  pid?: number
  url?: string
  addresses: string[]
  /** the TCP ports its current process listens on: libp2p's, and its API's */
  ports?: { p2p: string[], api: string }
  online: boolean
  /** ms (Date.now) it came online, for each session */
  /** each process's online span; `startTicks`: its CPU from spawn until it was ready, which cpuDone leaves out */
  sessions: Array<{ from: number, to?: number, startTicks?: number }>
  events?: AbortController
  /** CPU ticks of the current process when measuring began (its start, or the end of the warm-up) */
  cpuStart?: number
  /** ticks of earlier processes of this node (churn), summed */
  cpuDone: number
  peakRssKb?: number
  rssKb?: number
}

interface PostRecord {
  id: string
  author: number
  at: number
  /** when the author's API answered 201: the post is stored there and handed to gossip */
  accepted: number
  topics: string[]
  bytes: number
}

const nodes: SimNode[] = []
const posts = new Map<string, PostRecord>()
/** each return of a churner: seconds from its process's spawn to its API, and to a subscribed peer on each of its topics (secondsToCover) */
const restarts: number[] = []
const rejoins: number[] = []
/** post id → node index → ms of arrival */
const arrivals = new Map<string, Map<number, number>>()
/** sockets' bytes_sent, keyed by address pair, largest seen */
const socketBytes = new Map<string, number>()
const CLK_TCK = 100
/** every node process not yet ended, those still starting too: an interrupted run ends them all */
const children = new Set<ChildProcess>()

async function startNode (node: SimNode, bootstrap: string[]): Promise<void> {
  const args = [
    CLI, 'start', '--json', '--data', node.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0',
    '--no-mdns', '--loopback-only', '--pow-bits', String(POW_BITS),
    ...bootstrap.flatMap(b => ['--bootstrap', b]),
    ...node.topics.flatMap(t => ['--join', t])
  ]
  const profile = PROFILED.has(node.index) ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILES, `node-${node.index}`)}`] : []
  const flags = [...NODE_FLAGS, ...(node.index % 2 === 1 ? ODD_NODE_FLAGS : [])]
  const child = spawn(process.execPath, [...flags, ...profile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  // The nodes yield to this process, which times them: when 50 nodes saturate the cores, an
  // orchestrator with an equal share read its 201s and live events seconds late, and counted
  // that as latency. Among themselves the nodes still compete as equals.
  try {
    setPriority(child.pid as number, NODE_NICENESS)
  } catch (err: any) {
    log(`could not lower node ${node.index}'s priority: ${String(err.message)}`)
  }
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4_000) })
  const lines = createInterface({ input: child.stdout })
  const ready = await new Promise<{ api: string, addresses: string[] }>((resolve, reject) => {
    // killed, or the process would run on unseen, loading the machine for the rest of the run
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`node ${node.index} did not start within 90 s: ${stderr}`)) }, 90_000)
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`node ${node.index} exited with ${String(code)}: ${stderr}`)) })
    lines.on('line', line => {
      try {
        const event = JSON.parse(line)
        if (event.event === 'ready') { clearTimeout(timer); resolve(event) }
      } catch {}
    })
  })
  node.child = child
  node.pid = child.pid
  node.url = ready.api
  node.addresses = ready.addresses
  node.ports = { p2p: ready.addresses.flatMap(a => /\/tcp\/(\d+)/.exec(a)?.[1] ?? []), api: new URL(ready.api).port }
  node.online = true
  node.cpuStart = await cpuTicks(child.pid as number)
  node.sessions.push({ from: Date.now(), ...(node.cpuStart === undefined ? {} : { startTicks: node.cpuStart }) })
  listen(node)
}

async function stopNode (node: SimNode): Promise<void> {
  const child = node.child
  if (child == null || !node.online) return
  // offline for new posts at once; its counters are read before it goes
  node.online = false
  await sampleProcess(node)
  await sampleSockets(node)
  node.events?.abort()
  const session = node.sessions[node.sessions.length - 1]
  session.to = Date.now()
  await endProcess(child)
}

/** The node's live event stream: each post it stores, the moment it stores it. */
function listen (node: SimNode): void {
  const controller = new AbortController()
  node.events = controller
  void (async () => {
    try {
      const res = await fetch(`${node.url as string}/api/events`, { signal: controller.signal })
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block.split('\n').find(l => l.startsWith('data: '))
          if (data == null) continue
          const id = (JSON.parse(data.slice(6)) as { id: string }).id
          let byNode = arrivals.get(id)
          if (byNode == null) arrivals.set(id, byNode = new Map())
          if (!byNode.has(node.index)) byNode.set(node.index, Date.now())
        }
      }
    } catch (err: any) {
      if (!controller.signal.aborted) log(`event stream of node ${node.index} ended: ${String(err.message)}`)
    }
  })()
}

async function cpuTicks (pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return undefined
  }
}

async function sampleProcess (node: SimNode): Promise<void> {
  if (node.pid == null) return
  const ticks = await cpuTicks(node.pid)
  if (ticks != null && node.cpuStart != null) {
    node.cpuDone += ticks - node.cpuStart
    node.cpuStart = ticks
  }
  try {
    const status = await readFile(`/proc/${node.pid}/status`, 'utf8')
    const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN)
    node.peakRssKb = Math.max(node.peakRssKb ?? 0, kb('VmHWM'))
    node.rssKb = kb('VmRSS')
  } catch {}
}

/** The machine's CPU time so far, busy and in all (every core), from /proc/stat's first line. */
async function machineTicks (): Promise<{ busy: number, total: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  // idle and iowait are the only times no task could run
  return { busy: total - fields[3] - fields[4], total }
}

/** Each second of the run: how busy the whole machine was (0–1, all cores), at ms since the run began. */
const busySamples: Array<{ at: number, busy: number }> = []

/**
 * TCP bytes sent by every socket of our node processes (ss keeps per-socket counters): those on
 * a node's libp2p or API port, and those dialled to a node's libp2p port (only nodes dial
 * nodes; the sockets this process dials to the APIs are its own). Found by port, not with
 * `ss -p`, whose search of every process's descriptors took two thirds of each sample's CPU
 * (0.12–0.13 s every 5 s with 50 nodes, ≈ 1.4 % of the machine it measures).
 */
async function sampleSockets (leaving?: SimNode): Promise<void> {
  const current = nodes.filter(n => n.online || n === leaving)
  const p2p = new Set(current.flatMap(n => n.ports?.p2p ?? []))
  const served = new Set([...p2p, ...current.flatMap(n => n.ports?.api ?? [])])
  let out: string
  try {
    out = (await promisify(execFile)('ss', ['-tinH', 'state', 'established'], { maxBuffer: 64 << 20 })).stdout
  } catch {
    return
  }
  const port = (address: string): string => address.slice(address.lastIndexOf(':') + 1)
  const lines = out.split('\n')
  for (let i = 0; i < lines.length; i++) {
    // a socket's line, its details on the next one (indented)
    const [local, peer] = lines[i].trim().split(/\s+/).slice(2, 4)
    if (/^\s/.test(lines[i]) || peer === undefined) continue
    if (!served.has(port(local)) && !p2p.has(port(peer))) continue
    const info = lines[i + 1] ?? ''
    const sent = Number(/bytes_sent:(\d+)/.exec(info)?.[1] ?? /bytes_acked:(\d+)/.exec(info)?.[1] ?? 0)
    const key = `${local} ${peer}`
    socketBytes.set(key, Math.max(socketBytes.get(key) ?? 0, sent))
  }
}

function onlineSeconds (node: SimNode, from: number): number {
  const now = Date.now()
  return node.sessions.reduce((sum, s) => sum + Math.max(0, (s.to ?? now) - Math.max(from, s.from)), 0) / 1000
}

/**
 * What the deliveries slower than SLOW_MS have in common: an author whose API answered late
 * (a busy process), or one just back from churn (its topics' meshes not formed yet).
 */
function slowDeliveries (slow: PostRecord[], runStart: number): { deliveries: number, posts: number, slowApi: number, newAuthor: number } {
  const authorUpMs = (post: PostRecord): number => post.at - (nodes[post.author].sessions.findLast(s => s.from <= post.at)?.from ?? runStart)
  return {
    deliveries: slow.length,
    posts: new Set(slow.map(post => post.id)).size,
    slowApi: slow.filter(post => post.accepted - post.at > SLOW_MS).length,
    newAuthor: slow.filter(post => authorUpMs(post) < 60_000).length
  }
}

function expectedReceivers (post: PostRecord): SimNode[] {
  return nodes.filter(n => n.stable && n.index !== post.author && n.topics.some(t => post.topics.includes(t)))
}

async function publish (): Promise<void> {
  const author = random(nodes.filter(n => n.online), draw.posts)
  const tag = random(author.tags, draw.posts)
  const withPlace = draw.posts() < 0.66
  const geohash = withPlace ? author.cell + BASE32[Math.floor(draw.posts() * 32)] + BASE32[Math.floor(draw.posts() * 32)] : ''
  const at = Date.now()
  try {
    const res = await fetch(`${author.url as string}/api/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: `simulated murmur from node ${author.index} at ${at}: `.padEnd(140, '.'), tags: [tag], ...(withPlace ? { geohash } : {}) })
    })
    const body = await res.json() as { id?: string, error?: string }
    if (res.status !== 201 || body.id == null) {
      log(`post on node ${author.index} failed: ${res.status} ${JSON.stringify(body)}`)
      return
    }
    posts.set(body.id, { id: body.id, author: author.index, at, accepted: Date.now(), topics: [`tag:${tag}`, ...(withPlace ? [`geo:${author.cell}`] : [])], bytes: 0 })
  } catch (err: any) {
    log(`post on node ${author.index} failed: ${String(err.message)}`)
  }
}

interface Connectivity {
  connections: { median: number, min: number }
  covered: number
  /** each topic a node has no subscribed peer on: the online nodes that joined it, and which of them it is connected to */
  uncovered: Array<{ node: number, topic: string, members: number[], connected: number[] }>
}
let connectivity: Connectivity | undefined
let warmUpSeconds: number | undefined
let settleSeconds: number | undefined
let driverCpuPercent: number | undefined

type PeersView = Array<{ peerId: string, topics: string[] }>

/** A node's API answer, read as T; a starved node's silence past API_TIMEOUT_MS throws. */
async function apiJson<T> (node: SimNode, path: string): Promise<T> {
  return await (await fetch(`${node.url as string}${path}`, { signal: AbortSignal.timeout(API_TIMEOUT_MS) })).json() as T
}

async function peersOf (node: SimNode): Promise<PeersView> {
  return (await apiJson<{ peers: PeersView }>(node, '/api/peers')).peers
}

/** The node's topics that some other node joined and none of its connected peers subscribes to. */
function lackingTopics (node: SimNode, peers: PeersView): string[] {
  return node.topics.filter(t => !peers.some(p => p.topics.includes(t)) && nodes.some(n => n !== node && n.topics.includes(t)))
}

/**
 * Seconds from `since` until a returned node has a connected subscriber on each of its topics
 * that another online node shares; undefined if it leaves first or takes over two minutes.
 */
async function secondsToCover (node: SimNode, since: number): Promise<number | undefined> {
  while (node.online && Date.now() - since < 120_000) {
    try {
      const peers = await peersOf(node)
      const lacking = lackingTopics(node, peers).filter(t => nodes.some(n => n !== node && n.online && n.topics.includes(t)))
      if (lacking.length === 0) return round((Date.now() - since) / 1000, 1)
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 1_000))
  }
  return undefined
}

/** Who is connected to whom: each node's connections, and whether each of its topics has a connected subscriber. */
async function survey (): Promise<Connectivity> {
  const counts: number[] = []
  let covered = 0
  const uncovered: Connectivity['uncovered'] = []
  const online = nodes.filter(n => n.online)
  const peerIdOf = (n: SimNode): string => n.addresses[0]?.split('/p2p/')[1] ?? ''
  for (const node of online) {
    try {
      const peers = await peersOf(node)
      counts.push(peers.length)
      const lacking = lackingTopics(node, peers)
      if (lacking.length === 0) covered++
      // connected to a member without knowing its subscription is gossipsub's doing; not connected, discovery's
      for (const topic of lacking) {
        const members = online.filter(n => n !== node && n.topics.includes(topic))
        const connected = members.filter(m => peers.some(p => p.peerId === peerIdOf(m)))
        uncovered.push({ node: node.index, topic, members: members.map(m => m.index), connected: connected.map(m => m.index) })
      }
    } catch {}
  }
  return { connections: { median: percentile(counts, 50), min: Math.min(...counts) }, covered, uncovered }
}

/**
 * Until the nodes' start-up syncs are over, or SETTLE_S: no session running on any online
 * node, and none started or ended since the last look (each look takes a few seconds, longer
 * than a sync trigger's delay). Posting while the last tens of nodes to start still reconciled
 * every topic with their new peers measured the boot of 50 processes on two cores, not the
 * running network; churn still brings such syncs into the run, and they are measured there.
 */
async function syncSettled (): Promise<void> {
  let last = ''
  const since = Date.now()
  while (Date.now() - since < SETTLE_S * 1000) {
    const views: Array<{ active: number, completed: number, failed: number } | undefined> = []
    for (const node of nodes.filter(n => n.online)) {
      try {
        views.push((await apiJson<{ sync: { active: number, completed: number, failed: number } }>(node, '/api/status')).sync)
      } catch {
        views.push(undefined)
      }
    }
    const now = JSON.stringify(views.map(v => [v?.completed, v?.failed]))
    const active = views.reduce((n, v) => n + (v?.active ?? 1), 0)
    if (active === 0 && now === last) return
    last = now
    await new Promise(resolve => setTimeout(resolve, 2_000))
  }
}

function logUncovered (c: Connectivity): void {
  for (const u of c.uncovered) log(`  node ${u.node} has no subscribed peer on ${u.topic}: online members ${u.members.join(', ') || 'none'}, connected to ${u.connected.join(', ') || 'none'}`)
}

// ------------------------------------------------------------------ the run

const root = await mkdtemp(join(tmpdir(), 'murmur-sim-'))
onInterrupt(async () => {
  await Promise.all([...children].map(endProcess))
  await rm(root, { recursive: true, force: true })
})
const churners = Math.round((NODES - BOOTSTRAPS) * CHURN)
for (let i = 0; i < NODES; i++) {
  const tags = [...new Set([zipfTag(), zipfTag()])]
  const cell = random(CELLS, draw.setup)
  nodes.push({
    index: i,
    stable: i < BOOTSTRAPS || i >= BOOTSTRAPS + churners,
    dataDir: join(root, `node-${i}`),
    tags,
    cell,
    topics: [...tags.map(t => `tag:${t}`), `geo:${cell}`],
    addresses: [],
    cpuDone: 0,
    online: false,
    sessions: []
  })
}

let exitCode = 0
try {
  log(`starting ${NODES} nodes (${churners} churning), ${TOPICS} tags, ${RATE} posts/s for ${MINUTES} min, --seed ${SEED}`)
  for (const node of nodes.slice(0, BOOTSTRAPS)) {
    await mkdir(node.dataDir, { recursive: true })
    await startNode(node, nodes.slice(0, node.index).map(n => n.addresses[0]))
  }
  const bootstrap = nodes.slice(0, BOOTSTRAPS).map(n => n.addresses[0])
  const rest = nodes.slice(BOOTSTRAPS)
  for (let i = 0; i < rest.length; i += 5) {
    await Promise.all(rest.slice(i, i + 5).map(async node => {
      await mkdir(node.dataDir, { recursive: true })
      await startNode(node, bootstrap)
    }))
    log(`${Math.min(i + 5, rest.length) + BOOTSTRAPS} nodes up`)
  }
  // let discovery find topic peers and meshes form: until every node has a peer on each of
  // its topics, or --warmup seconds; then 10 s more for gossipsub's heartbeats to graft meshes
  const warmStart = Date.now()
  while (true) {
    connectivity = await survey()
    log(`connections per node: median ${connectivity.connections.median}, min ${connectivity.connections.min}; nodes with a subscribed peer on every topic they joined: ${connectivity.covered}/${NODES}`)
    logUncovered(connectivity)
    if (connectivity.covered === NODES || Date.now() - warmStart > WARMUP_S * 1000) break
    await new Promise(resolve => setTimeout(resolve, 5_000))
  }
  warmUpSeconds = round((Date.now() - warmStart) / 1000, 0)
  const settleStart = Date.now()
  await syncSettled()
  settleSeconds = round((Date.now() - settleStart) / 1000, 0)
  log(`start-up syncs settled after ${settleSeconds} s`)
  await new Promise(resolve => setTimeout(resolve, 10_000))
  for (const node of nodes) {
    node.cpuDone = 0
    node.cpuStart = await cpuTicks(node.pid as number)
  }

  const runMs = MINUTES * 60_000
  const runStart = Date.now()
  const sampler = setInterval(() => { void sampleSockets() }, 5_000)
  const driverCpu = process.cpuUsage()
  let lastTicks = await machineTicks()
  const runStartTicks = lastTicks
  const busySampler = setInterval(() => {
    void machineTicks().then(now => {
      if (now.total > lastTicks.total) busySamples.push({ at: Date.now() - runStart, busy: (now.busy - lastTicks.busy) / (now.total - lastTicks.total) })
      lastTicks = now
    }, () => {})
  }, 1_000)
  const churning = nodes.filter(n => !n.stable)
  const churnLoop = (async () => {
    // each churner leaves for 10–30 s, then comes back, a few times a run
    while (Date.now() - runStart < runMs - 30_000 && churning.length > 0) {
      await new Promise(resolve => setTimeout(resolve, (5 + draw.churn() * 10) * 1000))
      const node = random(churning.filter(n => n.online), draw.churn)
      if (node == null) continue
      log(`node ${node.index} leaves`)
      await stopNode(node)
      void (async () => {
        await new Promise(resolve => setTimeout(resolve, (10 + draw.churn() * 20) * 1000))
        const spawned = Date.now()
        await startNode(node, bootstrap).then(async () => {
          log(`node ${node.index} is back`)
          restarts.push(round((Date.now() - spawned) / 1000, 1))
          const seconds = await secondsToCover(node, spawned)
          if (seconds !== undefined) rejoins.push(seconds)
        }, err => { log(String(err)) })
      })()
    }
  })()
  const pending: Array<Promise<void>> = []
  let next = runStart
  while (Date.now() - runStart < runMs) {
    next += -Math.log(1 - draw.posts()) / RATE * 1000
    const wait = next - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    pending.push(publish())
  }
  await Promise.all(pending)
  await churnLoop
  log(`${posts.size} posts; waiting 15 s for the last deliveries`)
  await new Promise(resolve => setTimeout(resolve, 15_000))
  clearInterval(sampler)
  clearInterval(busySampler)
  const driver = process.cpuUsage(driverCpu)
  // this process (posting, reading 50 event streams, polling ss and /proc) runs at a higher priority than the nodes
  driverCpuPercent = round((driver.user + driver.system) / 1e4 / ((Date.now() - runStart) / 1000), 1)
  await sampleSockets()
  for (const node of nodes) if (node.online) await sampleProcess(node)
  // whose the busy time was: a run's latency depends on how much of the cores other tenants took
  const endTicks = await machineTicks()
  const runTicks = Math.max(1, endTicks.total - runStartTicks.total)
  // a process that came back during the run: its start-up too
  const restartTicks = nodes.flatMap(node => node.sessions).filter(session => session.from >= runStart).reduce((n, session) => n + (session.startTicks ?? 0), 0)
  const oursTicks = nodes.reduce((n, node) => n + node.cpuDone, 0) + restartTicks + (driver.user + driver.system) / 1e6 * CLK_TCK
  const machineShare = {
    busy: round(100 * (endTicks.busy - runStartTicks.busy) / runTicks, 1),
    simulation: round(100 * oursTicks / runTicks, 1),
    others: round(100 * Math.max(0, endTicks.busy - runStartTicks.busy - oursTicks) / runTicks, 1)
  }
  const gossipCounters = { accepted: 0, ignored: 0, rejected: 0 }
  // streams gossip-links.ts opened again: a connection that had lost its gossip stream
  let linksMended = 0
  let identifiedAgain = 0
  // DHT walks of discovery, over each process's life: a node that never left over the run, a returned one since its last return
  const walks = { firstProcess: { provide: 0, lookup: 0 }, afterReturn: { provide: 0, lookup: 0 }, returns: 0 }
  // history sync besides gossip: sessions as initiator or responder, and newly met subscribers
  // left alone because the topic was covered, over each node's lifetime
  const syncCounters = { completed: 0, failed: 0, bytesIn: 0, covered: 0 }
  const syncTriggers: Record<string, number> = {}
  const syncFailures: Record<string, number> = {}
  const add = (into: Record<string, number>, from: Record<string, number>): void => { for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n }
  for (const node of nodes.filter(n => n.online)) {
    try {
      const status = await apiJson<{ gossip: typeof gossipCounters, gossipLinksMended: number, identifiedAgain: number, discoveryWalks: { provide: number, lookup: number }, sync: typeof syncCounters & { triggered: Record<string, number>, failures: Record<string, number> } }>(node, '/api/status')
      for (const key of Object.keys(gossipCounters) as Array<keyof typeof gossipCounters>) gossipCounters[key] += status.gossip[key]
      linksMended += status.gossipLinksMended
      identifiedAgain += status.identifiedAgain
      const into = node.sessions.length < 2 ? walks.firstProcess : walks.afterReturn
      into.provide += status.discoveryWalks.provide
      into.lookup += status.discoveryWalks.lookup
      if (into === walks.afterReturn) walks.returns++
      for (const key of Object.keys(syncCounters) as Array<keyof typeof syncCounters>) syncCounters[key] += status.sync[key]
      add(syncTriggers, status.sync.triggered)
      add(syncFailures, status.sync.failures)
    } catch {}
  }
  log(`gossip validator outcomes on the nodes online at the end: ${JSON.stringify(gossipCounters)}; gossip streams mended: ${linksMended}; connections identified again: ${identifiedAgain}; discovery's DHT walks: ${JSON.stringify(walks)}; sync sessions: ${JSON.stringify(syncCounters)}, started on ${JSON.stringify(syncTriggers)}, failed with ${JSON.stringify(syncFailures)}`)
  // discovery's lookups and other nodes' DHT walks add connections as the run goes on
  const connectivityAtEnd = await survey()
  log(`at the end, connections per node: median ${connectivityAtEnd.connections.median}, min ${connectivityAtEnd.connections.min}`)
  logUncovered(connectivityAtEnd)
  if (restarts.length > 0) log(`returning nodes answered their API after (s from spawn): median ${percentile(restarts, 50)}, max ${Math.max(...restarts)} (${restarts.length} returns)`)
  if (rejoins.length > 0) log(`returning nodes had a subscribed peer on each of their topics after (s from spawn): median ${percentile(rejoins, 50)}, p90 ${percentile(rejoins, 90)}, max ${Math.max(...rejoins)} (${rejoins.length} returns)`)
  if (PROFILED.size > 0) log(`CPU profiles of nodes ${[...PROFILED].join(', ')} are in ${PROFILES}`)

  // ---------------------------------------------------------------- report
  const latencies: number[] = []
  // the same deliveries from the author's 201 on: the network's part, without the author's API
  const network: number[] = []
  const api = [...posts.values()].map(p => p.accepted - p.at)
  const perTopic = new Map<string, { expected: number, delivered: number }>()
  const buckets = new Map<number, { latencies: number[], expected: number, delivered: number }>()
  let deliveries = 0
  for (const arrived of arrivals.values()) deliveries += arrived.size
  // each delivery over SLOW_MS, as its post
  const slow: PostRecord[] = []
  // each post some stable receiver never got: who wrote it, how long after its author came
  // online, and who missed it (a loss to explain, not only to count)
  const missed: Array<{ id: string, author: number, s: number, authorUpS: number, topics: string[], receivers: number[] }> = []
  for (const post of posts.values()) {
    const arrived = arrivals.get(post.id) ?? new Map<number, number>()
    const bucket = Math.floor((post.at - runStart) / 1000 / BUCKET_S)
    const b = buckets.get(bucket) ?? { latencies: [], expected: 0, delivered: 0 }
    buckets.set(bucket, b)
    for (const receiver of expectedReceivers(post)) {
      const at = arrived.get(receiver.index)
      for (const topic of post.topics.filter(t => receiver.topics.includes(t))) {
        const t = perTopic.get(topic) ?? { expected: 0, delivered: 0 }
        t.expected++
        if (at != null) t.delivered++
        perTopic.set(topic, t)
      }
      b.expected++
      if (at == null) {
        const last = missed.at(-1)
        if (last?.id === post.id) last.receivers.push(receiver.index)
        else {
          const online = nodes[post.author].sessions.findLast(x => x.from <= post.at)
          missed.push({ id: post.id, author: post.author, s: round((post.at - runStart) / 1000, 1), authorUpS: round((post.at - (online?.from ?? runStart)) / 1000, 1), topics: post.topics, receivers: [receiver.index] })
        }
      }
      if (at != null) {
        b.delivered++
        b.latencies.push(at - post.at)
        latencies.push(at - post.at)
        network.push(at - post.accepted)
        if (at - post.at > SLOW_MS) slow.push(post)
      }
    }
  }
  const tail = slowDeliveries(slow, runStart)
  const expected = [...buckets.values()].reduce((n, b) => n + b.expected, 0)
  const delivered = [...buckets.values()].reduce((n, b) => n + b.delivered, 0)
  const bytesSent = [...socketBytes.values()].reduce((a, b) => a + b, 0)
  const perNode = nodes.map(n => ({
    node: n.index,
    stable: n.stable,
    topics: n.topics,
    // churners: CPU over the time they were online
    cpuPercent: round(n.cpuDone / CLK_TCK / onlineSeconds(n, runStart) * 100, 1),
    peakRssMb: n.peakRssKb != null ? round(n.peakRssKb / 1024, 1) : null,
    rssMb: n.rssKb != null ? round(n.rssKb / 1024, 1) : null
  }))
  const cpu = perNode.map(n => n.cpuPercent).filter((x): x is number => x != null)
  const rss = perNode.map(n => n.peakRssMb).filter((x): x is number => x != null)
  // the nodes online throughout, bootstraps left out (they hold more connections than the rest)
  const group = (parity: number): { nodes: number, cpuPercentMedian: number, peakRssMbMedian: number } => {
    const members = perNode.filter(n => n.stable && n.node >= BOOTSTRAPS && n.node % 2 === parity)
    return {
      nodes: members.length,
      cpuPercentMedian: percentile(members.map(n => n.cpuPercent), 50),
      peakRssMbMedian: percentile(members.map(n => n.peakRssMb).filter((x): x is number => x != null), 50)
    }
  }
  const flagsCompared = ODD_NODE_FLAGS.length > 0 ? { oddNodeFlags: ODD_NODE_FLAGS.join(' '), odd: group(1), even: group(0) } : undefined
  const busyOf = (samples: typeof busySamples): number => round(100 * samples.reduce((a, b) => a + b.busy, 0) / Math.max(1, samples.length), 1)
  const posting = busySamples.filter(b => b.at < runMs)
  const report = {
    date: new Date().toISOString(),
    params: { nodes: NODES, topics: TOPICS, rate: RATE, minutes: MINUTES, churners, powBits: POW_BITS, seed: SEED, nodeFlags: NODE_FLAGS.join(' '), oddNodeFlags: ODD_NODE_FLAGS.join(' ') },
    posts: posts.size,
    connectivity,
    connectivityAtEnd,
    warmUpSeconds,
    settleSeconds,
    gossipCounters,
    linksMended,
    identifiedAgain,
    discoveryWalks: walks,
    restartSeconds: restarts,
    rejoinSeconds: rejoins,
    sync: { ...syncCounters, triggered: syncTriggers, failures: syncFailures },
    stable: { expected, delivered, deliveryRatio: round(delivered / Math.max(1, expected), 4), missed },
    latencyMs: { ...spread(latencies), max: percentile(latencies, 100) },
    afterAcceptedMs: spread(network),
    slowDeliveries: tail,
    authorApiMs: spread(api),
    // the whole machine (every process, every core) while posts were sent: how saturated the run was
    machineBusyPercent: { mean: busyOf(posting), secondsOver95: posting.filter(b => b.busy > 0.95).length, seconds: posting.length },
    // posting and the wait after it, in % of all cores: the nodes and this process, and the rest
    machineShare,
    driverCpuPercent,
    perTopic: Object.fromEntries([...perTopic].sort().map(([t, v]) => [t, { ...v, ratio: round(v.delivered / v.expected, 4) }])),
    traffic: { bytesSent, deliveries, bytesPerDelivery: round(bytesSent / Math.max(1, deliveries), 0) },
    perNodeSummary: {
      cpuPercent: { median: percentile(cpu, 50), max: Math.max(...cpu) },
      peakRssMb: { median: percentile(rss, 50), max: Math.max(...rss) },
      ...(flagsCompared === undefined ? {} : { flagsCompared })
    },
    perNode,
    timeline: [...buckets].sort((a, b) => a[0] - b[0]).map(([k, b]) => ({
      t: k * BUCKET_S,
      p50: percentile(b.latencies, 50),
      p99: percentile(b.latencies, 99),
      delivery: round(b.delivered / Math.max(1, b.expected), 4),
      busyPercent: busyOf(busySamples.filter(x => Math.floor(x.at / 1000 / BUCKET_S) === k))
    }))
  }
  await mkdir(RESULTS, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')
  const file = join(RESULTS, `simulate-${NODES}-${stamp}`)
  await writeFile(`${file}.json`, JSON.stringify(report, null, 2) + '\n')
  await writeFile(`${file}.svg`, plot(report.timeline, `${NODES} nodes, ${TOPICS} tags, ${RATE} posts/s, ${churners} churning`))
  console.log(`posts ${report.posts}; stable deliveries ${delivered}/${expected} = ${report.stable.deliveryRatio}`)
  for (const m of missed) console.log(`  missed: post ${m.id.slice(0, 12)} at ${m.s} s by node ${m.author} (online for ${m.authorUpS} s) on ${m.topics.join(', ')}, by nodes ${m.receivers.join(', ')}`)
  const said = (x: ReturnType<typeof spread>): string => `p50 ${x.p50} p90 ${x.p90} p99 ${x.p99}`
  console.log(`latency ms ${said(report.latencyMs)} max ${report.latencyMs.max}`)
  console.log(`  of which the author's API (request to 201) ${said(report.authorApiMs)}; from the 201 on ${said(report.afterAcceptedMs)}`)
  console.log(`deliveries over ${SLOW_MS} ms: ${tail.deliveries} of ${tail.posts} posts; the author's API took over ${SLOW_MS} ms for ${tail.slowApi}, the author had been online under 60 s for ${tail.newAuthor}`)
  for (const [topic, v] of Object.entries(report.perTopic)) console.log(`  ${topic.padEnd(16)} ${v.delivered}/${v.expected} = ${v.ratio}`)
  console.log(`bytes sent per delivery ${report.traffic.bytesPerDelivery} (${bytesSent} B over ${deliveries} deliveries, all nodes)`)
  console.log(`machine busy while posting: ${report.machineBusyPercent.mean} % of all cores on average, over 95 % for ${report.machineBusyPercent.secondsOver95} of ${report.machineBusyPercent.seconds} s; this simulation's own process ${driverCpuPercent ?? '?'} % of a core`)
  console.log(`whose, from the first post to the end: ${machineShare.busy} % of all cores busy, the simulation's processes ${machineShare.simulation} %, other processes ${machineShare.others} %`)
  console.log(`per node: CPU median ${report.perNodeSummary.cpuPercent.median} % of a core (max ${report.perNodeSummary.cpuPercent.max}), peak RSS median ${report.perNodeSummary.peakRssMb.median} MB (max ${report.perNodeSummary.peakRssMb.max})`)
  if (flagsCompared !== undefined) {
    const { odd, even } = flagsCompared
    console.log(`with ${flagsCompared.oddNodeFlags} (odd nodes, ${odd.nodes}): CPU median ${odd.cpuPercentMedian} %, peak RSS median ${odd.peakRssMbMedian} MB; without (even nodes, ${even.nodes}): ${even.cpuPercentMedian} %, ${even.peakRssMbMedian} MB`)
  }
  console.log(`wrote ${file}.json and .svg`)
  if (report.stable.deliveryRatio < 1 || (report.latencyMs.p99 ?? Infinity) > SLOW_MS) exitCode = 1
} finally {
  await Promise.all(nodes.map(async n => { await stopNode(n).catch(() => {}) }))
  await rm(root, { recursive: true, force: true })
}
console.log(JSON.stringify({ exit: exitCode }))
process.exit(exitCode)

/** Hand-written SVG: latency p50/p99 (log scale) and delivery ratio per bucket of post time. */
function plot (timeline: Array<{ t: number, p50: number, p99: number, delivery: number }>, title: string): string {
  const W = 720
  const H = 200
  const left = 60
  const top = 30
  const maxT = Math.max(BUCKET_S, ...timeline.map(p => p.t + BUCKET_S))
  const x = (t: number): number => left + (t / maxT) * (W - left - 20)
  const logY = (ms: number): number => top + H - (Math.log10(Math.max(1, ms)) / 4) * H
  const dY = (r: number): number => top + H + 60 + (1 - r) * 100 * 2
  const path = (points: Array<[number, number]>): string => points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ')
  const valid = timeline.filter(p => Number.isFinite(p.p50))
  const grid = [1, 10, 100, 1000, 10000].map(ms => `<line x1="${left}" x2="${W - 20}" y1="${logY(ms)}" y2="${logY(ms)}" stroke="#ddd"/><text x="${left - 6}" y="${logY(ms) + 4}" text-anchor="end">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`).join('')
  const ticks = Array.from({ length: Math.floor(maxT / 30) + 1 }, (_, i) => i * 30).map(t => `<text x="${x(t)}" y="${top + H + 16}" text-anchor="middle">${t} s</text>`).join('')
  const dGrid = [1, 0.9, 0.8].map(r => `<line x1="${left}" x2="${W - 20}" y1="${dY(r)}" y2="${dY(r)}" stroke="#ddd"/><text x="${left - 6}" y="${dY(r) + 4}" text-anchor="end">${r}</text>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${top + H + 60 + 220}" font-family="sans-serif" font-size="11">
<text x="${left}" y="18" font-size="13">murmur simulation: ${title}</text>
${grid}${ticks}
<path d="${path(valid.map(p => [x(p.t + BUCKET_S / 2), logY(p.p50)]))}" fill="none" stroke="#2a7" stroke-width="2"/>
<path d="${path(valid.map(p => [x(p.t + BUCKET_S / 2), logY(p.p99)]))}" fill="none" stroke="#c52" stroke-width="2"/>
<line x1="${left}" x2="${W - 20}" y1="${logY(2000)}" y2="${logY(2000)}" stroke="#c52" stroke-dasharray="4 3"/>
<text x="${W - 20}" y="${top + 10}" text-anchor="end"><tspan fill="#2a7">latency p50</tspan>  <tspan fill="#c52">p99 (dashed: 2 s goal)</tspan>, by post time</text>
<text x="${left}" y="${top + H + 48}" font-size="13">delivery ratio to nodes online the whole run</text>
${dGrid}
<path d="${path(timeline.map(p => [x(p.t + BUCKET_S / 2), dY(Math.max(0.8, p.delivery))]))}" fill="none" stroke="#36c" stroke-width="2"/>
</svg>
`
}
