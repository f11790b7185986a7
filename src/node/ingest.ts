// The one entry point for every envelope a node accepts — gossip, sync and the local API:
// stateless validation, then the store's stateful rules, with writes arriving together
// coalesced into one LevelDB batch. Validation runs from a bounded queue in slices of a few
// milliseconds, so a burst never holds the event loop (pings, muxers, the API) for long; with
// a verifier, each slice's signatures go to worker threads as one batch while the next slice runs.

import { completeEnvelope, prepareEnvelope, validateEnvelope } from '../post/index.js'
import { verifyHere, type Verifier } from '../verify/index.js'
import type { PreparedEnvelope, ValidateOptions, ValidationResult } from '../post/index.js'
import type { Message } from '../post/model.js'
import type { PowPolicy } from '../post/index.js'
import type { PostStore, IngestResult } from '../store/index.js'

export type IngestOutcome =
  | { status: 'stored', message: Message }
  /** valid but already known (or deleted): nothing changed */
  | { status: 'known', message: Message, code: 'DUPLICATE' | 'DELETED' }
  /** not stored; 'ignore' is not held against the sender, 'reject' is */
  | { status: 'refused', severity: 'ignore' | 'reject', code: string, reason: string }

export interface IngestOptions {
  /** the gossip topic it arrived on, checked against the message's own topics */
  topic?: string
  now?: number
  /** write at once and flush to disk before answering: the local user's own messages */
  durable?: boolean
  /** with durable: the nonce (hex) the user's post key derives from, marked in the same write */
  mine?: string
}

export interface Ingestor {
  submit(envelope: Uint8Array, options?: IngestOptions): Promise<IngestOutcome>
  /** the same for many envelopes, written in one batch */
  submitMany(envelopes: Uint8Array[], options?: IngestOptions): Promise<IngestOutcome[]>
  /** settles once every write submitted so far is on disk */
  flush(): Promise<void>
}

export interface IngestorInit {
  store: PostStore
  pow: () => PowPolicy
  /** work below `pow` but at least this is ignored, not held against the sender (see validate.ts) */
  powFloor?: () => PowPolicy
  /** messages created before this instant are not kept: a retention shorter than posts live */
  keepSince?: () => number
  /** called once for each message newly stored; local: submitted as durable (the user's own) */
  onStored?(message: Message, local: boolean): void
  /**
   * A last word after validation, before the store: a code to refuse a valid message without
   * blaming its sender (severity ignore), e.g. a post a followed moderator labels `drop`.
   */
  admit?(message: Message): string | undefined
  /**
   * Verifies the signatures of queued envelopes in batches (worker threads, src/verify); without
   * it, each is verified on the event loop within its validation slice. The local user's own
   * messages (durable) are always verified at once, here.
   */
  verifier?: Pick<Verifier, 'verifyBatch'>
  /** largest batch written at once */
  maxBatch?: number
  /** envelopes waiting for validation or at the verifier before gossip's are refused as OVERLOADED (ignored, not held against the sender) */
  maxQueued?: number
  /** longest stretch of validation before yielding to the event loop, ms */
  sliceMs?: number
  /** a slice of at most this many signatures, with no backlog, is verified here, not at the verifier (0: never) */
  verifyHereMax?: number
}

/** 8 192 envelopes ≈ 4 s of validation on a slow core: past that, gossip's own retransmission and sync do better than a queue. */
const DEFAULT_MAX_QUEUED = 8_192
const DEFAULT_SLICE_MS = 5
/** ≈ 1–2 ms of signatures on this thread: a slice this small with no backlog skips the worker */
const DEFAULT_VERIFY_HERE_MAX = 8

interface Job {
  envelope: Uint8Array
  options: IngestOptions
  resolve(outcome: IngestOutcome | Promise<IngestOutcome>): void
}

/** One slice's envelopes at the verifier, answered in the order they were sent. */
interface Verifying {
  jobs: Array<{ job: Job, prepared: Exclude<PreparedEnvelope, { ok: false }> }>
  verdicts?: boolean[]
  /** settles once this slice's verdicts are in; the oldest slice's messages have then gone on to the store */
  answered: Promise<void>
}

interface Pending {
  message: Message
  resolve(result: IngestResult): void
  reject(err: Error): void
}

