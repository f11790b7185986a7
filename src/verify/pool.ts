// src/verify owns signature verification off the main thread. This file: the worker pool,
// its batching and failover, and the one pool a process shares among its nodes.

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { defaultLogger } from '@libp2p/logger'
import { verify } from '../post/signature.js'
import { packBatch } from './batch.js'
import type { SignatureCheck } from '../post/signature.js'
import type { Logger } from '@libp2p/interface'

/** What the main thread posts to a worker: one packed batch (batch.ts), transferred. */
export interface VerifyRequest { id: number, buffer: ArrayBuffer }
/** A worker's answer: one byte per check (1 valid, 0 not), or why it could not answer. */
export type VerifyReply = { id: number, results: Uint8Array, error?: undefined } | { id: number, error: string, results?: undefined }

export interface Verifier {
  /** starts the workers; before start and after stop, batches are verified on the calling thread */
  start(): void
  /** terminates the workers; batches still in flight are answered on the calling thread first */
  stop(): Promise<void>
  /** one verdict per check, in order: post/signature's `verify`, wherever it ran. Never rejects. */
  verifyBatch(checks: readonly SignatureCheck[]): Promise<boolean[]>
  stats(): VerifierStats
}

export interface VerifierStats {
  threads: number
  /** batches answered by a worker */
  batches: number
  /** signatures verified on the main thread because their worker failed or none was up */
  failedOver: number
  /** workers started again after a crash or an error */
  restarts: number
}

export interface VerifierInit {
  /** worker threads; 0 verifies on the calling thread. Default: one per core but one, at least 1 */
  threads?: number
  log?: Logger
  /** the worker's module; tests run one that crashes */
  workerUrl?: URL
  /** most signatures in one message to a worker (and in one turn of main-thread failover) */
  maxBatch?: number
  /** a worker holding work that answers nothing for this long is taken as hung, and replaced */
  answerTimeoutMs?: number
}

/** 256 signatures ≈ 25–50 ms of verification: short enough to redo on the main thread in one turn. */
const DEFAULT_MAX_BATCH = 256
/** Batches a worker holds at once: one it verifies and one ready, so it never waits on the main thread. */
const IN_FLIGHT_PER_WORKER = 2
const FIRST_RESTART_DELAY_MS = 50
const MAX_RESTART_DELAY_MS = 5_000
/**
 * A batch takes 25–50 ms; a process starved to a twentieth of a core still answers in about
 * a second. Silence this long means a worker stuck in a loop or a lost message, and every
 * post of its batches would wait for ever without it.
 */
const DEFAULT_ANSWER_TIMEOUT_MS = 15_000

/** Every core but the one running the node's event loop, and at least one. */
export function defaultVerifyThreads (): number {
  return Math.max(1, availableParallelism() - 1)
}

/** The same verdicts on the calling thread. */
export function verifyHere (checks: readonly SignatureCheck[]): boolean[] {
  return checks.map(c => verify(c.publicKey, c.message, c.signature))
}

interface Request { results: boolean[], left: number, resolve(results: boolean[]): void }
/** Consecutive checks of one request; a request larger than a batch is split into parts. */
interface Part { request: Request, offset: number, checks: readonly SignatureCheck[] }
interface Batch { parts: Part[], size: number }
interface Slot {
  worker?: Worker
  inFlight: Map<number, Batch>
  failures: number
  /** the restart's */
  timer?: ReturnType<typeof setTimeout>
  /** fires when the worker has held work without answering for answerTimeoutMs */
  watchdog?: ReturnType<typeof setTimeout>
}

