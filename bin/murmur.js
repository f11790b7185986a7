#!/usr/bin/env node
// The installed `murmur` command. libp2p needs Node >= 22; when the system Node is older,
// re-run under the Node 22 that `npm install` brought (the `node` devDependency).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
if (major < 22 && existsSync(pinned)) {
  const child = spawn(pinned, [fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => { process.exitCode = code ?? (signal != null ? 1 : 0) })
} else {
  await import('../dist/src/cli/main.js')
}
