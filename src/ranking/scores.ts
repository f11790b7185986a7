// Sort keys for the feeds (hot, new, top, near) and the hiding threshold.
//
//   score   = up − down
//   age     = max(0, now − createdAt) / 3.6e6                        (hours; future clocks count as 0)
//   hot     = (score + replies / 2) / (age + 2)^1.5                  (Hacker News-style gravity)
//   top     = score                                                   (the window is the caller's query)
//   new     = createdAt
//   weight  = 1 / (1 + distance / cellSize)                          (1 at the user, ½ one cell away)
//   nearKey = near(hot + 1 / (age + 2)^1.5, distance, cellSize)
//
// nearKey adds one implicit vote to hot: a new unvoted post has hot = 0 whatever its age and
// distance, so without that base term Near me would not order fresh posts at all. near()
// multiplies a positive value by the weight but divides a negative one, so that for any value
// being closer never ranks a post lower (a plain product would lift far downvoted posts
// above near ones). Ties, in every sort: newer first, then smaller id, so a feed is the same
// on every call and every node.

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

const MS_PER_HOUR = 3.6e6

export function score (up: number, down: number): number {
  return up - down
}

/** `threshold`: the user's own (see src/moderation), the default otherwise. */
export function isHidden (up: number, down: number, threshold = HIDE_SCORE_THRESHOLD): boolean {
  return score(up, down) <= threshold
}

function gravity (createdAt: number, now: number): number {
  const ageHours = Math.max(0, now - createdAt) / MS_PER_HOUR
  return (ageHours + 2) ** 1.5
}

export function hot (up: number, down: number, replies: number, createdAt: number, now: number): number {
  return (score(up, down) + replies / 2) / gravity(createdAt, now)
}

export function distanceWeight (distanceMetres: number, cellSizeMetres: number): number {
  return 1 / (1 + distanceMetres / cellSizeMetres)
}

export function near (value: number, distanceMetres: number, cellSizeMetres: number): number {
  const weight = distanceWeight(distanceMetres, cellSizeMetres)
  return value >= 0 ? value * weight : value / weight
}

export function nearKey (
  up: number, down: number, replies: number, createdAt: number, now: number,
  distanceMetres: number, cellSizeMetres: number
): number {
  const base = 1 / gravity(createdAt, now)
  return near(hot(up, down, replies, createdAt, now) + base, distanceMetres, cellSizeMetres)
}

/**
 * The posts in feed order, as a new array. `origin` (the user's geohash; its cell size sets
 * the distance scale) is required for 'near'; there, posts without a geohash come last.
 * Hidden posts are not removed: that is the caller's choice (see isHidden).
 */
export function rank<T extends Rankable> (posts: readonly T[], sort: Sort, now: number, origin?: string): T[] {
  const keyOf = sortKey(sort, now, origin)
  return posts
    .map(post => ({ post, key: keyOf(post) }))
    .sort((a, b) => compare(b.key, a.key) || compare(b.post.createdAt, a.post.createdAt) || compare(a.post.id, b.post.id))
    .map(({ post }) => post)
}

/** Not subtraction: -Infinity − -Infinity is NaN. */
function compare<V extends number | string> (a: V, b: V): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortKey (sort: Sort, now: number, origin: string | undefined): (post: Rankable) => number {
  switch (sort) {
    case 'hot': return p => hot(p.up, p.down, p.replies, p.createdAt, now)
    case 'new': return p => p.createdAt
    case 'top': return p => score(p.up, p.down)
    case 'near': {
      if (origin === undefined) throw new BadRequestError("sort 'near' needs the user's geohash", 'BAD_GEOHASH')
      const cellSize = cellSizeMetres(origin)
      return p => p.geohash === ''
        ? -Infinity
        : nearKey(p.up, p.down, p.replies, p.createdAt, now, cellDistance(origin, p.geohash), cellSize)
    }
    default: throw new BadRequestError(`unknown sort: ${String(sort)}`, 'BAD_SORT')
  }
}
