// The attack simulation shared by scripts/attack.ts and test/integration/attack.spec.ts:
// real murmur nodes (LevelDB, libp2p, gossipsub) on loopback TCP or the in-memory transport,
// attacker peers that speak gossipsub but run no murmur rules, honest posts timed from their
// creation to their arrival on every other honest node, and each attacker's score watched
// on each honest node until it falls below the graylist threshold.

import { generateKeyPairSync, sign as edSign } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { hexToBytes } from '@noble/hashes/utils.js'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { memory } from '@libp2p/memory'
import { tcp } from '@libp2p/tcp'
import type { Libp2p } from 'libp2p'
import { createNode, type MurmurNode } from '../../src/index.js'
import { PEER_SCORE_THRESHOLDS } from '../../src/network/score.js'
import { createMessage, encodeEnvelope, meetsDifficulty, mine, signedBytes, uniformPolicy, Kind, PROTOCOL_VERSION, type PowPolicy } from '../../src/post/index.js'
import { tempDir, removeDir, waitFor } from './cli-node.js'
import { createBareGossipNode, dialPersistently } from './raw-peer.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { GossipCounters } from '../../src/network/gossip.js'

export type Phase = 'none' | 'invalid' | 'spam' | 'withhold'

export interface SimOptions {
  phase: Phase
  honest: number
  attackers: number
  transport: 'tcp' | 'memory'
  /** honest posts, one every postIntervalMs, from each honest node in turn */
  posts: number
  postIntervalMs: number
  /** messages a second each attacker publishes (invalid and spam phases) */
  attackRate: number
  /** how long after the last honest post deliveries may still arrive */
  settleMs: number
  /** the honest nodes' policy (low, so the simulation is quick; docs/abuse.md scales it) */
  pow: PowPolicy
  gossipRate?: number
  gossipBurst?: number
  /** attack this long before the first honest post, so it is at full strength */
  leadMs?: number
}

export interface GraylistTime {
  attacker: number
  node: number
  /** from the start of the attack; null if it never fell below graylistThreshold */
  ms: number | null
}

export interface SimResult {
  phase: Phase
  honest: number
  attackers: number
  transport: string
  posts: number
  expected: number
  delivered: number
  deliveryRatio: number
  latencyP50Ms: number | null
  latencyP99Ms: number | null
  latencyMaxMs: number | null
  attackerMessagesSent: number
  graylist: GraylistTime[]
  /** attackers graylisted by every honest node they were connected to */
  graylistedEverywhere: number
  /** spam posts stored, per honest node: mean and max */
  spamStoredMean: number
  spamStoredMax: number
  /** honest nodes whose mesh still held an attacker at the end */
  meshesWithAttacker: number
  gossip: GossipCounters
  /** deliveries slower than 2 s: which post (its order), from which node, to which, how late */
  late: Array<{ post: number, by: number, node: number, ms: number }>
  /** the process's event-loop delay during the run (all nodes share it) */
  eventLoopP99Ms: number
  /** every honest node answered status and a feed, and took a post, after the run */
  serving: boolean
  durationMs: number
}

const TOPIC = 'tag:sim'
const GOSSIP_TOPIC = 'murmur/1/tag/sim'

interface Attacker {
  peerId: string
  libp2p: Libp2p<{ pubsub: GossipSub }>
  sent: number
}

let counter = 0

function transports (kind: SimOptions['transport']): any[] {
  return kind === 'memory' ? [memory()] : [tcp()]
}

function listenAddr (kind: SimOptions['transport']): string {
  return kind === 'memory' ? `/memory/attack-sim-${process.pid}-${++counter}-${Date.now()}` : '/ip4/127.0.0.1/tcp/0'
}

async function createAttacker (opts: SimOptions): Promise<Attacker> {
  const libp2p = await createBareGossipNode({ listen: [listenAddr(opts.transport)], transports: transports(opts.transport) })
  libp2p.services.pubsub.subscribe(GOSSIP_TOPIC)
  if (opts.phase === 'withhold') {
    // in the mesh like anyone, but never forwards a thing: every message it gets is dropped
    // without a verdict against its sender, so it is never blamed either
    libp2p.services.pubsub.topicValidators.set(GOSSIP_TOPIC, () => TopicValidatorResult.Ignore)
  }
  return { peerId: libp2p.peerId.toString(), libp2p, sent: 0 }
}