export function createIngestor (init: IngestorInit): Ingestor {
  const maxBatch = init.maxBatch ?? 512
  let queue: Pending[] = []
  let scheduled: Promise<void> | undefined

  // Messages validated while a write is in flight share the next batch: one write at a time
  // per node, each taking everything that arrived meanwhile. Gossip delivers bursts, and one
  // batched write costs little more than a single put, while many small ones queue up.
  let writing: Promise<void> | undefined

  // A slice's messages are all enqueued in one synchronous pass (its verdicts arrive
  // together), so a microtask already sees the whole slice: waiting for the next turn of the
  // event loop added that turn's I/O to every message's latency and nothing to the batch.
  function enqueue (message: Message): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      queue.push({ message, resolve, reject })
      if (writing == null) scheduled ??= Promise.resolve().then(writeQueued)
    })
  }

  async function writeQueued (): Promise<void> {
    scheduled = undefined
    if (writing != null) return await writing
    writing = (async () => {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch)
        queue = queue.slice(batch.length)
        try {
          const results = await init.store.ingest(batch.map(p => p.message))
          batch.forEach((p, i) => { p.resolve(results[i]) })
        } catch (err: any) {
          batch.forEach(p => { p.reject(err) })
        }
      }
    })()
    try {
      await writing
    } finally {
      writing = undefined
    }
  }

  const maxQueued = init.maxQueued ?? DEFAULT_MAX_QUEUED
  const sliceMs = init.sliceMs ?? DEFAULT_SLICE_MS
  const verifyHereMax = init.verifyHereMax ?? DEFAULT_VERIFY_HERE_MAX
  let jobs: Job[] = []
  let next = 0
  let draining = false

  // slices sent to the verifier and not yet answered, oldest first; `verifying` counts their envelopes
  const atVerifier: Verifying[] = []
  let verifying = 0

  function validateLater (envelope: Uint8Array, options: IngestOptions, bounded: boolean): Promise<IngestOutcome> {
    // an envelope at the verifier holds as much memory as one waiting: both count
    if (bounded && jobs.length - next + verifying >= maxQueued) {
      return Promise.resolve({ status: 'refused', severity: 'ignore', code: 'OVERLOADED', reason: `more than ${maxQueued} envelopes wait for validation` })
    }
    return new Promise<IngestOutcome>(resolve => {
      jobs.push({ envelope, options, resolve })
      if (!draining) {
        draining = true
        setImmediate(drain)
      }
    })
  }

  function drain (): void {
    const until = performance.now() + sliceMs
    const slice: Verifying['jobs'] = []
    while (next < jobs.length && performance.now() < until) {
      const job = jobs[next++]
      if (init.verifier == null) {
        job.resolve(admitAndStore(validateEnvelope(job.envelope, validateOptions(job.options)), job.options))
        continue
      }
      const prepared = prepareEnvelope(job.envelope, validateOptions(job.options))
      if (prepared.ok === false) job.resolve(refusal(prepared))
      else slice.push({ job, prepared })
    }
    // A few signatures with nothing queued behind them and nothing at the verifier: a node
    // between bursts. A worker's round trip costs more than the verification itself (two
    // messages between threads, each waiting for its thread to be scheduled: on a busy machine
    // that is most of a hop's delay), and parallel threads only pay off for a backlog.
    if (slice.length > 0) {
      if (slice.length <= verifyHereMax && next >= jobs.length && atVerifier.length === 0) settle(slice, verifyHere(slice.map(s => s.prepared.check)))
      else toVerifier(slice)
    }
    if (next < jobs.length) {
      if (next > 1_024) {
        jobs = jobs.slice(next)
        next = 0
      }
      setImmediate(drain)
    } else {
      jobs = []
      next = 0
      draining = false
    }
  }

  /** Each job's outcome, its signature's verdict known. */
  function settle (slice: Verifying['jobs'], verdicts: boolean[]): void {
    slice.forEach(({ job, prepared }, i) => { job.resolve(admitAndStore(completeEnvelope(prepared, verdicts[i]), job.options)) })
  }

  /**
   * Answers come back in the order slices were sent, whatever thread answered first, so the
   * store sees messages in arrival order (a root before the reply that follows it in a burst).
   */
  function toVerifier (slice: Verifying['jobs']): void {
    const checks = slice.map(s => s.prepared.check)
    const verifier = init.verifier as Pick<Verifier, 'verifyBatch'>
    const entry: Verifying = {
      jobs: slice,
      answered: (async () => verifier.verifyBatch(checks))()
        .then(verdicts => {
          if (verdicts.length !== checks.length) throw new Error(`${verdicts.length} verdicts for ${checks.length} signatures`)
          return verdicts
        })
        // the verifier fails over by itself and never rejects; if it did, this thread verifies
        .catch(() => verifyHere(checks))
        .then(verdicts => {
          entry.verdicts = verdicts
          while (atVerifier.length > 0 && atVerifier[0].verdicts != null) {
            const done = atVerifier.shift() as Verifying
            verifying -= done.jobs.length
            settle(done.jobs, done.verdicts as boolean[])
          }
        })
    }
    atVerifier.push(entry)
    verifying += slice.length
  }

  function validateOptions (options: IngestOptions): ValidateOptions {
    return {
      now: options.now ?? Date.now(),
      pow: init.pow(),
      ...(init.powFloor != null ? { powFloor: init.powFloor() } : {}),
      ...(options.topic != null ? { topic: options.topic } : {})
    }
  }

  function refusal (failure: Extract<ValidationResult, { ok: false }>): IngestOutcome {
    return { status: 'refused', severity: failure.severity, code: failure.code, reason: failure.reason }
  }

  /** What the store's answer on a valid message means to whoever submitted it. */
  function outcomeOf (result: IngestResult, message: Message, local: boolean): IngestOutcome {
    switch (result.status) {
      case 'stored':
        init.onStored?.(message, local)
        return { status: 'stored', message }
      case 'duplicate':
        return { status: 'known', message, code: 'DUPLICATE' }
      case 'deleted':
        return { status: 'known', message, code: 'DELETED' }
      default:
        // The store's rules need state (the root, the target) that an honest forwarder may
        // not have had: refused, but not held against whoever passed it on.
        return { status: 'refused', severity: 'ignore', code: result.code ?? 'REJECTED', reason: `refused by the store: ${result.code ?? 'rejected'}` }
    }
  }

  /**
   * Not an async function, like gossip's validator: a burst's messages wait here for the
   * batched write by the hundred, and a suspended frame each outlived the scavenges.
   */
  function admitAndStore (verdict: ValidationResult, options: IngestOptions): IngestOutcome | Promise<IngestOutcome> {
    if (!verdict.ok) return refusal(verdict)
    const { message } = verdict
    // not the sender's fault: it keeps longer than we do
    if (init.keepSince != null && message.createdAt < init.keepSince()) return { status: 'refused', severity: 'ignore', code: 'TOO_OLD', reason: 'older than this node keeps' }
    const refused = init.admit?.(message)
    if (refused !== undefined) return { status: 'refused', severity: 'ignore', code: refused, reason: 'a moderator this node follows labels it: not carried' }
    if (options.durable !== true) return enqueue(message).then(result => outcomeOf(result, message, false))
    return init.store.ingest([message], { sync: true, ...(options.mine != null ? { mine: new Map([[message.id, options.mine]]) } : {}) })
      .then(results => outcomeOf(results[0], message, true))
  }

  /** The local user's own messages skip the queue and the verifier: the API waits on them. */
  async function submitLocal (envelope: Uint8Array, options: IngestOptions): Promise<IngestOutcome> {
    return await admitAndStore(validateEnvelope(envelope, validateOptions(options)), options)
  }

  return {
    // gossip's messages go to the queue with no async frame of their own around them
    submit: (envelope, options = {}) => options.durable === true ? submitLocal(envelope, options) : validateLater(envelope, options, true),
    // sync paces itself frame by frame and must not lose what it fetched: queued, never refused
    submitMany: async (envelopes, options = {}) => await Promise.all(envelopes.map(e => validateLater(e, options, false))),
    flush: async () => {
      while (scheduled != null || writing != null || queue.length > 0 || next < jobs.length || atVerifier.length > 0) {
        await (scheduled ?? writing ?? atVerifier[0]?.answered ?? (next < jobs.length ? new Promise(resolve => setImmediate(resolve)) : writeQueued()))
      }
    }
  }
}
