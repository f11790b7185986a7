// The read of Hot and Near, and the build of a feed's view (views.ts): a threshold merge of
// time index ranges (createdAt, the exact hot key of a post without engagement) and hot index
// ranges (engaged posts), best bound first.

import { compareRanked, type Rankable } from '../ranking/index.js'
import { fromUtf8, prefixRange, readAhead, tailEntry, tailHot } from './keys.js'
import type { Table } from './tx.js'

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
  /**
   * A Near time range's: where the post's geohash starts in an entry's value (entries written
   * before 488b326 hold none). A hot entry's value is the geohash, whatever its range.
   */
  place?: number
}

/**
 * Near's hot ranges of several cells of one parent, read as one: the hot index keys of a parent's
 * children are adjacent (`prefix`), so one read of at most SPAN_ENTRIES entries usually holds
 * every engaged post of those cells (the hot index holds few posts), which then become one
 * in-memory range per cell (`cells`: each cell's key prefix and penalty). A span holding more is
 * read as `fallback` instead: the ranges each cell would have had on its own.
 */
export interface HotSpan {
  table: Table<Uint8Array>
  prefix: Uint8Array
  cells: Array<{ prefix: Uint8Array, penalty: number }>
  fallback: HotRange[]
}

/** Entries a span read may hold in memory; more, and its cells are read as ranges. */
export const SPAN_ENTRIES = 256

/**
 * A post the merge picked, as its entry read: `key` is the entry's own (createdAt in a time
 * index, the hot key in a hot index), before the range's penalty.
 */
export interface Picked {
  id: string
  key: number
  hot: boolean
  /** the post's geohash, from a Near range's entry that holds it */
  geohash?: string
}

export interface MergeOptions<P extends Rankable> {
  limit: number
  /** the most posts read (loaded) for one page */
  window: number
  /** a post's exact sort key, higher first */
  keyOf: (post: P) => number
  /** the feed's filters */
  keep: (post: P | undefined) => post is P
  /** the picked posts, in order (undefined: gone): a page's cards, or only what ranks them */
  load: (picks: Picked[]) => Promise<Array<P | undefined>>
  /** give each pick the geohash its entry holds (HotRange.place): a Near view's build ranks by it */
  places?: boolean
}

/**
 * A merge's page, best first. `settled`: every post it did not return ranks after those it did
 * (false when the window ended the read first).
 */
export interface Merged<P extends Rankable> {
  posts: P[]
  settled: boolean
}

/**
 * Hot and Near. Reads the ranges' entries best bound first (a time entry's bound is its
 * createdAt, an unengaged post's exact hot key; a hot entry's is the engaged post's key; minus
 * the range's penalty), loads them in growing chunks, keys them exactly with `keyOf`, and
 * stops when the limit-th best post kept beats every bound left, or after `window` posts (so a
 * page of mostly muted posts cannot read the whole store). A post met twice is keyed once.
 */
