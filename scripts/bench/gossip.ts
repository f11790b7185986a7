// Gossip benchmark: eight or more libp2p nodes in this process on loopback TCP + noise + yamux,
// murmur nodes (createNode: validator, store, DHT, sync) beside bare gossipsub nodes (no
// validator) in the same topology with the same envelopes: an untimed burst each, then two
// bursts each, alternated, then a paced run each, and one at a quarter of that rate (context:
// at the rate both loops run nearly full). One process: both networks pay the same
// in-process costs, and latencies share one clock.

import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from 'libp2p'
import pWaitFor from 'p-wait-for'
import { createNode, type MurmurNode } from '../../src/index.js'
import { createBareGossipNode, dialPersistently } from '../../test/helpers/raw-peer.js'
import { toGossipTopic, parseTopic } from '../../src/geo/index.js'
import { bodyId, decodeEnvelope } from '../../src/post/index.js'
import type { PostView } from '../../src/node/views.js'
import { dataset, shapeOf } from './dataset.js'
import { percentile, round, tempDir } from './common.js'

export const GOSSIP_TOPIC = 'tag:bench'
const GOSSIP_NAME = toGossipTopic(parseTopic(GOSSIP_TOPIC))

interface Net {
  pubsubs: GossipSub[]
  /**
   * Calls back on each message a node (index) delivers to its user, by envelope: gossipsub's
   * `message` event on bare nodes; on murmur nodes the node's `post` event, after the post
   * is stored (with asynchronous validation, gossipsub announces a message before its
   * validation has run). Returns its removal.
   */
  onDelivery: (listener: (node: number, data: Uint8Array) => void) => () => void
  stop: () => Promise<void>
}

/**
 * Every node dials every other. Not a sparser ring: murmur's discovery finds and dials the
 * topic's other peers through the DHT, so a ring of murmur nodes became a near-complete graph
 * (7–13 connections and meshes of 4–7 each) while the bare ring kept 4; with both complete,
 * gossipsub has the same peers to mesh with on both sides. A dial that a loaded machine
 * resets is tried again (dialPersistently).
 */
async function connect (nodes: Libp2p[]): Promise<void> {
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) await dialPersistently(nodes[i], nodes[j].getMultiaddrs()[0])
  }
}

/** The implementation's mesh, which the public GossipSub type does not show. */
function meshSize (pubsub: GossipSub): number {
  return (pubsub as unknown as { mesh: Map<string, Set<string>> }).mesh.get(GOSSIP_NAME)?.size ?? 0
}

async function meshReady (pubsubs: GossipSub[]): Promise<void> {
  await pWaitFor(() => pubsubs.every(p => meshSize(p) >= 2), { interval: 100, timeout: 30_000 })
}

async function bareNet (n: number): Promise<Net> {
  const nodes: Libp2p[] = []
  for (let i = 0; i < n; i++) {
    nodes.push(await createBareGossipNode())
  }
  const pubsubs = nodes.map(node => (node.services as { pubsub: GossipSub }).pubsub)
  for (const p of pubsubs) p.subscribe(GOSSIP_NAME)
  await connect(nodes)
  await meshReady(pubsubs)
  const onDelivery: Net['onDelivery'] = listener => {
    const removals = pubsubs.map((p, i) => {
      const onMessage = (evt: CustomEvent<{ data: Uint8Array }>): void => { listener(i, evt.detail.data) }
      p.addEventListener('message', onMessage)
      return () => { p.removeEventListener('message', onMessage) }
    })
    return () => { for (const remove of removals) remove() }
  }
  return { pubsubs, onDelivery, stop: async () => { await Promise.all(nodes.map(async node => { await node.stop() })) } }
}

/**
 * Until the nodes' start-up syncs are over. A node syncs the topic with each subscriber it
 * meets (1–1.5 s after, debounced), and the mesh is ready before those sessions are: a burst
 * sent at once ran with ≈ 40 of them, which reconciled sets the burst was changing (sync and
 * the peer store ≈ 7 % of the burst's CPU profile), a start-up cost bare gossipsub has no
 * counterpart to. Quiet: no session running on any node, and none started or ended for 2 s,
 * longer than a trigger's longest delay.
 */
async function syncSettled (nodes: MurmurNode[]): Promise<void> {
  let last = ''
  await pWaitFor(() => {
    const progress = nodes.map(node => node.sync.progress())
    const now = JSON.stringify(progress.map(p => [p.completed, p.failed, p.triggered]))
    const quiet = progress.every(p => p.active === 0) && now === last
    last = now
    return quiet
  }, { interval: 2_000, timeout: 60_000 })
}

