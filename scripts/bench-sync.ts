// Benchmark of history sync's reconciliation: bytes and round trips to find and request the
// differences between two sets of n posts with d differences, beside sending every id.
// The measuring code is scripts/bench/sync.ts, shared with `npm run bench`.
//
//   npx tsc -p tsconfig.json && npx node dist/scripts/bench-sync.js [--quick]
//
// Prints a table and writes scripts/results/bench-sync.json.

import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS, MAX_IDS_PER_FRAME } from '../src/sync/session.js'
import { run, kib, type Row } from './bench/sync.js'
import { scriptArgs } from './cli.js'

const quick = scriptArgs('npx node dist/scripts/bench-sync.js [--quick]', { quick: { type: 'boolean' } }).flag('quick')
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