export async function thresholdMerge<P extends Rankable> (ranges: HotRange[], options: MergeOptions<P>, spans: HotSpan[] = []): Promise<Merged<P>> {
  const { limit, window, keyOf, keep, load } = options
  const placeOf = (at: number | undefined): number | undefined => options.places === true ? at : undefined
  const timeRanges = ranges.filter(r => r.hot !== true).length
  // with several cells (Near), exact keys fall below their bounds by up to a cell's spread
  // of distances: a first chunk 60 % larger than the page usually saves a second load (a
  // neighbourhood's first page 4–6 % faster than with a quarter larger at 100 000 and
  // 1 000 000 posts; twice the page was no better: docs/performance.md)
  let chunk = timeRanges > 1 ? Math.ceil(limit * 1.6) : limit
  const first = Math.max(16, Math.ceil(chunk / timeRanges) + 1)
  const open = (r: HotRange): Cursor => new Cursor(
    r.table.sub.iterator({ ...prefixRange(r.prefix), reverse: true, ...readAhead(Math.max(first, 256)) }), r.hot === true, r.penalty, first, r.accept, placeOf(r.hot === true ? 0 : r.place)
  )
  const cursors = ranges.map(open)
  const best: Array<{ post: P, key: number }> = []
  const seen = new Set<string>()
  let read = 0
  try {
    // the spans are read with the ranges' first entries, in the same round of LevelDB reads
    await Promise.all([
      ...cursors.map(async c => { await c.fill() }),
      ...spans.map(async span => {
        const it = span.table.sub.iterator({ ...prefixRange(span.prefix), reverse: true, ...readAhead(SPAN_ENTRIES + 1) })
        let entries: Array<[Uint8Array, Uint8Array]>
        try {
          entries = await it.nextv(SPAN_ENTRIES + 1)
        } finally {
          await it.close()
        }
        if (entries.length <= SPAN_ENTRIES) {
          for (const cell of span.cells) {
            const mine = entries.filter(([key]) => startsWith(key, cell.prefix))
            if (mine.length > 0) cursors.push(Cursor.of(mine, true, cell.penalty, placeOf(0)))
          }
          return
        }
        const fallback = span.fallback.map(open)
        cursors.push(...fallback)
        await Promise.all(fallback.map(async c => { await c.fill() }))
      })
    ])
    while (read < window) {
      const batch: Picked[] = []
      while (batch.length < chunk && read < window) {
        const starved = cursors.filter(c => c.starved)
        if (starved.length > 0) await Promise.all(starved.map(async c => { await c.fill() }))
        let top: Cursor | undefined
        for (const c of cursors) if (c.bound !== undefined && (top?.bound === undefined || c.bound > top.bound)) top = c
        const bound = top?.bound
        if (top === undefined || bound === undefined) break
        const last = best[limit - 1]
        if (last !== undefined && last.key > bound) break
        const pick = top.pop()
        if (seen.has(pick.id)) continue
        seen.add(pick.id)
        batch.push(pick)
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
  return { posts: best.map(({ post }) => post), settled: read < window }
}

function timeEntry (key: Uint8Array): { key: number, id: string } {
  const { createdAt, id } = tailEntry(key)
  return { key: createdAt, id }
}

function startsWith (key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false
  return true
}

interface EntryIterator {
  nextv: (size: number) => Promise<Array<[Uint8Array, Uint8Array]>>
  close: () => Promise<void>
}

/**
 * A reverse index iterator read ahead in chunks that double (first, 2·first, … 256): its head
 * entry's bound is the best key anything left in it can have. Taking the head (`pop`) is
 * synchronous; when it empties the read-ahead, the cursor is `starved` until `fill` reads on.
 */
class Cursor {
  private buf: Array<[Uint8Array, Uint8Array]> = []
  private at = 0
  private done = false
  /** the head's key minus the penalty; undefined once the range is read (or while starved) */
  bound: number | undefined
  /** the read-ahead is used up and the range is not: `fill` before reading `bound` */
  starved = true
  private head: Picked = { id: '', key: 0, hot: false }

  constructor (
    private readonly it: EntryIterator | undefined,
    /** a hot index range's, or a time index range's */
    private readonly hot: boolean,
    private readonly penalty: number,
    private size: number,
    /** entries it does not accept are skipped */
    private readonly accept?: (value: Uint8Array) => boolean,
    private readonly place?: number
  ) {}

  /** A cursor over entries already read, in range order. */
  static of (entries: Array<[Uint8Array, Uint8Array]>, hot: boolean, penalty: number, place?: number): Cursor {
    const cursor = new Cursor(undefined, hot, penalty, 0, undefined, place)
    cursor.buf = entries
    cursor.done = true
    cursor.advance()
    return cursor
  }

  /** Reads on until an accepted entry is the head, or the range ends. */
  async fill (): Promise<void> {
    while (this.starved) {
      if (this.it === undefined) throw new Error('a cursor over entries already read cannot starve')
      this.buf = await this.it.nextv(this.size)
      this.at = 0
      this.size = Math.min(2 * this.size, 256)
      if (this.buf.length === 0) this.done = true
      this.advance()
    }
  }

  /** The head; the next accepted entry read ahead becomes the head. */
  pop (): Picked {
    const head = this.head
    this.at++
    this.advance()
    return head
  }

  /** Finds the head in the read-ahead: sets bound, or starved when the read-ahead runs out first. */
  private advance (): void {
    while (this.at < this.buf.length) {
      const entry = this.buf[this.at]
      if (this.accept === undefined || this.accept(entry[1])) {
        const { key, id } = this.hot ? tailHot(entry[0]) : timeEntry(entry[0])
        this.bound = key - this.penalty
        this.head = this.place === undefined || entry[1].byteLength <= this.place
          ? { id, key, hot: this.hot }
          : { id, key, hot: this.hot, geohash: fromUtf8(entry[1].subarray(this.place)) }
        this.starved = false
        return
      }
      this.at++
    }
    this.bound = undefined
    this.starved = !this.done
  }

  async close (): Promise<void> {
    await this.it?.close()
  }
}