async function murmurNet (n: number, verifyThreads: number, envelopes: Uint8Array[]): Promise<Net & { nodes: MurmurNode[] }> {
  // post id → envelope, worked out before the runs so the nodes' CPU does not include it
  const byId = new Map(envelopes.map(e => [Buffer.from(bodyId(decodeEnvelope(e).body)).toString('hex'), e]))
  const dirs = await Promise.all(Array.from({ length: n }, async () => tempDir('gossip')))
  const nodes: MurmurNode[] = []
  for (const dir of dirs) {
    const node = await createNode({
      dataDir: dir.path,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      loopbackOnly: true,
      mdns: false,
      powBits: 0,
      join: [GOSSIP_TOPIC],
      // the benchmark measures the pipeline: a node's per-peer budget (50 a second, burst 500,
      // docs/abuse.md) would cut a one-publisher burst of 1 000 by design
      gossipRate: 100_000,
      gossipBurst: 100_000,
      verifyThreads
    })
    await node.start()
    nodes.push(node)
  }
  const pubsubs = nodes.map(node => node.libp2p.services.pubsub)
  await connect(nodes.map(node => node.libp2p))
  await meshReady(pubsubs)
  await syncSettled(nodes)
  const onDelivery: Net['onDelivery'] = listener => {
    const removals = nodes.map((node, i) => {
      const onPost = (evt: Event): void => {
        const data = byId.get((evt as CustomEvent<PostView>).detail.id)
        if (data != null) listener(i, data)
      }
      node.events.addEventListener('post', onPost)
      return () => { node.events.removeEventListener('post', onPost) }
    })
    return () => { for (const remove of removals) remove() }
  }
  return {
    nodes,
    pubsubs,
    onDelivery,
    stop: async () => {
      await Promise.all(nodes.map(async node => { await node.stop() }))
      await Promise.all(dirs.map(async d => { await d.remove() }))
    }
  }
}

/** The signature closes every envelope: its last 16 bytes name a message. */
function keyOf (data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset + data.byteLength - 16, 16).toString('hex')
}

/** What gossipsub did in a run, summed over the nodes: the cost of the copies behind the deliveries. */
interface Traffic {
  /** messages in the RPCs received, duplicates included */
  received: number
  /** RPCs that gossipsub could not hand to a peer's stream (no stream, or the write threw) */
  sendFailures: number
}

interface Internals {
  handleReceivedRpc: (from: unknown, rpc: { messages: unknown[] }) => Promise<void>
  sendRpc: (id: string, rpc: unknown) => boolean
}

const traffic = new WeakMap<GossipSub, Traffic>()

/** Counts, on the implementation's private methods, the messages a node receives and the sends it fails. */
function trafficOf (pubsub: GossipSub): Traffic {
  let counts = traffic.get(pubsub)
  if (counts != null) return counts
  const seen: Traffic = counts = { received: 0, sendFailures: 0 }
  const internals = pubsub as unknown as Internals
  const receive = internals.handleReceivedRpc.bind(pubsub)
  const send = internals.sendRpc.bind(pubsub)
  internals.handleReceivedRpc = async (from, rpc) => {
    seen.received += rpc.messages.length
    await receive(from, rpc)
  }
  internals.sendRpc = (id, rpc) => {
    const sent = send(id, rpc)
    if (!sent) seen.sendFailures++
    return sent
  }
  traffic.set(pubsub, counts)
  return counts
}

interface Run {
  /** deliveries to all nodes but the publisher */
  delivered: number
  expected: number
  seconds: number
  latencies: number[]
  /** CPU µs per delivery: the event loop's thread, and the whole process (workers, libuv's pool) */
  /** per delivery; busy: the event loop's CPU time over the run's time, in cores */
  cpu: { mainUs: number, processUs: number, busy: number }
  /** the event loop's, until the traffic settled (copiesSettled): the late duplicates' cost too */
  cpuSettledMainUs: number
  /** messages received per node but the publisher, per message published, duplicates included, by the run's end */
  copies: number
  /**
   * The same once the nodes' traffic has stopped (no message received for half a second):
   * a fast forwarder's duplicates queue behind the publisher's copies and arrive after the
   * last delivery, outside the run's time and CPU.
   */
  copiesSettled: number
  sendFailures: number
  /** each node's mesh on the topic when the run began */
  meshes: number[]
}

