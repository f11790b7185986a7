// Benchmark of history sync's reconciliation: bytes and round trips to find and request the
// differences between two sets of n posts with d differences, beside sending every id.
// Runs murmur's own Negentropy and counts the exact SyncFrames a session would send (open,
// neg, want, have, done, with protobuf and length-prefix overhead), not the envelopes.
//
//   npx tsc -p tsconfig.json && npx node dist/scripts/bench-sync.js [--quick]
//
// Prints a table and writes scripts/results/bench-sync.json.

import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Negentropy, NegentropyStorage } from '../src/sync/negentropy.js'
import { SyncFrame } from '../src/sync/sync.js'
import { DEFAULT_LIMITS, MAX_IDS_PER_FRAME } from '../src/sync/session.js'

interface Row {
  n: number
  d: number
  /** every frame but the envelopes */
  bytes: number
  /** of which Negentropy messages */
  negBytes: number
  /** of which ids in have and want frames */
  idBytes: number
  /** neg rounds + want batches + have batches + the closing done/done */
  roundTrips: number
  negRounds: number
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

function run (n: number, d: number): Row {
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
  // want what we need; offer what they lack (have), which they want back in full
  let idFrames = 0
  for (let i = 0; i < need.length; i += MAX_IDS_PER_FRAME) {
    bytes += frameBytes({ want: { ids: need.slice(i, i + MAX_IDS_PER_FRAME) as Array<Uint8Array<ArrayBuffer>> } })
    idFrames++
  }
  for (let i = 0; i < have.length; i += MAX_IDS_PER_FRAME) {
    const ids = have.slice(i, i + MAX_IDS_PER_FRAME) as Array<Uint8Array<ArrayBuffer>>
    bytes += frameBytes({ have: { ids } }) + frameBytes({ want: { ids } })
    idFrames++
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
    idBytes: ID * (need.length + 2 * have.length),
    roundTrips: negRounds + idFrames + 1,
    negRounds,
    naiveBytes: ID * n,
    sync_bytes_ratio: d >= 10 ? round(bytes / (ID * d), 2) : null,
    ms: round(ms, 0),
    correct
  }
}

function round (x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function kib (bytes: number): string {
  return bytes < 10_240 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

const quick = process.argv.includes('--quick')
const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]
const rows: Row[] = []
for (const n of sizes) {
  for (const d of [0, 1, 10, 1_000]) {
    if (d > n) continue
    rows.push(run(n, d))
  }
}

const header = ['n', 'd', 'sync bytes', 'neg bytes', 'id bytes', 'round trips', 'neg rounds', 'all ids (naive)', 'sync_bytes_ratio', 'ms']
const table = rows.map(r => [
  r.n.toLocaleString('en'), r.d.toLocaleString('en'), kib(r.bytes), kib(r.negBytes), kib(r.idBytes), String(r.roundTrips), String(r.negRounds),
  kib(r.naiveBytes), r.sync_bytes_ratio == null ? '–' : r.sync_bytes_ratio.toFixed(2), String(r.ms)
])
const widths = header.map((h, i) => Math.max(h.length, ...table.map(row => row[i].length)))
const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padStart(widths[i])).join(' | ') + ' |'
console.log(line(header))
console.log('|' + widths.map(w => '-'.repeat(w + 1) + ':').join('|') + '|')
for (const row of table) console.log(line(row))
for (const r of rows.filter(r => r.sync_bytes_ratio != null)) console.log(`sync_bytes_ratio n=${r.n} d=${r.d}: ${r.sync_bytes_ratio}`)
if (rows.some(r => !r.correct)) {
  console.error('reconciliation missed differences')
  process.exitCode = 1
}

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'results', 'bench-sync.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify({
  date: new Date().toISOString(),
  node: process.version,
  negFrameBytes: DEFAULT_LIMITS.negFrameBytes,
  idsPerFrame: MAX_IDS_PER_FRAME,
  rows
}, null, 2) + '\n')
console.log(`wrote ${out}`)
