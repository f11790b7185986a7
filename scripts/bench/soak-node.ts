// Child process of the soak run (soak.ts): one murmur node on loopback TCP, built by createNode
// as `murmur start` builds it, that reads its feeds as a user would and prints, as JSON lines,
// its address and then its memory, so that the parent's publisher does not count. Its heap is
// measured after full garbage collections unless `forcedGc` is false: those collections show
// what is live, but also make V8 give back pages a node left alone would keep. Run with
// --expose-gc; "stop" on stdin stops it cleanly.
//
//   node --expose-gc dist/scripts/bench/soak-node.js <dataDir> <topic> '{"purgeMs":5000,"sampleMs":10000,"forcedGc":true,"verifyThreads":2}'

import { createInterface } from 'node:readline'
import { getHeapStatistics } from 'node:v8'
import { createNode } from '../../src/index.js'
import { allocatorInUse } from '../../src/cli/allocator.js'
import { prepareNodeProcess } from '../../src/cli/node-process.js'
import { rssSplitMb, round } from './common.js'

// on the allocator and with the heap growth `murmur start` would run with (MURMUR_ALLOCATOR=system
// in --node-env: glibc's, its arenas as they are; --heap-growing-percent=0 in --node-flags: V8's own growth)
prepareNodeProcess()

const [dataDir, topic, optionsArg] = process.argv.slice(2)
if (dataDir == null || topic == null || optionsArg == null) throw new Error('usage: soak-node <dataDir> <topic> <options as JSON>')
const { purgeMs, sampleMs, forcedGc, verifyThreads } = JSON.parse(optionsArg) as { purgeMs: number, sampleMs: number, forcedGc: boolean, verifyThreads?: number }
const gc = (globalThis as { gc?: () => void }).gc
if (gc == null) throw new Error('run with --expose-gc')

const node = await createNode({
  dataDir,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  loopbackOnly: true,
  mdns: false,
  powBits: 0,
  join: [topic],
  purgeIntervalMs: purgeMs,
  // one publisher delivers the whole run: its per-peer budget (docs/abuse.md) would cut it by design
  gossipRate: 100_000,
  gossipBurst: 100_000,
  ...(verifyThreads != null ? { verifyThreads } : {})
})
await node.start()
const started = performance.now()
const say = (line: object): void => { process.stdout.write(JSON.stringify(line) + '\n') }
// and the allocator's variables as the process runs with them, after any restart
const allocatorEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(LD_PRELOAD|MALLOC_|GLIBC_TUNABLES|MURMUR_ALLOCATOR)/.test(name)))
say({ address: node.addresses().find(a => a.includes('/tcp/')), peerId: node.peerId, allocator: allocatorInUse(), allocatorEnv })

// the pages a user keeps open: the topic's Hot and New, and Near around a cell the posts use
let reading = false
const reader = setInterval(() => {
  if (reading) return
  reading = true
  Promise.all([
    node.feed({ topic, sort: 'hot' }),
    node.feed({ topic, sort: 'new' }),
    node.feed({ near: { lat: 45.76, lon: 4.83 }, sort: 'hot' })
  ]).catch(err => { process.stderr.write(`feed failed: ${String(err)}\n`) }).finally(() => { reading = false })
}, 2_000)

const sampler = setInterval(() => {
  if (forcedGc) {
    // twice: the first collection's finalisers free more for the second
    gc()
    gc()
  }
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  const cpu = process.cpuUsage()
  node.status().then(status => {
    say({
      s: round((performance.now() - started) / 1000, 1),
      heapMb: round(heapUsed / 1e6, 2),
      heapTotalMb: round(heapTotal / 1e6, 2),
      // the main thread's V8 heap resident in memory: the rest of the anonymous RSS is native
      // memory, worker threads' heaps and pages V8 has freed but not yet given back
      v8PhysicalMb: round(getHeapStatistics().total_physical_size / 1e6, 2),
      externalMb: round((external - arrayBuffers) / 1e6, 2),
      arrayBuffersMb: round(arrayBuffers / 1e6, 2),
      ...rssSplitMb(),
      // the whole process, its worker threads and V8's collector threads included
      cpuS: round((cpu.user + cpu.system) / 1e6, 2),
      posts: status.posts,
      gossip: status.gossip
    })
  }).catch(err => { process.stderr.write(`status failed: ${String(err)}\n`) })
}, sampleMs)

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'stop') break
}
clearInterval(reader)
clearInterval(sampler)
await node.stop()
// stdin, still open, would keep the process alive
process.stdin.destroy()
