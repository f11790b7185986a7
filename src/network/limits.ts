// Budgets that keep one peer, or a burst from everyone, from taking more than its share of a
// node: a token bucket per peer (gossip messages, sync sessions) and a bounded work queue
// that runs validations in short slices so the event loop keeps serving.

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

export interface WorkQueueOptions {
  /** tasks waiting or running at once; past it, submit refuses */
  maxPending: number
  /** synchronous work run back to back before yielding to the event loop */
  sliceMs: number
}

/**
 * Tasks start in order, in slices of at most sliceMs of synchronous work with a turn of the
 * event loop between slices (API requests, timers and other streams run there). A task's
 * asynchronous tail (a store write) does not hold the queue, but counts against maxPending
 * until it settles, so the memory held by work in progress is bounded too.
 */
export class WorkQueue {
  private readonly waiting: Array<() => void> = []
  private running = 0
  private scheduled = false
  private readonly options: WorkQueueOptions

  constructor (options: WorkQueueOptions) {
    this.options = options
    this.drain = this.drain.bind(this)
  }

  get pending (): number {
    return this.waiting.length + this.running
  }

  /** The task's result, or undefined at once if the queue is full. */
  submit<T> (task: () => Promise<T>): Promise<T> | undefined {
    if (this.pending >= this.options.maxPending) return undefined
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.running++
        let work: Promise<T>
        try {
          work = task()
        } catch (err) {
          work = Promise.reject(err)
        }
        work.then(resolve, reject).finally(() => { this.running-- })
      })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(this.drain)
      }
    })
  }

  private drain (): void {
    const start = performance.now()
    while (this.waiting.length > 0 && performance.now() - start < this.options.sliceMs) {
      (this.waiting.shift() as () => void)()
    }
    if (this.waiting.length > 0) {
      setImmediate(this.drain)
    } else {
      this.scheduled = false
    }
  }
}