/** A pool of its own; nodes share one through sharedVerifier. */
export function createVerifier (init: VerifierInit = {}): Verifier {
  const threads = init.threads ?? defaultVerifyThreads()
  const maxBatch = init.maxBatch ?? DEFAULT_MAX_BATCH
  const answerTimeout = init.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS
  const workerUrl = init.workerUrl ?? new URL('./worker.js', import.meta.url)
  const log = init.log ?? defaultLogger().forComponent('murmur:verify')
  const stats = { batches: 0, failedOver: 0, restarts: 0 }
  let running = false
  let slots: Slot[] = []
  // checks not yet sent: they leave together, as one batch, when a worker has room
  const waiting: Part[] = []
  // batches to verify on this thread, one per turn of the event loop
  const local: Batch[] = []
  let localScheduled = false
  let nextId = 0

  function settle (batch: Batch, verdicts: ArrayLike<number | boolean>): void {
    let from = 0
    for (const { request, offset, checks } of batch.parts) {
      for (let i = 0; i < checks.length; i++) request.results[offset + i] = verdicts[from + i] === 1 || verdicts[from + i] === true
      from += checks.length
      request.left -= checks.length
      if (request.left === 0) request.resolve(request.results)
    }
  }

  function checksOf (batch: Batch): SignatureCheck[] {
    return batch.parts.flatMap(p => p.checks)
  }

  function failOver (batch: Batch): void {
    stats.failedOver += batch.size
    local.push(batch)
    if (!localScheduled) {
      localScheduled = true
      setImmediate(verifyLocally)
    }
  }

  function verifyLocally (): void {
    localScheduled = false
    const batch = local.shift()
    if (batch != null) settle(batch, verifyHere(checksOf(batch)))
    if (local.length > 0) {
      localScheduled = true
      setImmediate(verifyLocally)
    }
  }

  function take (): Batch {
    const parts: Part[] = []
    let size = 0
    while (waiting.length > 0 && size < maxBatch) {
      const part = waiting[0]
      const room = maxBatch - size
      if (part.checks.length <= room) {
        waiting.shift()
        parts.push(part)
        size += part.checks.length
      } else {
        parts.push({ request: part.request, offset: part.offset, checks: part.checks.slice(0, room) })
        waiting[0] = { request: part.request, offset: part.offset + room, checks: part.checks.slice(room) }
        size += room
      }
    }
    return { parts, size }
  }

  function idlest (): Slot | undefined {
    let best: Slot | undefined
    for (const slot of slots) {
      if (slot.worker == null || slot.inFlight.size >= IN_FLIGHT_PER_WORKER) continue
      if (best == null || slot.inFlight.size < best.inFlight.size) best = slot
    }
    return best
  }

  function pump (): void {
    for (let slot = idlest(); slot != null && waiting.length > 0; slot = idlest()) send(slot, take())
    // every worker down (restarting, or failing to start): the main thread does the work
    if (waiting.length > 0 && !slots.some(s => s.worker != null)) {
      while (waiting.length > 0) failOver(take())
    }
  }

  function send (slot: Slot, batch: Batch): void {
    const worker = slot.worker as Worker
    const id = nextId++
    const buffer = packBatch(checksOf(batch))
    slot.inFlight.set(id, batch)
    // an idle worker does not keep the process alive; one with work does, until it answers
    if (slot.inFlight.size === 1) {
      worker.ref()
      watch(slot, worker)
    }
    try {
      const request: VerifyRequest = { id, buffer }
      worker.postMessage(request, [buffer])
    } catch (err) {
      broken(slot, worker, err)
    }
  }

  function onReply (slot: Slot, worker: Worker, reply: VerifyReply): void {
    if (slot.worker !== worker) return
    const batch = slot.inFlight.get(reply.id)
    if (batch == null) return
    const { results } = reply
    if (!(results instanceof Uint8Array) || results.length !== batch.size || results.some(v => v > 1)) {
      broken(slot, worker, new Error(reply.error ?? 'a reply that does not match its batch'))
      return
    }
    slot.inFlight.delete(reply.id)
    if (slot.inFlight.size === 0) worker.unref()
    watch(slot, worker)
    slot.failures = 0
    stats.batches++
    settle(batch, results)
    pump()
  }

  /** Counts the silence from now while the worker holds work (it just got some, or answered). */
  function watch (slot: Slot, worker: Worker): void {
    clearTimeout(slot.watchdog)
    slot.watchdog = undefined
    if (slot.inFlight.size === 0) return
    slot.watchdog = setTimeout(() => { broken(slot, worker, new Error(`no answer in ${answerTimeout} ms`)) }, answerTimeout)
    slot.watchdog.unref()
  }

  /** A worker that crashed, exited, hung or answered wrongly: its batches are redone here, and it is replaced. */
  function broken (slot: Slot, worker: Worker, err: unknown): void {
    if (slot.worker !== worker) return
    slot.worker = undefined
    clearTimeout(slot.watchdog)
    const batches = [...slot.inFlight.values()]
    slot.inFlight.clear()
    const signatures = batches.reduce((n, b) => n + b.size, 0)
    log.error('signature worker failed; verifying its %d signatures on the main thread and restarting it - %e', signatures, err)
    worker.terminate().catch(() => {})
    for (const batch of batches) failOver(batch)
    if (running) restartLater(slot)
    pump()
  }

  /** Backs off, so a worker that cannot start does not spin: 50 ms, doubling to 5 s. */
  function restartLater (slot: Slot): void {
    slot.failures++
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (slot.failures - 1))
    slot.timer = setTimeout(() => {
      slot.timer = undefined
      if (!running) return
      stats.restarts++
      spawn(slot)
      pump()
    }, delay)
    slot.timer.unref()
  }

  function spawn (slot: Slot): void {
    let worker: Worker
    try {
      worker = new Worker(workerUrl)
    } catch (err) {
      log.error('could not start a signature worker - %e', err)
      restartLater(slot)
      return
    }
    worker.unref()
    slot.worker = worker
    worker.on('message', (reply: VerifyReply) => { onReply(slot, worker, reply) })
    worker.on('error', err => { broken(slot, worker, err) })
    worker.on('messageerror', err => { broken(slot, worker, err) })
    worker.on('exit', code => { broken(slot, worker, new Error(`the worker exited with code ${code}`)) })
  }

  return {
    start () {
      if (running) return
      running = true
      slots = Array.from({ length: threads }, () => ({ inFlight: new Map(), failures: 0 }))
      for (const slot of slots) spawn(slot)
    },

    async stop () {
      if (!running) return
      running = false
      const workers: Worker[] = []
      for (const slot of slots) {
        clearTimeout(slot.timer)
        clearTimeout(slot.watchdog)
        if (slot.worker != null) workers.push(slot.worker)
        slot.worker = undefined
        local.push(...slot.inFlight.values())
        slot.inFlight.clear()
      }
      slots = []
      while (waiting.length > 0) local.push(take())
      // nothing waits on a stopped pool: what it held is answered now, on this thread
      for (const batch of local.splice(0)) settle(batch, verifyHere(checksOf(batch)))
      await Promise.all(workers.map(async w => w.terminate()))
    },

    async verifyBatch (checks) {
      if (checks.length === 0) return []
      if (!running || threads === 0) return verifyHere(checks)
      return new Promise<boolean[]>(resolve => {
        waiting.push({ request: { results: new Array<boolean>(checks.length), left: checks.length, resolve }, offset: 0, checks })
        pump()
      })
    },

    stats: () => ({ threads, ...stats })
  }
}

const shared = new Map<number, { verifier: Verifier, holders: number }>()

/**
 * A handle on the process's pool of `threads` workers: the first handle to start starts it,
 * the last to stop terminates it. Tests and the gossip benchmark run many nodes in one
 * process, and a pool per node would put several workers on each core.
 */
export function sharedVerifier (init: Omit<VerifierInit, 'workerUrl'> = {}): Verifier {
  const threads = init.threads ?? defaultVerifyThreads()
  let held: Verifier | undefined
  return {
    start () {
      if (held != null) return
      let entry = shared.get(threads)
      if (entry == null) {
        entry = { verifier: createVerifier({ ...init, threads }), holders: 0 }
        shared.set(threads, entry)
        entry.verifier.start()
      }
      entry.holders++
      held = entry.verifier
    },
    async stop () {
      const verifier = held
      if (verifier == null) return
      held = undefined
      const entry = shared.get(threads)
      if (entry?.verifier !== verifier || --entry.holders > 0) return
      shared.delete(threads)
      await verifier.stop()
    },
    verifyBatch: async (checks) => held != null ? held.verifyBatch(checks) : verifyHere(checks),
    stats: () => held?.stats() ?? { threads, batches: 0, failedOver: 0, restarts: 0 }
  }
}