/**
 * Garbage of three kinds, each message new: random bytes, a bit-flipped genuine envelope, and
 * (while the pool lasts) a well-formed signed post without the work `pow` asks.
 */
async function invalidSource (unpaid: number, pow: PowPolicy): Promise<() => Uint8Array> {
  const key = crypto.getRandomValues(new Uint8Array(32))
  const free = uniformPolicy(0)
  const template = (await createMessage({ kind: 'post', text: 'a genuine post to flip', tags: ['sim'] }, key, { pow: free })).message.envelope
  const pool: Uint8Array[] = []
  for (let i = 0; pool.length < unpaid; i++) {
    const { message } = await createMessage({ kind: 'post', text: `unpaid ${i} ${Math.random()}`, tags: ['sim'] }, key, { pow: free })
    // one id in 2^bits meets the policy by chance: that post is valid, and a node rightly keeps it
    if (meetsDifficulty(hexToBytes(message.id), pow.post)) continue
    // an honest node refuses the rest as INSUFFICIENT_POW, or LOW_POW when close
    pool.push(message.envelope)
  }
  let n = 0
  return () => {
    n++
    if (n % 3 === 1) {
      const flipped = Uint8Array.from(template)
      flipped[n % flipped.length] ^= 1 + (n % 255)
      flipped[(n * 7) % flipped.length] ^= 0x80
      return flipped
    }
    if (n % 3 === 2 && pool.length > 0) return pool.pop() as Uint8Array
    return crypto.getRandomValues(new Uint8Array(40 + (n % 300)))
  }
}

/**
 * Genuine posts mined at exactly the honest policy: the cheapest spam that is not dropped on
 * sight. Signed with node:crypto (the same RFC 8032 bytes as the node's signer, much faster),
 * with one key: a spammer has no reason to derive a key per post.
 */
async function spamSource (count: number, pow: PowPolicy): Promise<() => Uint8Array | undefined> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const author = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url'))
  const pool: Uint8Array[] = []
  const now = Date.now()
  for (let i = 0; i < count; i++) {
    const { body } = await mine({
      version: PROTOCOL_VERSION,
      kind: Kind.POST,
      author,
      createdAt: BigInt(now),
      expiresAt: BigInt(now + 86_400_000),
      tags: ['sim'],
      geohash: '',
      text: `spam ${i} buy now`,
      parent: new Uint8Array(),
      root: new Uint8Array(),
      value: 0,
      targets: [],
      label: '',
      moderator: new Uint8Array(),
      nonce: 0n
    }, pow.post)
    pool.push(encodeEnvelope({ body, signature: new Uint8Array(edSign(null, signedBytes(body), privateKey)) }))
  }
  return () => pool.pop()
}

/** Publishes at `rate` a second in bursts every 20 ms until stopped. */
function flood (attacker: Attacker, next: () => Uint8Array | undefined, rate: number, signal: AbortSignal): Promise<void> {
  const tickMs = 20
  const perTick = Math.max(1, Math.round(rate * tickMs / 1000))
  return new Promise(resolve => {
    const timer = setInterval(() => {
      if (signal.aborted) { clearInterval(timer); resolve(); return }
      for (let i = 0; i < perTick; i++) {
        const data = next()
        if (data == null) { clearInterval(timer); resolve(); return }
        attacker.sent++
        attacker.libp2p.services.pubsub.publish(GOSSIP_TOPIC, data).catch(() => {})
      }
    }, tickMs)
    signal.addEventListener('abort', () => { clearInterval(timer); resolve() }, { once: true })
  })
}

/** The topic's mesh and a peer's score live on the gossipsub class, not on its public interface. */
function meshOf (pubsub: GossipSub): string[] {
  return [...((pubsub as unknown as { mesh: Map<string, Set<string>> }).mesh.get(GOSSIP_TOPIC) ?? [])]
}

function scoreOf (pubsub: GossipSub, peer: string): number {
  return (pubsub as unknown as { getScore(id: string): number }).getScore(peer)
}

