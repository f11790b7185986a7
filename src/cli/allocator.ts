// The C allocator a node's process runs on. A long-running node grows faster on glibc's malloc:
// taking 300 messages a second it grew 7.5 MB every 10 minutes, and 2.4 on jemalloc
// (docs/performance.md, "Soak"). So `murmur start` and `murmur relay` run themselves
// again with the system's jemalloc preloaded when there is one, before they load anything.
// MURMUR_ALLOCATOR=system keeps glibc's.

import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export const ALLOCATOR_ENV = 'MURMUR_ALLOCATOR'

const LIBRARY = 'libjemalloc.so.2'

/** Debian's multiarch directories, by Node's name for the architecture. */
const TRIPLETS: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu'
}

/** Where distributions install jemalloc's library: Debian and Ubuntu first, then Fedora, Arch, Alpine and a build from source. */
export function jemallocCandidates (arch: string): string[] {
  const triplet = TRIPLETS[arch]
  return [
    ...(triplet === undefined ? [] : [`/usr/lib/${triplet}/${LIBRARY}`]),
    `/usr/lib64/${LIBRARY}`,
    `/usr/lib/${LIBRARY}`,
    `/usr/local/lib/${LIBRARY}`
  ]
}

export interface AllocatorContext {
  platform: string
  arch: string
  env: Record<string, string | undefined>
  exists: (path: string) => boolean
  /** whether this Node can replace its process (`process.execve`, Node ≥ 22.15) */
  canExec: boolean
}

/**
 * The jemalloc library to preload, or undefined to run on as this process is: off Linux,
 * without `process.execve`, when the user chose (or this process already ran the choice:
 * ALLOCATOR_ENV is set either way), when jemalloc is preloaded already, or not installed.
 */
export function jemallocToPreload (context: AllocatorContext): string | undefined {
  const { platform, arch, env, exists, canExec } = context
  if (platform !== 'linux' || !canExec) return undefined
  if (env[ALLOCATOR_ENV] !== undefined && env[ALLOCATOR_ENV] !== '') return undefined
  if (env.LD_PRELOAD?.includes('jemalloc') === true) return undefined
  return jemallocCandidates(arch).find(exists)
}

/**
 * jemalloc's settings unless the user gave some: one arena a core, where jemalloc's default is
 * four. A node at a million posts peaked about 10 MB lower on a 2-core machine (220–227 MB
 * against 230–234), with ingest and storage as before (docs/performance.md, "Soak").
 */
export function jemallocConf (env: Record<string, string | undefined>, cores: number): string {
  const given = env.MALLOC_CONF
  return given !== undefined && given !== '' ? given : `narenas:${Math.max(1, cores)}`
}

/**
 * Replaces this process with the same command on jemalloc when `jemallocToPreload` names one;
 * returns only if it does not (or if the replacement failed, on glibc's malloc as before).
 */
export function preferJemalloc (): void {
  const library = jemallocToPreload({
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    exists: existsSync,
    canExec: typeof process.execve === 'function'
  })
  if (library === undefined) return
  const preload = [library, process.env.LD_PRELOAD].filter(p => p !== undefined && p !== '').join(':')
  try {
    process.execve?.(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      ...process.env,
      [ALLOCATOR_ENV]: 'jemalloc',
      LD_PRELOAD: preload,
      MALLOC_CONF: jemallocConf(process.env, availableParallelism())
    })
  } catch (err: any) {
    process.stderr.write(`murmur: could not restart on jemalloc (${String(err?.message ?? err)}); running on the system's malloc\n`)
  }
}

/** The allocator this process runs on, as the loader mapped it: 'jemalloc' or 'system'. */
export function allocatorInUse (): 'jemalloc' | 'system' {
  if (process.platform !== 'linux') return 'system'
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc') ? 'jemalloc' : 'system'
  } catch {
    return 'system'
  }
}