/** Publishes from node 0, `interval` ms apart (0: a burst), until every other node has every message or timeout. */
async function publishRun (net: Net, envelopes: Uint8Array[], interval: number, timeoutMs: number): Promise<Run> {
  const sent = new Map<string, number>()
  const latencies: number[] = []
  let delivered = 0
  let lastDelivery = 0
  const expected = envelopes.length * (net.pubsubs.length - 1)
  const remove = net.onDelivery((node, data) => {
    if (node === 0) return
    const at = sent.get(keyOf(data))
    if (at == null) return
    delivered++
    lastDelivery = performance.now()
    latencies.push(lastDelivery - at)
  })
  const counts = net.pubsubs.map(trafficOf)
  const before = counts.map(c => ({ ...c }))
  const meshes = net.pubsubs.map(meshSize)
  const started = performance.now()
  const thread0 = process.threadCpuUsage()
  const process0 = process.cpuUsage()
  try {
    for (let i = 0; i < envelopes.length; i++) {
      if (interval > 0) {
        const due = started + i * interval
        const wait = due - performance.now()
        if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      }
      sent.set(keyOf(envelopes[i]), performance.now())
      await net.pubsubs[0].publish(GOSSIP_NAME, envelopes[i])
    }
    await pWaitFor(() => delivered >= expected, { interval: 5, timeout: timeoutMs }).catch(() => {})
    // a run lasts until its last delivery; the wait for late copies below is not part of it
    const seconds = ((delivered > 0 ? lastDelivery : performance.now()) - started) / 1000
    const thread = process.threadCpuUsage(thread0)
    const all = process.cpuUsage(process0)
    const per = (usage: NodeJS.CpuUsage): number => round((usage.user + usage.system) / Math.max(1, delivered), 0)
    const receivedSince = (): number => counts.reduce((n, c, i) => n + c.received - before[i].received, 0)
    const received = receivedSince()
    let last = -1
    await pWaitFor(() => {
      const now = receivedSince()
      const quiet = now === last
      last = now
      return quiet
    }, { interval: 500, timeout: 30_000 }).catch(() => {})
    const threadSettled = process.threadCpuUsage(thread0)
    const sendFailures = counts.reduce((n, c, i) => n + c.sendFailures - before[i].sendFailures, 0)
    const perMessage = (messages: number): number => round(messages / (net.pubsubs.length - 1) / envelopes.length, 2)
    return {
      delivered,
      expected,
      seconds,
      latencies,
      cpu: { mainUs: per(thread), processUs: per(all), busy: round((thread.user + thread.system) / 1e6 / Math.max(seconds, 1e-3), 2) },
      cpuSettledMainUs: per(threadSettled),
      copies: perMessage(received),
      copiesSettled: perMessage(last),
      sendFailures,
      meshes
    }
  } finally {
    remove()
  }
}

export interface GossipFigures {
  nodes: number
  envelopeBytes: number
  /** burstRate: the faster of the two bursts (burstRates), whose CPU and traffic are reported; burstDelivery: the worse */
  bare: GossipSide
  murmur: GossipSide
  /** messages per second published in the paced runs: half the faster bare burst's rate */
  pacedRate: number
  /** the same, in the runs at a quarter of pacedRate */
  quarterRate: number
  ratio: number
  p50Ratio: number
  quarterP50Ratio: number
  /** murmur's worst: its bursts, its paced run and its quarter-rate run */
  deliveryRatio: number
}

export interface GossipSide {
  burstRate: number
  burstRates: number[]
  burstDelivery: number
  burstCpu: Run['cpu']
  burstTraffic: TrafficFigures
  paced: PacedFigures
  quarter: PacedFigures
}

export interface PacedFigures { p50: number, p99: number, delivery: number, cpu: Run['cpu'] }

export type TrafficFigures = Pick<Run, 'copies' | 'copiesSettled' | 'cpuSettledMainUs' | 'sendFailures' | 'meshes'>

function trafficFigures (run: Run): TrafficFigures {
  return { copies: run.copies, copiesSettled: run.copiesSettled, cpuSettledMainUs: run.cpuSettledMainUs, sendFailures: run.sendFailures, meshes: run.meshes }
}

/** Roughly 300-byte envelopes on one tag. */
async function envelopes (count: number, seed: number): Promise<Uint8Array[]> {
  return dataset({
    count,
    seed,
    shape: (random, now) => ({ ...shapeOf(random, now, 60_000, 150), tags: ['bench'] })
  })
}