function percentile (sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

export async function runSimulation (opts: SimOptions): Promise<SimResult> {
  const started = Date.now()
  const dirs: string[] = []
  const nodes: MurmurNode[] = []
  const attackers: Attacker[] = []
  const attacking = opts.phase !== 'none' && opts.attackers > 0
  const stopAttack = new AbortController()
  const loop = monitorEventLoopDelay({ resolution: 10 })
  try {
    for (let i = 0; i < opts.honest; i++) {
      const dataDir = await tempDir('murmur-attack-')
      dirs.push(dataDir)
      const node = await createNode({
        dataDir,
        listen: [listenAddr(opts.transport)],
        api: '127.0.0.1:0',
        mdns: false,
        loopbackOnly: true,
        pow: opts.pow,
        join: [TOPIC],
        ...(opts.gossipRate != null ? { gossipRate: opts.gossipRate } : {}),
        ...(opts.gossipBurst != null ? { gossipBurst: opts.gossipBurst } : {})
      }, { transports: transports(opts.transport) })
      await node.start()
      nodes.push(node)
    }
    // a ring: each honest node has two honest neighbours, so withholders can matter
    for (let i = 0; i < nodes.length; i++) {
      const next = nodes[(i + 1) % nodes.length]
      if (nodes.length > 1 && next !== nodes[i]) await dialPersistently(nodes[i].libp2p, next.addresses()[0])
    }
    if (attacking) {
      for (let a = 0; a < opts.attackers; a++) attackers.push(await createAttacker(opts))
      // every attacker reaches every honest node: the worst case for a flood
      for (const attacker of attackers) {
        for (const node of nodes) await dialPersistently(attacker.libp2p, node.addresses()[0])
      }
    }
    const ring = nodes.length > 2 ? 2 : nodes.length - 1
    await waitFor('every honest node meshed on the topic', () => nodes.every(n => meshOf(n.libp2p.services.pubsub).length >= ring), 60_000)
    if (attacking) {
      await waitFor('every honest node to see every attacker subscribed', () => nodes.every(n => {
        const subs = new Set(n.libp2p.services.pubsub.getSubscribers(GOSSIP_TOPIC).map(p => p.toString()))
        return attackers.every(a => subs.has(a.peerId))
      }), 60_000)
    }

    // arrivals: node index → post id → ms
    const arrivals = nodes.map(() => new Map<string, number>())
    nodes.forEach((node, i) => {
      node.events.addEventListener('post', (evt) => {
        const id = (evt as CustomEvent<{ id: string }>).detail.id
        if (!arrivals[i].has(id)) arrivals[i].set(id, Date.now())
      })
    })

    // the attack (its messages made in advance), and the graylist watch
    const sources: Array<() => Uint8Array | undefined> = []
    if (attacking && opts.phase !== 'withhold') {
      const seconds = (opts.leadMs ?? 1000) / 1000 + opts.posts * opts.postIntervalMs / 1000 + opts.settleMs / 1000 + 2
      for (let a = 0; a < attackers.length; a++) {
        sources.push(opts.phase === 'invalid'
          ? await invalidSource(200, opts.pow)
          : await spamSource(Math.ceil(opts.attackRate * seconds), opts.pow))
      }
    }
    const attackStart = Date.now()
    loop.enable()
    const floods = sources.map(async (next, a) => flood(attackers[a], next, opts.attackRate, stopAttack.signal))
    const graylist: GraylistTime[] = []
    const pending = new Map<string, GraylistTime>()
    for (let a = 0; a < attackers.length; a++) {
      for (let n = 0; n < nodes.length; n++) {
        const entry = { attacker: a, node: n, ms: null }
        graylist.push(entry)
        pending.set(`${a}|${n}`, entry)
      }
    }
    const watch = setInterval(() => {
      for (const entry of pending.values()) {
        const score = scoreOf(nodes[entry.node].libp2p.services.pubsub, attackers[entry.attacker].peerId)
        if (score < PEER_SCORE_THRESHOLDS.graylistThreshold) {
          entry.ms = Date.now() - attackStart
          pending.delete(`${entry.attacker}|${entry.node}`)
        }
      }
    }, 50)

    try {
      if (attacking) await new Promise(resolve => setTimeout(resolve, opts.leadMs ?? 1000))
      // honest traffic, paced
      const posted: Array<{ id: string, at: number, by: number }> = []
      for (let k = 0; k < opts.posts; k++) {
        const by = k % nodes.length
        const view = await nodes[by].post({ text: `honest murmur ${k} #sim` })
        posted.push({ id: view.id, at: view.createdAt, by })
        await new Promise(resolve => setTimeout(resolve, opts.postIntervalMs))
      }
      const expected = posted.length * (nodes.length - 1)
      const count = (): number => posted.reduce((n, p) => n + arrivals.filter((m, i) => i !== p.by && m.has(p.id)).length, 0)
      await waitFor('all honest posts delivered', () => count() === expected, opts.settleMs).catch(() => {})
      if (opts.phase === 'invalid') {
        // a flood does not stop because the honest posts got through: it goes on until every
        // attacker is graylisted everywhere (on a loaded machine that can take longer than
        // the honest posts' delivery did)
        await waitFor('every attacker graylisted', () => pending.size === 0, opts.settleMs).catch(() => {})
      }
      const latencies = posted.flatMap(p => arrivals.flatMap((m, i) => i !== p.by && m.has(p.id) ? [(m.get(p.id) as number) - p.at] : [])).sort((a, b) => a - b)

      stopAttack.abort()
      await Promise.all(floods)
      loop.disable()

      // root posts stored that no honest node wrote
      const spam = await Promise.all(nodes.map(async node => {
        let honest = 0
        for (const p of posted) if (await node.store.has(p.id)) honest++
        return (await node.store.count()) - honest
      }))

      // still serving: status, a feed, and a new post of its own, on every honest node
      let serving = true
      for (const node of nodes) {
        try {
          await node.status()
          await node.feed({ topic: TOPIC, sort: 'new', limit: 5 })
          await node.post({ text: 'still here #sim' })
        } catch {
          serving = false
        }
      }
      const counters = await Promise.all(nodes.map(async n => (await n.status()).gossip))
      const gossip = counters.reduce((sum, c) => ({
        accepted: sum.accepted + c.accepted,
        ignored: sum.ignored + c.ignored,
        rejected: sum.rejected + c.rejected,
        limited: sum.limited + c.limited,
        shed: sum.shed + c.shed
      }), { accepted: 0, ignored: 0, rejected: 0, limited: 0, shed: 0 })
      const connectedTo = (a: Attacker, node: MurmurNode): boolean => node.libp2p.getConnections().some(c => c.remotePeer.toString() === a.peerId) || graylist.some(g => g.ms != null && attackers[g.attacker] === a)
      return {
        phase: opts.phase,
        honest: nodes.length,
        attackers: attacking ? attackers.length : 0,
        transport: opts.transport,
        posts: posted.length,
        expected,
        delivered: latencies.length,
        deliveryRatio: expected === 0 ? 1 : latencies.length / expected,
        latencyP50Ms: percentile(latencies, 0.5),
        latencyP99Ms: percentile(latencies, 0.99),
        latencyMaxMs: latencies.length > 0 ? latencies[latencies.length - 1] : null,
        attackerMessagesSent: attackers.reduce((n, a) => n + a.sent, 0),
        graylist,
        graylistedEverywhere: attackers.filter((a, i) => nodes.every((node, n) => !connectedTo(a, node) || graylist.some(g => g.attacker === i && g.node === n && g.ms != null))).length,
        spamStoredMean: spam.reduce((a, b) => a + b, 0) / Math.max(1, spam.length),
        spamStoredMax: Math.max(0, ...spam),
        late: posted.flatMap((p, k) => arrivals.flatMap((m, i) => {
          const at = m.get(p.id)
          return i !== p.by && at != null && at - p.at > 2000 ? [{ post: k, by: p.by, node: i, ms: at - p.at }] : []
        })).slice(0, 100),
        meshesWithAttacker: nodes.filter(n => {
          const mesh = new Set(meshOf(n.libp2p.services.pubsub))
          return attackers.some(a => mesh.has(a.peerId))
        }).length,
        gossip,
        eventLoopP99Ms: Math.round(loop.percentile(99) / 1e6),
        serving,
        durationMs: Date.now() - started
      }
    } finally {
      clearInterval(watch)
    }
  } finally {
    stopAttack.abort()
    loop.disable()
    await Promise.allSettled(attackers.map(async a => a.libp2p.stop()))
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await Promise.allSettled(dirs.map(removeDir))
  }
}
