// The simulation and the soak stopped with `kill` before their end, as a user stops a run that
// takes too long: each runs its nodes as processes of their own, which must end with it, and
// keeps their stores in a temporary dir, which must go too (scripts/cli.ts, onInterrupt).

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pWaitFor from 'p-wait-for'

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts')

/** The processes whose parent is `pid`, from /proc. */
function childrenOf (pid: number): number[] {
  return readdirSync('/proc').filter(name => /^\d+$/.test(name)).flatMap(name => {
    try {
      // the command may hold spaces and parentheses: the fields that follow it are read after its last ')'
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(name)] : []
    } catch {
      return []
    }
  })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process's command line, its arguments split. */
function commandLine (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(arg => arg !== '')
}

/** Runs a script with a temporary dir of its own until its output says `ready`, then sends it SIGTERM. */
async function interrupt (script: string, args: string[], ready: RegExp): Promise<{ code: number | null, nodes: number[], commands: string[][], left: string[], output: string }> {
  const temp = await mkdtemp(join(tmpdir(), 'murmur-test-interrupt-'))
  try {
    const child = spawn(process.execPath, [join(SCRIPTS, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: temp } })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const exited = once(child, 'exit')
    await pWaitFor(() => ready.test(output) || child.exitCode != null, { interval: 100, timeout: 90_000 })
    assert.equal(child.exitCode, null, output)
    const nodes = childrenOf(child.pid as number)
    const commands = nodes.map(commandLine)
    child.kill('SIGTERM')
    const [code] = await exited as [number | null]
    // the benchmark's cache of signed posts may stay: it is kept for the day on purpose
    const left = (await readdir(temp)).filter(name => name !== 'murmur-bench')
    return { code, nodes, commands, left, output }
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

describe('e2e: scripts stopped before their end', function () {
  this.timeout(150_000)

  it('the simulation ends its nodes and removes their stores', async () => {
    const flag = '--max-semi-space-size=8'
    const run = await interrupt('simulate.js', ['--nodes', '3', '--minutes', '1', '--rate', '1', `--odd-node-flags=${flag}`], /3 nodes up/)
    assert.equal(run.nodes.length, 3, `three node processes while it ran\n${run.output}`)
    // node 1 alone: the odd nodes run with the flags under test, the even ones are the baseline
    assert.equal(run.commands.filter(command => command.includes(flag)).length, 1, run.commands.map(command => command.join(' ')).join('\n'))
    assert.equal(run.code, 143, run.output)
    assert.deepEqual(run.nodes.filter(alive), [], 'no node process outlives it')
    assert.deepEqual(run.left, [], 'no store is left behind')
  })

  it('the soak stops its node and removes its store', async () => {
    const flags = ['--heap-growing-percent=0', '--max-semi-space-size=8']
    const run = await interrupt(join('bench', 'soak.js'), ['--minutes', '3', `--node-flags=${flags.join(' ')}`], /the node runs on/)
    assert.equal(run.nodes.length, 1, run.output)
    // node's own flags, before the script they apply to
    const command = run.commands[0]
    const script = command.findIndex(arg => arg.endsWith('soak-node.js'))
    assert.ok(flags.every(flag => command.indexOf(flag) > 0 && command.indexOf(flag) < script), command.join(' '))
    assert.equal(run.code, 143, run.output)
    assert.deepEqual(run.nodes.filter(alive), [])
    assert.deepEqual(run.left, [])
  })
})
