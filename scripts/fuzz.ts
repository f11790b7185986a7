// The long fuzz run: the properties of test/unit/fuzz-*.spec.ts and
// test/integration/fuzz-api.spec.ts with many more runs (and a fresh seed each time, printed
// so a failure can be replayed with --seed).
//
//   npx tsc -p tsconfig.json && npx node dist/scripts/fuzz.js [--runs 5000] [--seed N]
//
// Prints a table and writes scripts/results/fuzz.json; exits 1 if a property failed.

import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { createApiServer } from '../src/api/server.js'
import { validateEnvelope } from '../src/post/index.js'
import { createMemoryNode } from '../test/helpers/memory-nodes.js'
import {
  apiProperty, fuzzStats, genuineEnvelopes, liveMessages, mutatedEnvelopeProperty, powProperty,
  randomBytesProperty, signedFieldsProperty, syncResponderProperty
} from '../test/helpers/fuzz-properties.js'
import { scriptArgs, valueOptions } from './cli.js'

const args = scriptArgs('npx node dist/scripts/fuzz.js [--runs 5000] [--seed N]', valueOptions('runs', 'seed'))
const runs = args.number('runs', 5_000, { min: 1, integer: true })
const seed = args.number('seed', Math.floor(Math.random() * 2 ** 31), { integer: true })

interface Row { property: string, runs: number, ms: number, ok: boolean, error?: string }
const rows: Row[] = []

async function check (property: string, numRuns: number, run: (params: fc.Parameters<any>) => unknown): Promise<void> {
  const start = performance.now()
  try {
    await run({ numRuns, seed })
    rows.push({ property, runs: numRuns, ms: Math.round(performance.now() - start), ok: true })
  } catch (err: any) {
    rows.push({ property, runs: numRuns, ms: Math.round(performance.now() - start), ok: false, error: String(err.message).slice(0, 2000) })
  }
  const row = rows[rows.length - 1]
  process.stderr.write(`${row.ok ? 'ok  ' : 'FAIL'} ${property} (${row.runs} runs, ${row.ms} ms)\n`)
}

const seeds = await genuineEnvelopes()
await check('random bytes → decoders, validateEnvelope', runs, p => { fc.assert(randomBytesProperty(), p) })
await check('mutated genuine envelopes → validateEnvelope', runs, p => { fc.assert(mutatedEnvelopeProperty(seeds), p) })
await check('signed arbitrary fields ⇔ the rules', runs, p => { fc.assert(signedFieldsProperty(), p) })
await check('proof of work ⇔ policy', runs, p => { fc.assert(powProperty(), p) })
const live = await liveMessages(8)
// a session costs a stream pair and a few frames: a fifth of the runs
await check('random sync frames → session responder', Math.ceil(runs / 5), async p => { await fc.assert(syncResponderProperty(live, seeds), p) })

const node = await createMemoryNode({ join: ['tag:fuzz'] })
const api = createApiServer({ node, listen: '127.0.0.1:0' })
await api.start()
try {
  const known = await node.post({ text: 'a post to aim at #fuzz' })
  await check('random requests → HTTP API of a running node', Math.ceil(runs / 5), async p => { await fc.assert(apiProperty({ url: api.url(), knownId: known.id }), p) })
  let stored = 0
  let invalid = 0
  for (const topic of node.topics()) {
    for await (const entry of node.store.topicEntries(topic, 0, Number.MAX_SAFE_INTEGER, { now: Date.now() })) {
      stored++
      const envelope = await node.store.getEnvelope(entry.id)
      if (envelope == null || !validateEnvelope(envelope, { now: Date.now(), pow: node.config.pow }).ok) invalid++
    }
  }
  rows.push({ property: `stored by the API fuzz: ${stored}, invalid among them`, runs: stored, ms: 0, ok: invalid === 0, ...(invalid > 0 ? { error: `${invalid} invalid` } : {}) })
} finally {
  await api.stop()
  await node.cleanup()
}

console.log(`\nseed ${seed}\n`)
console.log('result  runs    ms  property')
for (const r of rows) console.log(`${r.ok ? 'ok    ' : 'FAILED'} ${String(r.runs).padStart(5)} ${String(r.ms).padStart(6)}  ${r.property}${r.error != null ? `\n        ${r.error.split('\n').slice(0, 6).join('\n        ')}` : ''}`)
console.log(`\nbranches reached: ${JSON.stringify(fuzzStats)}`)

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'results', 'fuzz.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), seed, runs, rows, branches: fuzzStats }, null, 2) + '\n')
console.log(`wrote ${out}`)
process.exitCode = rows.every(r => r.ok) ? 0 : 1
