// Sync benchmark: bytes and round trips of murmur's Negentropy to find the differences
// between two sets of n posts with d differences (exact SyncFrames a session would send), and
// a real catch-up session between two LevelDB stores over a stream pair.

import { randomBytes } from 'node:crypto'
import { streamPair } from '@libp2p/utils'
import { Negentropy, NegentropyStorage } from '../../src/sync/negentropy.js'
import { SyncFrame } from '../../src/sync/sync.js'
import { DEFAULT_LIMITS, MAX_IDS_PER_FRAME, TURNS_IN_FLIGHT, initiateSession, respondSession, newProgress } from '../../src/sync/session.js'
import { createStore, type PostStore } from '../../src/store/index.js'
import { createIngestor } from '../../src/node/ingest.js'
import { sharedVerifier, type Verifier } from '../../src/verify/index.js'
import { uniformPolicy } from '../../src/post/index.js'
import { dataset, shapeOf } from './dataset.js'
import { tempDir } from './common.js'
import { fillStore, pipelineRate } from './store.js'

export interface Row {
  n: number
  d: number
  /** every frame but the envelopes */
  bytes: number
  /** of which Negentropy messages */
  negBytes: number
  /** of which ids in want frames */
  idBytes: number
  /**
   * Negentropy rounds + one per two turns (a turn pushes ≤ 256 and wants ≤ 256, two go at once,
   * done with the last), or + 1 for done alone; unit tests count the same on real sessions
   */
  roundTrips: number
  negRounds: number
  /** ⌈log16 n / 2⌉ + 1 */
  roundTripGoal: number
  /** one side sending all its ids */
  naiveBytes: number
  /** bytes / (32 × d), for d ≥ 10 */
  sync_bytes_ratio: number | null
  ms: number
  correct: boolean
}

const ID = 32

function frameBytes (frame: SyncFrame): number {
  const body = SyncFrame.encode(frame).byteLength
  return body + varintLength(body)
}

function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/** Two sets of about n items: d differences, half held only by the initiator, half only by the responder. */
function sets (n: number, d: number): { a: NegentropyStorage, b: NegentropyStorage, onlyA: Set<string>, onlyB: Set<string> } {
  const now = Math.floor(Date.now() / 1000)
  const item = (): { timestamp: number, id: Uint8Array } => ({ timestamp: now - Math.floor(Math.random() * 7 * 86_400), id: randomBytes(ID) })
  const aOnly = Math.ceil(d / 2)
  const bOnly = d - aOnly
  const common = Array.from({ length: n - aOnly }, item)
  const extraA = Array.from({ length: aOnly }, item)
  const extraB = Array.from({ length: bOnly }, item)
  const hex = (x: { id: Uint8Array }): string => Buffer.from(x.id).toString('hex')
  return {
    a: NegentropyStorage.from([...common, ...extraA]),
    b: NegentropyStorage.from([...common, ...extraB]),
    onlyA: new Set(extraA.map(hex)),
    onlyB: new Set(extraB.map(hex))
  }
}

export function run (n: number, d: number): Row {
  const { a, b, onlyA, onlyB } = sets(n, d)
  const started = performance.now()
  const initiator = new Negentropy(a, DEFAULT_LIMITS.negFrameBytes)
  const responder = new Negentropy(b, DEFAULT_LIMITS.negFrameBytes)
  let bytes = frameBytes({ open: { topic: 'tag:lyon', since: BigInt(Date.now() - DEFAULT_LIMITS.windowMs) } })
  let negBytes = 0
  let negRounds = 0
  const have: Uint8Array[] = []
  const need: Uint8Array[] = []
  let query: Uint8Array | null = initiator.initiate()
  while (query != null) {
    const answer = responder.reconcile(query).output as Uint8Array<ArrayBuffer>
    bytes += frameBytes({ neg: query as Uint8Array<ArrayBuffer> }) + frameBytes({ neg: answer })
    negBytes += query.byteLength + answer.byteLength
    negRounds++
    const result = initiator.reconcile(answer)
    have.push(...result.have)
    need.push(...result.need)
    query = result.output
  }
  const ms = performance.now() - started
  // each turn pushes up to 256 of what they lack (envelopes, not counted) and ends with a want
  // of up to 256 of what we need, possibly none
  const turns = Math.ceil(Math.max(need.length, have.length) / MAX_IDS_PER_FRAME)
  for (let t = 0; t < turns; t++) {
    bytes += frameBytes({ want: { ids: need.slice(t * MAX_IDS_PER_FRAME, (t + 1) * MAX_IDS_PER_FRAME) as Array<Uint8Array<ArrayBuffer>> } })
  }
  bytes += 2 * frameBytes({ done: true })
  const hex = (id: Uint8Array): string => Buffer.from(id).toString('hex')
  const correct = have.length === onlyA.size && have.every(id => onlyA.has(hex(id))) &&
    need.length === onlyB.size && need.every(id => onlyB.has(hex(id)))
  return {
    n,
    d,
    bytes,
    negBytes,
    idBytes: ID * need.length,
    roundTrips: negRounds + Math.max(1, Math.ceil(turns / TURNS_IN_FLIGHT)),
    negRounds,
    roundTripGoal: Math.ceil(Math.log(n) / Math.log(16) / 2) + 1,
    naiveBytes: ID * n,
    sync_bytes_ratio: d >= 10 ? round(bytes / (ID * d), 2) : null,
    ms: round(ms, 0),
    correct
  }
}

