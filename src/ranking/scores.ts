// Sort keys for the feeds (hot, new, top, near) and the hiding threshold.
//
//   score    = up − down
//   s        = score + replies / 2                                    (engagement)
//   hot      = createdAt + H · sign(s) · log2(max(|s|, 1))             (ms; H = 4 hours)
//   top      = score                                                   (the window is the caller's query)
//   new      = createdAt
//   near     = hot − H · log2(1 + distance / cellSize)                 (posts without a place: −∞)
//
// Hot is a point in time rather than a decaying score (Reddit's form): twice the engagement
// keeps a post level with one H newer, and a post's key changes only when its counters do, so
// the store keeps it in an index instead of ranking recent posts on every read. With |s| ≤ 1
// the key is createdAt: most posts rank as in New and need no index entry beyond the time
// index (isEngaged). Near takes the same currency: one cell away (distance = cellSize) costs H of
// recency, so being closer never ranks a post lower, votes can overcome distance, and a
// downvoted post far away does not climb above the same post nearby. A clock ahead of ours
// ranks a post higher, by no more than the validation window allows. Ties, in every sort:
// newer first, then smaller id, so a feed is the same on every call and every node.

import { BadRequestError } from '../errors.js'
import { cellDistance, cellSizeMetres } from '../geo/index.js'

export type Sort = 'hot' | 'new' | 'top' | 'near'

export interface Rankable {
  id: string
  up: number
  down: number
  replies: number
  /** ms since the Unix epoch */
  createdAt: number
  /** '' for a post without a location */
  geohash: string
}

/** Posts at this score or lower are hidden. */
export const HIDE_SCORE_THRESHOLD = -5

/** H: what doubling a post's engagement is worth in recency, and what one cell of distance costs (ms). */
export const HOT_STEP_MS = 4 * 3.6e6

export function score (up: number, down: number): number {
  return up - down
}

/** `threshold`: the user's own (see src/moderation), the default otherwise. */
export function isHidden (up: number, down: number, threshold = HIDE_SCORE_THRESHOLD): boolean {
  return score(up, down) <= threshold
}

export function engagement (up: number, down: number, replies: number): number {
  return score(up, down) + replies / 2
}

/** Whether a post's hot key differs from its createdAt (|s| > 1): only those need a hot index entry. */
export function isEngaged (up: number, down: number, replies: number): boolean {
  return Math.abs(engagement(up, down, replies)) > 1
}

export function hotKey (up: number, down: number, replies: number, createdAt: number): number {
  const s = engagement(up, down, replies)
  return Math.abs(s) <= 1 ? createdAt : createdAt + Math.sign(s) * HOT_STEP_MS * Math.log2(Math.abs(s))
}

/**
 * The createdAt of a post with this hot key and these counters. The key is createdAt (whole ms)
 * plus an offset, added in f64 with an error far below half a ms: rounding takes it away.
 */
export function createdAtOfHot (key: number, up: number, down: number, replies: number): number {
  return Math.round(key - hotKey(up, down, replies, 0))
}

/** What a distance costs a post in Near me, in ms of recency: 0 at the user, H one cell away. */
export function distancePenalty (distanceMetres: number, cellSizeMetres: number): number {
  return HOT_STEP_MS * Math.log2(1 + distanceMetres / cellSizeMetres)
}

export function nearKey (
  up: number, down: number, replies: number, createdAt: number, distanceMetres: number, cellSizeMetres: number
): number {
  return hotKey(up, down, replies, createdAt) - distancePenalty(distanceMetres, cellSizeMetres)
}

/**
 * The sort key of a post (higher first). `origin` (the user's geohash; its cell size sets the
 * distance scale) is required for 'near'.
 */
export function sortKey (sort: Sort, origin?: string): (post: Rankable) => number {
  switch (sort) {
    case 'hot': return p => hotKey(p.up, p.down, p.replies, p.createdAt)
    case 'new': return p => p.createdAt
    case 'top': return p => score(p.up, p.down)
    case 'near': {
      if (origin === undefined) throw new BadRequestError("sort 'near' needs the user's geohash", 'BAD_GEOHASH')
      const cellSize = cellSizeMetres(origin)
      return p => p.geohash === ''
        ? -Infinity
        : nearKey(p.up, p.down, p.replies, p.createdAt, cellDistance(origin, p.geohash), cellSize)
    }
    default: throw new BadRequestError(`unknown sort: ${String(sort)}`, 'BAD_SORT')
  }
}

/** Feed order of two keyed posts: higher key first, then newer, then smaller id. */
export function compareRanked (a: { post: Rankable, key: number }, b: { post: Rankable, key: number }): number {
  return compare(b.key, a.key) || compare(b.post.createdAt, a.post.createdAt) || compare(a.post.id, b.post.id)
}

/** The same order over what places a post in a feed: its key, createdAt and id. */
export function compareKeyed (a: Keyed, b: Keyed): number {
  return compare(b.key, a.key) || compare(b.createdAt, a.createdAt) || compare(a.id, b.id)
}

export interface Keyed {
  key: number
  createdAt: number
  id: string
}

/**
 * The posts in feed order, as a new array; for 'near', posts without a geohash come last.
 * Hidden posts are not removed: that is the caller's choice (see isHidden).
 */
export function rank<T extends Rankable> (posts: readonly T[], sort: Sort, origin?: string): T[] {
  const keyOf = sortKey(sort, origin)
  return posts
    .map(post => ({ post, key: keyOf(post) }))
    .sort(compareRanked)
    .map(({ post }) => post)
}

/** Not subtraction: -Infinity − -Infinity is NaN. */
function compare<V extends number | string> (a: V, b: V): number {
  return a < b ? -1 : a > b ? 1 : 0
}
