// Child process of the benchmark: opens a murmur node on an existing data dir (a filled store),
// reads the feeds a user opens, takes a gossip-sized batch through the pipeline, and prints its
// peak RSS as JSON. Separate so the parent's dataset in memory does not count.
//
//   node dist/scripts/bench/node-rss.js <dataDir> [--crash]
//
// --crash ends the process once the batch is stored, with no stop, as a crash would: the next
// run on that data dir measures a start after a crash (docs/storage.md, "The saved id filter").

import { createNode } from '../../src/index.js'
import { allocatorInUse } from '../../src/cli/allocator.js'
import { prepareNodeProcess } from '../../src/cli/node-process.js'
import { dataset } from './dataset.js'
import { peakRssMb, rssSplitMb } from './common.js'
import { startListed } from './store.js'
import { scriptArgs } from '../cli.js'

const args = scriptArgs('node dist/scripts/bench/node-rss.js <dataDir> [--crash]', { crash: { type: 'boolean' } }, { min: 1, max: 1 })
const dataDir = args.positionals[0]
// on the allocator `murmur start` would run on (jemalloc where it is installed, else glibc's with
// one arena a core), with its heap growth
prepareNodeProcess()
const node = await createNode({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], loopbackOnly: true, mdns: false, powBits: 0, join: ['tag:lyon', 'geo:u05k'], topicQuota: 10_000_000 })
await node.start()
// as a node running for more than a few seconds has: its ids listed (src/store/known.ts), which
// a run that ended first (as this did until 2026-12-01) never counted
await startListed(node.store)
// whether this start listed the ids (a store that never saved its filter) or restored them
const listedIds = (node.store as unknown as { idsListed?: number }).idsListed ?? null
const openedMb = peakRssMb()
for (const sort of ['hot', 'new', 'top'] as const) await node.feed({ topic: 'tag:lyon', sort })
await node.feed({ near: { lat: 45.76, lon: 4.83 }, sort: 'hot' })
const fresh = await dataset({ count: 2_000, seed: 99 })
await node.ingestor.submitMany(fresh)
await node.ingestor.flush()
const status = await node.status()
// LevelDB maps its table files: pages read through them count in RSS as file-backed memory,
// which the kernel can drop under pressure, unlike the process's own (anonymous) memory
const { anonMb, fileMb } = rssSplitMb()
if (args.flag('crash')) process.exit(0)
await node.stop()
console.log(JSON.stringify({ posts: status.posts, listedIds, allocator: allocatorInUse(), openedMb, peakMb: peakRssMb(), endAnonMb: anonMb, endFileMb: fileMb }))
