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
import { parseArgs } from 'node:util'
import { runSimulation, type Phase, type SimResult } from '../test/helpers/attack-sim.js'

const { values } = parseArgs({
  options: {
    honest: { type: 'string', default: '6' },
    attackers: { type: 'string', default: '3' },
    posts: { type: 'string', default: '30' },
    interval: { type: 'string', default: '200' },
    rate: { type: 'string', default: '300' },
    settle: { type: 'string', default: '10000' },
    transport: { type: 'string', default: 'tcp' },
    phase: { type: 'string', multiple: true }
  }
})
const phases = (values.phase ?? ['invalid', 'spam', 'withhold']) as Phase[]
const transport = values.transport === 'memory' ? 'memory' : 'tcp'
// low difficulties keep the run quick; scripts/pow-cost.ts gives the defaults' real cost
const pow = { post: 8, reply: 7, reaction: 6, delete: 6, label: 6, report: 7 }
const common = {
  honest: Number(values.honest),
  attackers: Number(values.attackers),
  transport: transport as 'tcp' | 'memory',
  posts: Number(values.posts),
  postIntervalMs: Number(values.interval),
  attackRate: Number(values.rate),
  settleMs: Number(values.settle),
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
