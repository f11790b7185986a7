// `murmur start` and `murmur relay`: flags → config → node → API (or admin) server, running
// until SIGINT/SIGTERM. Tests use startFromArgs too, so every node starts through this one path.

import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createNode } from '../index.js'
import { createApiServer } from '../api/server.js'
import { createConfig, relayDefaults, type MurmurConfig } from '../config.js'
import { configFromFlags, readConfigFile, type StartFlags } from './args.js'
import { isLoopback, multiaddr } from '../network/libp2p.js'
import type { MurmurNode } from '../node/types.js'
import type { ApiServer } from '../api/server.js'
import type { UpgradeProgress } from '../store/index.js'
import { allocatorInUse, ALLOCATOR_ENV } from './allocator.js'

/** Flags both `start` and `relay` take. */
const NODE_OPTIONS = {
  data: { type: 'string' },
  listen: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  'pow-bits': { type: 'string' },
  pow: { type: 'string' },
  'loopback-only': { type: 'boolean' },
  config: { type: 'string' },
  json: { type: 'boolean' }
} as const

const START_OPTIONS = {
  ...NODE_OPTIONS,
  api: { type: 'string' },
  join: { type: 'string', multiple: true },
  mdns: { type: 'boolean' },
  'no-mdns': { type: 'boolean' }
} as const

const RELAY_OPTIONS = {
  ...NODE_OPTIONS,
  admin: { type: 'string' },
  topics: { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  retention: { type: 'string' },
  reservations: { type: 'string' }
} as const

export type Mode = 'node' | 'relay'

export interface RunningNode {
  node: MurmurNode
  api: ApiServer
  config: MurmurConfig
  stop(): Promise<void>
}

/** The built web page, beside the compiled code (dist/web). */
export function webRoot (): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web')
  return existsSync(join(dir, 'index.html')) ? dir : undefined
}

