// The C allocator a node's process runs on, and how many arenas it gets. What a long-running
// node's RSS gains is freed memory the allocator keeps, not memory the node holds, and glibc's
// malloc with its default of eight arenas a core keeps the most: taking 300 messages a second
// for 20 minutes, it grew 11.8–12.9 MB every 10 minutes, and 4.2–6.7 with one arena a core (2.2
// over 40 minutes and 2.5 over 90, as little as jemalloc's 2.4; jemalloc, 1.6 from minute 10 of
// an hour, 7–10 MB lower: docs/performance.md, "What is left of the growth").
// So `murmur start` and `murmur relay` run themselves again, before they load anything: on the
// system's jemalloc when there is one, else on glibc's malloc with one arena a core
// (MALLOC_ARENA_MAX). MURMUR_ALLOCATOR=system keeps the process as it is.

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
  /** whether this process allocates with glibc's malloc (musl's has no arenas to set); asked only when jemalloc is absent */
  glibc: () => boolean
  cores: number
}

const given = (value: string | undefined): value is string => value !== undefined && value !== ''

/**
 * The variables to run this process again with, or undefined to run on as it is: off Linux,
 * without `process.execve`, when the user chose (or this process already ran the choice:
 * ALLOCATOR_ENV is set either way), or when the allocator's settings are the user's already.
 * jemalloc gets one arena a core (its default is four) unless the user set MALLOC_CONF: a node
 * at a million posts peaked about 10 MB lower on a 2-core machine, with ingest and storage as
 * before. glibc gets one arena a core (its default is eight) unless the user set them
 * (docs/performance.md, "Soak").
 */
export function allocatorRestart (context: AllocatorContext): Record<string, string> | undefined {
  const { platform, arch, env, exists, canExec, glibc } = context
  if (platform !== 'linux' || !canExec || given(env[ALLOCATOR_ENV])) return undefined
  if (env.LD_PRELOAD?.includes('jemalloc') === true) return undefined
  const arenas = String(Math.max(1, context.cores))
  const library = jemallocCandidates(arch).find(exists)
  if (library !== undefined) {
    return {
      [ALLOCATOR_ENV]: 'jemalloc',
      LD_PRELOAD: [library, env.LD_PRELOAD].filter(given).join(':'),
      MALLOC_CONF: given(env.MALLOC_CONF) ? env.MALLOC_CONF : `narenas:${arenas}`
    }
  }
  if (given(env.MALLOC_ARENA_MAX) || env.GLIBC_TUNABLES?.includes('arena_max') === true || !glibc()) return undefined
  return { [ALLOCATOR_ENV]: 'glibc', MALLOC_ARENA_MAX: arenas }
}

/** The libraries the loader mapped into this process, as /proc lists them ('' off Linux). */
function mapped (): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8')
  } catch {
    return ''
  }
}

/**
 * Replaces this process with the same command on the allocator `allocatorRestart` names;
 * returns only if it names none (or if the replacement failed: the process runs on as it was).
 */
export function chooseAllocator (): void {
  const restart = allocatorRestart({
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    exists: existsSync,
    canExec: typeof process.execve === 'function',
    glibc: () => mapped().includes('/libc.so.6'),
    cores: availableParallelism()
  })
  if (restart === undefined) return
  try {
    process.execve?.(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, ...restart })
  } catch (err: any) {
    process.stderr.write(`murmur: could not restart on ${restart[ALLOCATOR_ENV]} (${String(err?.message ?? err)}); running on the system's malloc as it was\n`)
  }
}

/** The allocator this process runs on, as the loader mapped it: 'jemalloc' or 'system'. */
export function allocatorInUse (): 'jemalloc' | 'system' {
  return mapped().includes('libjemalloc') ? 'jemalloc' : 'system'
}
