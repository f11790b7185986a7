// End-to-end fixture: a node started as a user starts one, `murmur start` in its own
// process on real TCP on 127.0.0.1 with OS-chosen ports, and a small client for its API.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import pWaitFor from 'p-wait-for'

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js')

export interface CliNode {
  api: string
  url: string
  peerId: string
  addresses: string[]
  /** a relay's addresses to share */
  share: string[]
  dataDir: string
  /** the C allocator the node reported it runs on */
  allocator: string
  process: ChildProcess
  /** combined stderr, for failure messages */
  stderr(): string
  get<T = any>(path: string): Promise<T>
  send<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number, body: T }>
  stop(): Promise<void>
}

export interface StartOptions {
  /** `murmur relay` instead of `murmur start`: an admin API, every topic, a circuit relay */
  relay?: boolean
  /** replaces the one loopback TCP listener */
  listen?: string[]
  dataDir?: string
  bootstrap?: string[]
  join?: string[]
  powBits?: number
  extra?: string[]
  /** added to this process's environment */
  env?: Record<string, string>
}

export async function tempDir (prefix = 'murmur-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** Runs the CLI once (a client command) and collects its output and exit code. */
export async function runCli (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number>(resolve => child.on('exit', c => { resolve(c ?? -1) }))
  return { code, stdout, stderr }
}

export async function startCliNode (options: StartOptions = {}): Promise<CliNode> {
  const dataDir = options.dataDir ?? await tempDir()
  const args = [
    CLI, options.relay === true ? 'relay' : 'start', '--json',
    '--data', dataDir,
    ...(options.listen ?? ['/ip4/127.0.0.1/tcp/0']).flatMap(l => ['--listen', l]),
    // a relay has mDNS off and no web page: its API is the admin interface
    ...(options.relay === true ? ['--admin', '127.0.0.1:0'] : ['--api', '127.0.0.1:0', '--no-mdns']),
    '--loopback-only',
    '--pow-bits', String(options.powBits ?? 4),
    ...(options.bootstrap ?? []).flatMap(b => ['--bootstrap', b]),
    ...(options.join ?? []).flatMap(t => ['--join', t]),
    ...(options.extra ?? [])
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const lines = createInterface({ input: child.stdout })
  const ready = await new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`node did not start within 30 s: ${stderr}`)) }, 30_000)
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`node exited with ${String(code)} before it was ready: ${stderr}`)) })
    lines.on('line', line => {
      try {
        const event = JSON.parse(line)
        if (event.event === 'ready') { clearTimeout(timer); resolve(event) }
      } catch {}
    })
  })
  const url: string = ready.api
  const send = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> => {
    const res = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() as T }
  }
  let stopped: Promise<void> | undefined
  return {
    api: url.replace(/^http:\/\//, ''),
    url,
    peerId: ready.peerId,
    addresses: ready.addresses,
    share: ready.share ?? [],
    dataDir,
    allocator: ready.allocator,
    process: child,
    stderr: () => stderr,
    send,
    async get<T>(path: string): Promise<T> {
      const { status, body } = await send<T>('GET', path)
      if (status !== 200) throw new Error(`GET ${path} → ${status} ${JSON.stringify(body)}`)
      return body
    },
    async stop () {
      stopped ??= endProcess(child)
      return stopped
    }
  }
}

/** SIGTERM, a clean stop; SIGKILL if it has not ended 15 s later. */
export async function endProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

export async function removeDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Polls `condition` until it holds; the failure names what was awaited. */
export async function waitFor (what: string, condition: () => Promise<boolean> | boolean, timeout = 30_000): Promise<void> {
  try {
    await pWaitFor(async () => {
      try {
        return await condition()
      } catch {
        return false
      }
    }, { interval: 100, timeout })
  } catch {
    throw new Error(`timed out after ${timeout} ms waiting for: ${what}`)
  }
}
