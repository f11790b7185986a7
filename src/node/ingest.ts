// The one entry point for every envelope a node accepts — gossip, sync and the local API:
// stateless validation, then the store's stateful rules, with writes arriving together
// coalesced into one LevelDB batch.

import { validateEnvelope } from '../post/index.js'
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
  /** called once for each message newly stored */
  onStored?(message: Message): void
  /**
   * A last word after validation, before the store: a code to refuse a valid message without
   * blaming its sender (severity ignore), e.g. a post a followed moderator labels `drop`.
   */
  admit?(message: Message): string | undefined
  /** largest batch written at once */
  maxBatch?: number
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

  // Messages validated in the same turn of the event loop share one batch; gossip delivers
  // bursts, and one batched write costs little more than a single put.
  function enqueue (message: Message): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      queue.push({ message, resolve, reject })
      if (queue.length >= maxBatch) {
        void writeQueued()
      } else {
        scheduled ??= new Promise<void>(resolve => setImmediate(resolve)).then(writeQueued)
      }
    })
  }

  async function writeQueued (): Promise<void> {
    scheduled = undefined
    const batch = queue
    queue = []
    if (batch.length === 0) return
    try {
      const results = await init.store.ingest(batch.map(p => p.message))
      batch.forEach((p, i) => { p.resolve(results[i]) })
    } catch (err: any) {
      batch.forEach(p => { p.reject(err) })
    }
  }

  async function submit (envelope: Uint8Array, options: IngestOptions = {}): Promise<IngestOutcome> {
    const verdict = validateEnvelope(envelope, {
      now: options.now ?? Date.now(),
      pow: init.pow(),
      ...(init.powFloor != null ? { powFloor: init.powFloor() } : {}),
      ...(options.topic != null ? { topic: options.topic } : {})
    })
    if (!verdict.ok) return { status: 'refused', severity: verdict.severity, code: verdict.code, reason: verdict.reason }
    const { message } = verdict
    // not the sender's fault: it keeps longer than we do
    if (init.keepSince != null && message.createdAt < init.keepSince()) return { status: 'refused', severity: 'ignore', code: 'TOO_OLD', reason: 'older than this node keeps' }
    const refusal = init.admit?.(message)
    if (refusal !== undefined) return { status: 'refused', severity: 'ignore', code: refusal, reason: 'a moderator this node follows labels it: not carried' }
    const result = options.durable === true
      ? (await init.store.ingest([message], { sync: true }))[0]
      : await enqueue(message)
    switch (result.status) {
      case 'stored':
        init.onStored?.(message)
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

  return {
    submit,
    submitMany: async (envelopes, options) => Promise.all(envelopes.map(async e => submit(e, options))),
    flush: async () => {
      while (scheduled != null || queue.length > 0) await (scheduled ?? writeQueued())
    }
  }
}