export async function benchGossip (options: { nodes: number, burst: number, paced: number, verifyThreads: number }): Promise<GossipFigures> {
  const warmUp = await envelopes(options.burst, 14)
  const bursts = [await envelopes(options.burst, 11), await envelopes(options.burst, 13)]
  const paced = await envelopes(options.paced, 12)
  const quartered = await envelopes(Math.ceil(options.paced / 2), 15)
  const envelopeBytes = round(bursts[0].reduce((n, e) => n + e.byteLength, 0) / bursts[0].length, 0)

  // Both networks are up together and their bursts alternate (bare, murmur, murmur, bare), each
  // side's faster burst counting: with all of bare's runs made before murmur's nodes started, a
  // change in the machine's load between the two halves of the run (a minute apart) weighed on
  // one side only, and single runs gave burst ratios from 0.75 to 1.17 within an hour.
  const bare = await bareNet(options.nodes)
  let murmur: Awaited<ReturnType<typeof murmurNet>> | undefined
  const bareBursts: Run[] = []
  const murmurBursts: Run[] = []
  let barePaced: Run, murmurPaced: Run, bareQuarter: Run, murmurQuarter: Run, pacedRate: number
  try {
    murmur = await murmurNet(options.nodes, options.verifyThreads, [...warmUp, ...bursts.flat(), ...paced, ...quartered])
    const nodes = murmur.nodes
    // Every run waits until murmur's nodes have no sync session: their start-up sessions, and
    // those a burst can leave behind (a node that heard of a post before it had it), would
    // otherwise run through the next run, bare's included.
    const run = async (net: Net, envelopes: Uint8Array[], interval: number, timeoutMs: number): Promise<Run> => {
      await syncSettled(nodes)
      return await publishRun(net, envelopes, interval, timeoutMs)
    }
    // One untimed burst each first: a side's first burst ran 2–41 % slower than its second
    // (four runs, 2026-11-30 16:30), the code both share and each side's own still
    // warming up, and bare's runs took the first and the last place of the four.
    await run(bare, warmUp, 0, 60_000)
    await run(murmur, warmUp, 0, 120_000)
    bareBursts.push(await run(bare, bursts[0], 0, 60_000))
    murmurBursts.push(await run(murmur, bursts[0], 0, 120_000))
    murmurBursts.push(await run(murmur, bursts[1], 0, 120_000))
    bareBursts.push(await run(bare, bursts[1], 0, 60_000))
    pacedRate = rateOf(fastest(bareBursts)) / (options.nodes - 1) / 2
    barePaced = await run(bare, paced, 1000 / pacedRate, 60_000)
    murmurPaced = await run(murmur, paced, 1000 / pacedRate, 120_000)
    bareQuarter = await run(bare, quartered, 4000 / pacedRate, 60_000)
    murmurQuarter = await run(murmur, quartered, 4000 / pacedRate, 120_000)
  } finally {
    await murmur?.stop()
    await bare.stop()
  }

  const delivery = (run: Run): number => run.delivered / run.expected
  const pacedFigures = (run: Run): PacedFigures => ({
    p50: round(percentile(run.latencies, 50), 1),
    p99: round(percentile(run.latencies, 99), 1),
    delivery: round(delivery(run), 4),
    cpu: run.cpu
  })
  const side = (runs: Run[], pacedRun: Run, quarterRun: Run, burst = fastest(runs)): GossipSide => ({
    burstRate: round(rateOf(burst), 0),
    burstRates: runs.map(run => round(rateOf(run), 0)),
    burstDelivery: round(Math.min(...runs.map(delivery)), 4),
    burstCpu: burst.cpu,
    burstTraffic: trafficFigures(burst),
    paced: pacedFigures(pacedRun),
    quarter: pacedFigures(quarterRun)
  })
  const p50RatioOf = (murmurRun: Run, bareRun: Run): number => round(percentile(murmurRun.latencies, 50) / percentile(bareRun.latencies, 50), 3)
  return {
    nodes: options.nodes,
    envelopeBytes,
    bare: side(bareBursts, barePaced, bareQuarter),
    murmur: side(murmurBursts, murmurPaced, murmurQuarter),
    pacedRate: round(pacedRate, 1),
    quarterRate: round(pacedRate / 4, 1),
    ratio: round(rateOf(fastest(murmurBursts)) / rateOf(fastest(bareBursts)), 3),
    p50Ratio: p50RatioOf(murmurPaced, barePaced),
    quarterP50Ratio: p50RatioOf(murmurQuarter, bareQuarter),
    deliveryRatio: round(Math.min(...murmurBursts.map(delivery), delivery(murmurPaced), delivery(murmurQuarter)), 4)
  }
}

/** Deliveries per second of a run. */
function rateOf (run: Run): number {
  return run.delivered / run.seconds
}

function fastest (runs: Run[]): Run {
  return runs.reduce((a, b) => rateOf(b) > rateOf(a) ? b : a)
}