export async function startFromArgs (argv: string[], mode: Mode = 'node'): Promise<RunningNode> {
  const { values } = parseArgs({ args: argv, options: mode === 'relay' ? RELAY_OPTIONS : START_OPTIONS, allowPositionals: false, strict: true })
  const fileLayer = values.config != null ? await readConfigFile(values.config) : {}
  const flagLayer = configFromFlags(values as StartFlags)
  const layers = mode === 'relay' ? [relayDefaults(), fileLayer, flagLayer] : [fileLayer, flagLayer]
  // a relay given its topics carries those only, unless told to carry every topic as well
  const chosen = { ...fileLayer, ...flagLayer }
  if (mode === 'relay' && chosen.join != null && chosen.join.length > 0 && chosen.allTopics !== true) layers.push({ allTopics: false })
  const config = createConfig(...layers)
  const node = await createNode(config, { onStoreUpgrade: upgradeReporter() })
  await node.start()
  const root = mode === 'relay' ? undefined : webRoot()
  const api = createApiServer({ node, listen: config.api, admin: mode === 'relay', ...(root != null ? { webRoot: root } : {}) })
  try {
    await api.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  return {
    node,
    api,
    config,
    async stop () {
      await api.stop()
      await node.stop()
    }
  }
}

/**
 * The addresses to give a relay's community: the announced ones, else those reachable from
 * elsewhere (loopback only when there is nothing else, as in a test).
 */
export function shareableAddresses (node: MurmurNode): string[] {
  const addrs = node.addresses()
  const open = addrs.filter(a => !isLoopback(multiaddr(a)))
  return open.length > 0 ? open : addrs
}

/** The banner's allocator line: on Linux on glibc's default arenas, how to get jemalloc (src/cli/allocator.ts). */
function memoryLine (): string[] {
  if (allocatorInUse() === 'jemalloc') return ['  memory          jemalloc']
  if (process.platform !== 'linux') return []
  if (process.env[ALLOCATOR_ENV] === 'system') return [`  memory          the system's malloc (${ALLOCATOR_ENV}=system)`]
  // with few arenas glibc's grew as little as jemalloc in a 40-minute soak (docs/performance.md, "Soak")
  const arenas = process.env.MALLOC_ARENA_MAX
  if (arenas !== undefined) return [`  memory          the system's malloc (MALLOC_ARENA_MAX=${arenas})`]
  return ["  memory          the system's malloc, on which a long run grows: install jemalloc (apt install libjemalloc2) and murmur uses it"]
}

function relayBanner (running: RunningNode): string {
  const { node, api, config } = running
  const share = shareableAddresses(node)
  return [
    'murmur relay running',
    `  peer id         ${node.peerId}`,
    '  share these addresses (murmur start --bootstrap ADDRESS):',
    ...share.map(a => `    ${a}`),
    `  admin           ${api.url()}/metrics  ${api.url()}/health  ${api.url()}/api/status`,
    `  topics          ${config.allTopics ? `every topic peers ask for (up to ${config.maxTopics})` : config.join.join(', ')}`,
    `  retention       ${Math.round(config.retentionMs / 3_600_000)} h (never past a post's own expiry)`,
    `  relaying        up to ${config.relayReservations} peers behind NAT (circuit-relay-v2, limited connections)`,
    `  data            ${config.dataDir}`,
    ...memoryLine(),
    ...(share.every(a => isLoopback(multiaddr(a))) ? ['  network         this machine only (loopback)'] : []),
    ...(config.announce.length === 0 && !share.every(a => isLoopback(multiaddr(a)))
      ? ['  behind a NAT or a proxy? give the public address: --announce /dns4/relay.example.org/tcp/4001']
      : []),
    'Stop with Ctrl-C.'
  ].join('\n')
}

/**
 * Prints an older store's upgrade on stderr, about every 2 s: it runs before the node starts
 * and takes minutes on a million posts, which would otherwise look like a hang.
 */
function upgradeReporter (): (progress: UpgradeProgress) => void {
  let last: { step: string, at: number } | undefined
  return ({ from, to, step, done }) => {
    const now = Date.now()
    if (last?.step === step && now - last.at < 2_000) return
    last = { step, at: now }
    const what = from === to ? 'preparing the store' : `upgrading the store from schema ${from} to ${to}`
    process.stderr.write(`murmur: ${what}: ${step}${done > 0 ? `, ${done.toLocaleString('en')} entries` : ''}…\n`)
  }
}

/** The banner: what a user needs to share, and what the node exposes. */
export function banner (running: RunningNode, mode: Mode = 'node'): string {
  if (mode === 'relay') return relayBanner(running)
  const { node, api, config } = running
  const addrs = node.addresses()
  const lines = [
    'murmur node running',
    `  web page & API  ${api.url()}/`,
    `  peer id         ${node.peerId}`,
    '  listening on',
    ...addrs.map(a => `    ${a}`),
    `  data            ${config.dataDir}`,
    `  topics          ${node.topics().join(', ') || '(none yet: murmur join tag:NAME)'}`,
    ...memoryLine()
  ]
  if (addrs.every(a => isLoopback(multiaddr(a)))) {
    lines.push('  network         this machine only (loopback). To meet peers on your network: --listen /ip4/0.0.0.0/tcp/4001')
  } else {
    lines.push('  network         OPEN beyond this machine: peers can connect to the addresses above')
  }
  lines.push('Stop with Ctrl-C.')
  return lines.join('\n')
}

export async function startCommand (argv: string[], mode: Mode = 'node'): Promise<void> {
  const running = await startFromArgs(argv, mode)
  const json = argv.includes('--json')
  process.stdout.write((json
    ? JSON.stringify({ event: 'ready', api: running.api.url(), peerId: running.node.peerId, addresses: running.node.addresses(), allocator: allocatorInUse(), ...(mode === 'relay' ? { share: shareableAddresses(running.node) } : {}) })
    : banner(running, mode)) + '\n')
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    if (!json) process.stdout.write(`\n${signal}: stopping…\n`)
    running.stop().then(() => {
      if (json) process.stdout.write(JSON.stringify({ event: 'stopped' }) + '\n')
      process.exit(0)
    }, (err) => {
      process.stderr.write(`error while stopping: ${String(err?.message ?? err)}\n`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
}
