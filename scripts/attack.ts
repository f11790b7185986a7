// Attack simulation: honest murmur nodes and attacker peers on loopback, three attacks (an
// invalid flood, valid-but-cheap spam at a high rate, withholding mesh members), each run
// beside the same network with no attacker. Reports the honest posts' delivery ratio and
// latency, and how long until each attacker is graylisted on each honest node.
//
//   npx tsc -p tsconfig.json && npx node dist/scripts/attack.js [--honest 6] [--attackers 3]
//     [--posts 30] [--interval 200] [--rate 300] [--transport tcp|memory] [--phase invalid]...
//
// Prints a table and writes scripts/results/attack.json.

import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSimulation, type Phase, type SimResult } from '../test/helpers/attack-sim.js'
import { scriptArgs, valueOptions } from './cli.js'

const args = scriptArgs('npx node dist/scripts/attack.js [--honest 6] [--attackers 3] [--posts 30] [--interval 200] [--rate 300] [--settle 10000] [--transport tcp|memory] [--phase invalid|spam|withhold]...', {
  ...valueOptions('honest', 'attackers', 'posts', 'interval', 'rate', 'settle', 'transport'),
  phase: { type: 'string', multiple: true }
})
const PHASES: readonly Phase[] = ['invalid', 'spam', 'withhold']
const asked = args.texts('phase')
const phases = asked.length === 0 ? [...PHASES] : asked.map(phase => PHASES.find(p => p === phase) ?? args.wrong(`--phase takes ${PHASES.join(', ')}, got ${phase}`))
const transport = args.text('transport') ?? 'tcp'
if (transport !== 'tcp' && transport !== 'memory') args.wrong(`--transport takes tcp or memory, got ${transport}`)
// low difficulties keep the run quick; scripts/pow-cost.ts gives the defaults' real cost
const pow = { post: 8, reply: 7, reaction: 6, delete: 6, label: 6, report: 7 }
const common = {
  honest: args.number('honest', 6, { min: 2, integer: true }),
  attackers: args.number('attackers', 3, { min: 1, integer: true }),
  transport: transport as 'tcp' | 'memory',
  posts: args.number('posts', 30, { min: 1, integer: true }),
  postIntervalMs: args.number('interval', 200, { min: 0 }),
  attackRate: args.number('rate', 300, { min: 1 }),
  settleMs: args.number('settle', 10_000, { min: 0 }),
  pow
} as const

const rows: Array<{ attack: Phase, baseline: SimResult, attacked: SimResult }> = []
for (const phase of phases) {
  process.stderr.write(`${phase}: baseline… `)
  const baseline = await runSimulation({ ...common, phase: 'none' })
  process.stderr.write('under attack… ')
  const attacked = await runSimulation({ ...common, phase })
  process.stderr.write('done\n')
  rows.push({ attack: phase, baseline, attacked })
}

const ms = (x: number | null): string => x == null ? '—' : String(Math.round(x))
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`
console.log(`\n${common.honest} honest nodes (a ring) + ${common.attackers} attackers (each connected to every honest node), ${transport}; ` +
  `${common.posts} honest posts, one every ${common.postIntervalMs} ms; attackers publish ${common.attackRate}/s each\n`)
console.log('attack     run        delivered         p50 ms  p99 ms  max ms  attacker msgs  graylisted  graylist ms (min/median/max)  spam stored/node  loop p99 ms  serving')
for (const { attack, baseline, attacked } of rows) {
  for (const [label, r] of [['baseline', baseline], ['attacked', attacked]] as const) {
    const times = r.graylist.flatMap(g => g.ms == null ? [] : [g.ms]).sort((a, b) => a - b)
    const gl = times.length === 0 ? '—' : `${times[0]} / ${times[Math.floor(times.length / 2)]} / ${times[times.length - 1]}`
    console.log(`${attack.padEnd(10)} ${label.padEnd(9)} ${`${r.delivered}/${r.expected} ${pct(r.deliveryRatio)}`.padEnd(17)} ${ms(r.latencyP50Ms).padStart(6)} ${ms(r.latencyP99Ms).padStart(7)} ${ms(r.latencyMaxMs).padStart(7)} ${String(r.attackerMessagesSent).padStart(14)} ${`${r.graylistedEverywhere}/${r.attackers}`.padStart(11)}  ${gl.padEnd(29)} ${r.spamStoredMean.toFixed(0).padStart(16)} ${String(r.eventLoopP99Ms).padStart(12)}  ${r.serving ? 'yes' : 'NO'}`)
  }
}

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'results', 'attack.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), options: common, rows }, null, 2) + '\n')
console.log(`\nwrote ${out}`)
