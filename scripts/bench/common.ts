// Shared helpers of the benchmark: temp dirs, timing, percentiles, and the decoded form of a
// benchmark envelope for code that must not pay for validation twice (filling big stores).

import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@noble/hashes/utils.js'
import { bodyId, decodeBody, decodeEnvelope, toMessage, Kind } from '../../src/post/index.js'
import type { Message } from '../../src/post/index.js'

/** temporary dirs not yet removed, so that an interrupted run leaves no store in /tmp (the full bench fills one of a million posts) */
const temporary = new Set<string>()

async function removeTemp (path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
  temporary.delete(path)
}

export async function tempDir (name: string): Promise<{ path: string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `murmur-bench-${name}-`))
  temporary.add(path)
  return { path, remove: async () => { await removeTemp(path) } }
}

/** For an interrupted run (scripts/cli.ts, onInterrupt). */
export async function removeTempDirs (): Promise<void> {
  await Promise.all([...temporary].map(removeTemp))
}

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

export function median (values: number[]): number {
  return percentile(values, 50)
}

export function round (x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * A benchmark envelope as the store takes it, decoded without the signature check: only for
 * filling stores with envelopes this process signed itself; the ingest figures use the
 * full pipeline.
 */
export function trustedMessage (envelope: Uint8Array): Message {
  const { body: bodyBytes } = decodeEnvelope(envelope)
  const body = decodeBody(bodyBytes)
  if (body.kind !== Kind.POST) throw new Error('benchmark datasets hold root posts only')
  return toMessage(bytesToHex(bodyId(bodyBytes)), 'post', body, envelope)
}

/** Lets pending I/O callbacks and timers run between CPU-bound steps. */
export async function breathe (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/**
 * This process's peak RSS. Not getrusage's maxRSS: on Linux a child inherits its parent's
 * high-water mark across fork and exec, so node-rss, started by a bench holding a million
 * posts in memory, reported the parent's 1 GB. /proc's VmHWM belongs to this process alone.
 */
export function peakRssMb (): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    if (kb !== undefined) return round(Number(kb) / 1024, 1)
  } catch {}
  // maxRSS is in KiB
  return round(process.resourceUsage().maxRSS / 1024, 1)
}

/** This process's resident memory now, split into its own (anonymous) and mapped files', MB (Linux; zeros elsewhere). */
export function rssSplitMb (): { anonMb: number, fileMb: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
    return { anonMb: round(kb('RssAnon') / 1024, 1), fileMb: round(kb('RssFile') / 1024, 1) }
  } catch {
    return { anonMb: 0, fileMb: 0 }
  }
}
