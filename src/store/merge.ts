// The read of Hot and Near: a threshold merge of time index ranges (createdAt, the exact hot
// key of a post without engagement) and hot index ranges (engaged posts), best bound first.

import { compareRanked } from '../ranking/index.js'
import { prefixRange, tailEntry, tailHot } from './keys.js'
import type { Table } from './tx.js'
import type { StoredPost } from './types.js'

/**
 * A range Hot and Near read: of a time index (the key holds createdAt) or of a hot index
 * (`hot`: the key holds the hot key), with the least distance penalty of its posts and, for a
 * parent cell's hot range, which entries (by the geohash in their value) belong to the query.
 */
export interface HotRange {
  table: Table<Uint8Array>
  prefix: Uint8Array
  penalty: number
  hot?: boolean
  accept?: (value: Uint8Array) => boolean
}

export interface MergeOptions {
  limit: number
  /** the most posts read (loaded) for one page */
  window: number
  /** a post's exact sort key, higher first */
  keyOf: (post: StoredPost) => number
  /** the feed's filters */
  keep: (post: StoredPost | undefined) => post is StoredPost
  /** records and counters of these ids, in order (undefined: gone) */
  load: (ids: string[]) => Promise<Array<StoredPost | undefined>>
}

/**
 * Hot and Near. Reads the ranges' entries best bound first (a time entry's bound is its
 * createdAt, an unengaged post's exact hot key; a hot entry's is the engaged post's key; minus
 * the range's penalty), loads them in growing chunks, keys them exactly with `keyOf`, and
 * stops when the limit-th best post kept beats every bound left, or after `window` posts (so a
 * page of mostly muted posts cannot read the whole store). A post met twice is keyed once.
 */
export async function thresholdMerge (ranges: HotRange[], options: MergeOptions): Promise<StoredPost[]> {
  const { limit, window, keyOf, keep, load } = options
  const timeRanges = ranges.filter(r => r.hot !== true).length
  // with several cells (Near), exact keys fall below their bounds by up to a cell's spread
  // of distances: a first chunk a quarter larger than the page usually saves a second load
  let chunk = timeRanges > 1 ? Math.ceil(limit * 1.25) : limit
  const first = Math.max(16, Math.ceil(chunk / timeRanges) + 1)
  const cursors = ranges.map(r => new Cursor(
    r.table.sub.iterator({ ...prefixRange(r.prefix), reverse: true }), r.hot === true ? tailHot : timeEntry, r.penalty, first, r.accept
  ))
  const best: Array<{ post: StoredPost, key: number }> = []
  const seen = new Set<string>()
  let read = 0
  try {
    await Promise.all(cursors.map(async c => { await c.fill() }))
    while (read < window) {
      const batch: string[] = []
      while (batch.length < chunk && read < window) {
        let top: Cursor | undefined
        for (const c of cursors) if (c.bound !== undefined && (top?.bound === undefined || c.bound > top.bound)) top = c
        const bound = top?.bound
        if (top === undefined || bound === undefined) break
        const last = best[limit - 1]
        if (last !== undefined && last.key > bound) break
        const id = await top.pop()
        if (seen.has(id)) continue
        seen.add(id)
        batch.push(id)
        read++
      }
      if (batch.length === 0) break
      for (const post of await load(batch)) if (keep(post)) best.push({ post, key: keyOf(post) })
      best.sort(compareRanked)
      if (best.length > limit) best.length = limit
      chunk = Math.min(2 * chunk, 500)
    }
  } finally {
    await Promise.all(cursors.map(async c => { await c.close() }))
  }
  return best.map(({ post }) => post)
}

function timeEntry (key: Uint8Array): { key: number, id: string } {
  const { createdAt, id } = tailEntry(key)
  return { key: createdAt, id }
}

/**
 * A reverse index iterator read ahead in chunks that double (first, 2·first, … 256): its head
 * entry's bound is the best key anything left in it can have.
 */
class Cursor {
  private buf: Array<[Uint8Array, Uint8Array]> = []
  private at = 0
  private done = false
  /** the head's key minus the penalty; undefined once the range is read */
  bound: number | undefined
  private headId = ''

  constructor (
    private readonly it: { nextv: (size: number) => Promise<Array<[Uint8Array, Uint8Array]>>, close: () => Promise<void> },
    private readonly read: (key: Uint8Array) => { key: number, id: string },
    private readonly penalty: number,
    private size: number,
    /** entries it does not accept are skipped */
    private readonly accept?: (value: Uint8Array) => boolean
  ) {}

  /** Makes the next accepted entry the head. */
  async fill (): Promise<void> {
    while (true) {
      if (this.at >= this.buf.length && !this.done) {
        this.buf = await this.it.nextv(this.size)
        this.at = 0
        this.size = Math.min(2 * this.size, 256)
        if (this.buf.length === 0) this.done = true
      }
      const entry = this.buf[this.at]
      if (entry === undefined) {
        this.bound = undefined
        return
      }
      if (this.accept === undefined || this.accept(entry[1])) {
        const head = this.read(entry[0])
        this.bound = head.key - this.penalty
        this.headId = head.id
        return
      }
      this.at++
    }
  }

  /** The head's id; the next entry becomes the head. */
  async pop (): Promise<string> {
    const id = this.headId
    this.at++
    await this.fill()
    return id
  }

  async close (): Promise<void> {
    await this.it.close()
  }
}
