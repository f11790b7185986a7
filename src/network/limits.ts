// Budgets that keep one peer, or a burst from everyone, from taking more than its share of a
// node: a token bucket per peer (gossip messages, sync sessions) and a bound on the
// validations in progress.

/** `rate` tokens a second up to `burst`; starts full. */
export class TokenBucket {
  private tokens: number
  private last: number
  private readonly perMs: number
  private readonly burst: number

  constructor (rate: number, burst: number, now = Date.now()) {
    this.perMs = rate / 1000
    this.burst = burst
    this.tokens = burst
    this.last = now
  }

  take (cost = 1, now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMs)
    this.last = now
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }

  /** Full again: nothing to remember about this peer. */
  isFull (now = Date.now()): boolean {
    return this.tokens + (now - this.last) * this.perMs >= this.burst
  }
}

export interface PeerLimiterOptions {
  /** tokens a second per peer */
  rate: number
  burst: number
  /** peers remembered at once; the least recently seen are forgotten (a forgotten peer starts full) */
  maxPeers?: number
}

/** One token bucket per peer id. */
export class PeerLimiter {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly options: Required<PeerLimiterOptions>

  constructor (options: PeerLimiterOptions) {
    this.options = { maxPeers: 4096, ...options }
  }

  take (peer: string, cost = 1, now = Date.now()): boolean {
    let bucket = this.buckets.get(peer)
    if (bucket == null) {
      bucket = new TokenBucket(this.options.rate, this.options.burst, now)
    } else {
      this.buckets.delete(peer)
    }
    this.buckets.set(peer, bucket)
    if (this.buckets.size > this.options.maxPeers) this.evict(now)
    return bucket.take(cost, now)
  }

  /** Drops full buckets, or else the least recently used one. */
  private evict (now: number): void {
    for (const [peer, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(peer)
    }
    while (this.buckets.size > this.options.maxPeers) this.buckets.delete(this.buckets.keys().next().value as string)
  }
}

/**
 * A bound on work in progress: a task starts at once if fewer than `maxPending` are unsettled,
 * and counts until it settles (a validation waiting in the ingest pipeline, its store write),
 * so the memory held by work in progress is bounded. It does not pace the work itself: the
 * ingest pipeline validates in slices with a turn of the event loop between them, and a
 * second queue here only cost each message one more turn (src/node/ingest.ts).
 */
export class WorkLimit {
  private running = 0

  constructor (private readonly maxPending: number) {}

  get pending (): number {
    return this.running
  }

  /** The task's result, or undefined at once if the limit is reached. */
  submit<T> (task: () => Promise<T>): Promise<T> | undefined {
    if (this.running >= this.maxPending) return undefined
    this.running++
    let work: Promise<T>
    try {
      work = task()
    } catch (err) {
      work = Promise.reject(err)
    }
    return work.finally(() => { this.running-- })
  }
}
