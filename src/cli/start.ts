// `murmur start`: flags → config → node → API server, running until SIGINT/SIGTERM.
// Tests and the relay use startFromArgs too, so every node starts through this one path.

import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createNode } from '../index.js'
import { createApiServer } from '../api/server.js'
import { createConfig, type MurmurConfig } from '../config.js'
import { configFromFlags, readConfigFile } from './args.js'
import { isLoopback, multiaddr } from '../network/libp2p.js'
import type { MurmurNode } from '../node/types.js'
import type { ApiServer } from '../api/server.js'

export const START_OPTIONS = {
  data: { type: 'string' },
  listen: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  api: { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  join: { type: 'string', multiple: true },
  mdns: { type: 'boolean' },
  'no-mdns': { type: 'boolean' },
  'pow-bits': { type: 'string' },
  pow: { type: 'string' },
  'loopback-only': { type: 'boolean' },
  config: { type: 'string' },
  json: { type: 'boolean' }
} as const

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

export async function startFromArgs (argv: string[]): Promise<RunningNode> {
  const { values } = parseArgs({ args: argv, options: START_OPTIONS, allowPositionals: false, strict: true })
  const fileLayer = values.config != null ? await readConfigFile(values.config) : {}
  const config = createConfig(fileLayer, configFromFlags(values))
  const node = await createNode(config)
  await node.start()
  const root = webRoot()
  const api = createApiServer({ node, listen: config.api, ...(root != null ? { webRoot: root } : {}) })
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

/** The banner: what a user needs to share, and what the node exposes. */
export function banner (running: RunningNode): string {
  const { node, api, config } = running
  const addrs = node.addresses()
  const lines = [
    'murmur node running',
    `  web page & API  ${api.url()}/`,
    `  peer id         ${node.peerId}`,
    '  listening on',
    ...addrs.map(a => `    ${a}`),
    `  data            ${config.dataDir}`,
    `  topics          ${node.topics().join(', ') || '(none yet: murmur join tag:NAME)'}`
  ]
  if (addrs.every(a => isLoopback(multiaddr(a)))) {
    lines.push('  network         this machine only (loopback). To meet peers on your network: --listen /ip4/0.0.0.0/tcp/4001')
  } else {
    lines.push('  network         OPEN beyond this machine: peers can connect to the addresses above')
  }
  lines.push('Stop with Ctrl-C.')
  return lines.join('\n')
}

export async function startCommand (argv: string[]): Promise<void> {
  const running = await startFromArgs(argv)
  const json = argv.includes('--json')
  process.stdout.write((json
    ? JSON.stringify({ event: 'ready', api: running.api.url(), peerId: running.node.peerId, addresses: running.node.addresses() })
    : banner(running)) + '\n')
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