export function round (x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export function kib (bytes: number): string {
  return bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

export interface CatchUp {
  n: number
  seconds: number
  stored: number
  /** the same posts through the ingest pipeline, posts/s, measured beside the sessions */
  ingestRate: number
  /** seconds ÷ (n ÷ ingestRate) */
  ratio: number
  /** the same with the full node initiating: the posts travel as pushes */
  pushedSeconds: number
  pushedRatio: number
}

/**
 * A node that has nothing catches up on a topic of n posts from one that has them all: one
 * real session between two LevelDB stores and ingest pipelines, over an in-memory stream pair,
 * started by the empty node (it fetches) and by the full one (it pushes).
 * The baseline is the ingest pipeline's rate on the same posts, measured alternately with the
 * sessions (rate, session, rate, session), each into a fresh store; the better of two counts
 * on both sides, as in the ingest figure, since the first of each pays for compiling its path.
 */
export async function catchUp (n: number, verifyThreads: number): Promise<CatchUp> {
  const envelopes = await dataset({ count: n, seed: 21, shape: (random, now) => ({ ...shapeOf(random, now, 6 * 86_400_000, 120), tags: ['lyon'] }) })
  const full = await tempDir('sync-full')
  await fillStore(full.path, envelopes)
  const b = createStore({ path: full.path, topicQuota: 10_000_000 })
  await b.start()
  // one pool for every round, as a node keeps it (see benchIngest)
  const verifier = verifyThreads > 0 ? sharedVerifier({ threads: verifyThreads }) : undefined
  verifier?.start()
  try {
    const seconds = { fetch: Infinity, push: Infinity }
    let ingestRate = 0
    for (let round = 0; round < 2; round++) {
      ingestRate = Math.max(ingestRate, (await pipelineRate(envelopes, verifyThreads)).rate)
      for (const how of ['fetch', 'push'] as const) {
        const once = await catchUpOnce(b, verifier, how)
        // the ratio divides by n: a session that brought fewer would flatter it
        if (once.stored !== n) throw new Error(`the catch-up (${how}) stored ${once.stored} of ${n} posts`)
        seconds[how] = Math.min(seconds[how], once.seconds)
      }
    }
    const ratio = (s: number): number => round(s / (n / ingestRate), 3)
    return { n, seconds: round(seconds.fetch, 2), stored: n, ingestRate: round(ingestRate, 0), ratio: ratio(seconds.fetch), pushedSeconds: round(seconds.push, 2), pushedRatio: ratio(seconds.push) }
  } finally {
    await verifier?.stop()
    await b.stop()
    await full.remove()
  }
}

async function catchUpOnce (b: PostStore, verifier: Verifier | undefined, how: 'fetch' | 'push'): Promise<{ seconds: number, stored: number }> {
  const empty = await tempDir('sync-empty')
  const a = createStore({ path: empty.path, topicQuota: 10_000_000 })
  await a.start()
  try {
    const pow = (): ReturnType<typeof uniformPolicy> => uniformPolicy(0)
    const ingestA = createIngestor({ store: a, pow, ...(verifier != null ? { verifier } : {}) })
    const ingestB = createIngestor({ store: b, pow })
    const limits = { ...DEFAULT_LIMITS }
    const [outbound, inbound] = await streamPair()
    const lacking = { store: a, ingestor: ingestA }
    const holding = { store: b, ingestor: ingestB }
    const [initiator, responder] = how === 'fetch' ? [lacking, holding] : [holding, lacking]
    const started = performance.now()
    await Promise.all([
      initiateSession(outbound, 'tag:lyon', { ...initiator, limits, progress: newProgress('responder', 'tag:lyon', 'initiator'), signal: AbortSignal.timeout(600_000) }),
      respondSession(inbound, { ...responder, limits, progress: newProgress('initiator', 'tag:lyon', 'responder'), signal: AbortSignal.timeout(600_000) }, () => true)
    ])
    await ingestA.flush()
    return { seconds: (performance.now() - started) / 1000, stored: (await a.stats()).posts }
  } finally {
    await a.stop()
    await empty.remove()
  }
}
