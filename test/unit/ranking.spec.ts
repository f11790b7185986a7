import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  HIDE_SCORE_THRESHOLD, HOT_STEP_MS, createdAtOfHot, distancePenalty, hotKey, isEngaged, isHidden, nearKey, rank, score
} from '../../src/ranking/index.js'
import type { Rankable, Sort } from '../../src/ranking/index.js'
import { encode, neighbour } from '../../src/geo/index.js'
import { BadRequestError } from '../../src/errors.js'

const HOUR = 3.6e6
const NOW = Date.UTC(2025, 0, 1)

function post (id: string, fields: Partial<Rankable> = {}): Rankable {
  return { id, up: 0, down: 0, replies: 0, createdAt: NOW, geohash: '', ...fields }
}

function ids (posts: Rankable[]): string[] {
  return posts.map(p => p.id)
}

describe('ranking', () => {
  describe('scores', () => {
    it('scores up minus down', () => {
      assert.equal(score(10, 3), 7)
      assert.equal(score(0, 4), -4)
    })

    it('hides posts at -5 or lower', () => {
      assert.equal(HIDE_SCORE_THRESHOLD, -5)
      assert.equal(isHidden(0, 4), false)
      assert.equal(isHidden(0, 5), true)
      assert.equal(isHidden(1, 7), true)
      assert.equal(isHidden(5, 5), false)
    })

    it('computes hot keys by the formula, in ms', () => {
      assert.equal(HOT_STEP_MS, 4 * HOUR)
      assert.equal(hotKey(0, 0, 0, NOW), NOW)
      assert.equal(hotKey(1, 0, 0, NOW), NOW, '|s| ≤ 1 ranks as in New')
      assert.equal(hotKey(0, 1, 2, NOW), NOW)
      assert.equal(hotKey(4, 0, 0, NOW), NOW + 2 * HOT_STEP_MS)
      assert.equal(hotKey(3, 1, 4, NOW - 2 * HOUR), NOW - 2 * HOUR + 2 * HOT_STEP_MS) // s = 2 + 2
      assert.equal(hotKey(0, 8, 0, NOW), NOW - 3 * HOT_STEP_MS)
      assert.equal(hotKey(2, 0, 1, NOW), NOW + HOT_STEP_MS * Math.log2(2.5))
    })

    it('marks as engaged exactly the posts whose key is not createdAt', () => {
      fc.assert(fc.property(fc.nat(20), fc.nat(20), fc.nat(20), (up, down, replies) =>
        isEngaged(up, down, replies) === (hotKey(up, down, replies, NOW) !== NOW)))
    })

    it('gives back createdAt from a hot key and its counters (a view ranks hot index entries without their envelopes)', () => {
      // counters a busy post reaches, and times from 1970 to 2248, where an f64's ulp is still ≪ 1 ms
      fc.assert(fc.property(fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(1_000_000), fc.nat(2 ** 43), (up, down, replies, createdAt) =>
        createdAtOfHot(hotKey(up, down, replies, createdAt), up, down, replies) === createdAt), { numRuns: 2000 })
    })

    it('keeps twice the engagement level with a post 4 hours newer', () => {
      assert.equal(hotKey(20, 0, 0, NOW - 4 * HOUR), hotKey(10, 0, 0, NOW))
      assert.equal(hotKey(0, 0, 40, NOW - 4 * HOUR), hotKey(5, 0, 10, NOW))
    })

    it('grows with votes and replies at the same age, and with youth at the same votes', () => {
      const createdAt = NOW - 3 * HOUR
      assert.ok(hotKey(11, 0, 0, createdAt) > hotKey(10, 0, 0, createdAt))
      assert.ok(hotKey(10, 0, 2, createdAt) > hotKey(10, 0, 0, createdAt))
      assert.ok(hotKey(10, 1, 0, createdAt) < hotKey(10, 0, 0, createdAt))
      assert.ok(hotKey(10, 0, 0, NOW - HOUR) > hotKey(10, 0, 0, NOW - 10 * HOUR))
    })

    it('is monotone in up, replies and createdAt, and antitone in down (property)', () => {
      fc.assert(fc.property(fc.nat(50), fc.nat(50), fc.nat(50), fc.nat(10), fc.integer({ min: 0, max: 10 * HOUR }), (up, down, replies, more, later) => {
        const base = hotKey(up, down, replies, NOW)
        return hotKey(up + more, down, replies, NOW) >= base && hotKey(up, down, replies + more, NOW) >= base &&
          hotKey(up, down + more, replies, NOW) <= base && hotKey(up, down, replies, NOW + later) >= base
      }))
    })

    it('charges distance in recency: 0 at the user, 4 hours one cell away', () => {
      assert.equal(distancePenalty(0, 5_000), 0)
      assert.equal(distancePenalty(5_000, 5_000), HOT_STEP_MS)
      assert.equal(distancePenalty(15_000, 5_000), 2 * HOT_STEP_MS)
      assert.equal(nearKey(4, 0, 0, NOW, 5_000, 5_000), NOW + HOT_STEP_MS)
    })

    it('never ranks a nearer post lower, whatever its votes (property)', () => {
      fc.assert(fc.property(
        fc.nat(20), fc.nat(20), fc.nat(20),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (up, down, replies, d1, d2) => {
          const [close, far] = d1 <= d2 ? [d1, d2] : [d2, d1]
          return nearKey(up, down, replies, NOW, close, 5_000) >= nearKey(up, down, replies, NOW, far, 5_000)
        }
      ))
    })

    it('ranks a fresh unvoted post above an old one far away', () => {
      const fresh = nearKey(0, 0, 0, NOW, 0, 5_000)
      assert.ok(fresh > nearKey(0, 0, 0, NOW - 48 * HOUR, 20_000, 5_000))
      assert.ok(fresh > nearKey(0, 0, 0, NOW - HOUR, 0, 5_000))
      assert.ok(fresh > nearKey(0, 0, 0, NOW, 5_000, 5_000))
    })
  })

  describe('rank', () => {
    it('sorts hot: voted and recent', () => {
      const posts = [
        post('old', { up: 10, createdAt: NOW - 48 * HOUR }),
        post('fresh', { up: 10, createdAt: NOW - HOUR }),
        post('liked', { up: 30, createdAt: NOW - HOUR }),
        post('disliked', { down: 3, createdAt: NOW - HOUR }),
        post('new', { createdAt: NOW })
      ]
      assert.deepEqual(ids(rank(posts, 'hot')), ['liked', 'fresh', 'new', 'disliked', 'old'])
    })

    it('sorts hot as new when no post has more than one vote', () => {
      const posts = [post('a', { createdAt: NOW - 2, up: 1 }), post('b', { createdAt: NOW, down: 1 }), post('c', { createdAt: NOW - 1, replies: 2 })]
      assert.deepEqual(ids(rank(posts, 'hot')), ids(rank(posts, 'new')))
    })

    it('sorts new by createdAt, newest first', () => {
      const posts = [post('a', { createdAt: NOW - 2 }), post('b', { createdAt: NOW }), post('c', { createdAt: NOW - 1 })]
      assert.deepEqual(ids(rank(posts, 'new')), ['b', 'c', 'a'])
    })

    it('sorts top by score, ties to the newer', () => {
      const posts = [
        post('a', { up: 5, createdAt: NOW - 2 * HOUR }),
        post('b', { up: 9, down: 4, createdAt: NOW - HOUR }),
        post('c', { up: 7 })
      ]
      assert.deepEqual(ids(rank(posts, 'top')), ['c', 'b', 'a'])
    })

    it('breaks full ties by id, whatever the input order', () => {
      const posts = [post('c'), post('a'), post('b')]
      for (const sort of ['hot', 'new', 'top'] as Sort[]) {
        assert.deepEqual(ids(rank(posts, sort)), ['a', 'b', 'c'])
        assert.deepEqual(ids(rank([...posts].reverse(), sort)), ['a', 'b', 'c'])
      }
    })

    it('is deterministic under any input order (property)', () => {
      const arbitrary = fc.uniqueArray(fc.record({
        id: fc.string({ minLength: 1, maxLength: 4 }),
        up: fc.nat(5),
        down: fc.nat(5),
        replies: fc.nat(3),
        createdAt: fc.integer({ min: NOW - 5 * HOUR, max: NOW }).map(t => t - (t % HOUR)),
        geohash: fc.constantFrom('', 'u05k', 'u05kq', 'u05km', 'u07t')
      }), { selector: p => p.id, maxLength: 20 })
      fc.assert(fc.property(arbitrary, fc.constantFrom<Sort>('hot', 'new', 'top', 'near'), (posts, sort) => {
        const once = ids(rank(posts, sort, 'u05kq'))
        return JSON.stringify(once) === JSON.stringify(ids(rank([...posts].reverse(), sort, 'u05kq')))
      }))
    })

    it('does not modify its input and keeps extra fields', () => {
      const posts = [post('b'), { ...post('a', { up: 1 }), text: 'hi' }]
      const ranked = rank(posts, 'top')
      assert.deepEqual(ids(posts), ['b', 'a'])
      assert.equal(ranked[0], posts[1])
    })

    describe('near', () => {
      const origin = encode(45.764, 4.8357, 5)
      const east = neighbour(origin, 'e') ?? ''
      const farAway = encode(48.8566, 2.3522, 5)

      it('ranks a fresh post nearby above an old one far away, and both above unlocated posts', () => {
        const posts = [
          post('nowhere', { up: 50 }),
          post('old-far', { geohash: farAway, createdAt: NOW - 24 * HOUR }),
          post('fresh-here', { geohash: origin })
        ]
        assert.deepEqual(ids(rank(posts, 'near', origin)), ['fresh-here', 'old-far', 'nowhere'])
      })

      it('weights the same post lower a cell away, but lets votes overcome distance', () => {
        const posts = [
          post('east', { geohash: east }),
          post('here', { geohash: origin }),
          post('east-liked', { geohash: east, up: 5 })
        ]
        assert.deepEqual(ids(rank(posts, 'near', origin)), ['east-liked', 'here', 'east'])
      })

      it('ranks a downvoted post nearby above the same post far away', () => {
        const posts = [
          post('far', { geohash: farAway, down: 3 }),
          post('here', { geohash: origin, down: 3 })
        ]
        assert.deepEqual(ids(rank(posts, 'near', origin)), ['here', 'far'])
      })

      it('scales distance by the origin\'s cell size', () => {
        const a = post('a', { geohash: encode(45.85, 4.8357, 6), up: 2 })
        const b = post('b', { geohash: origin })
        // 10 km north: close for a precision-4 origin (≈ 23 km cells), far for precision 6 (≈ 0.7 km)
        assert.deepEqual(ids(rank([a, b], 'near', origin.slice(0, 4))), ['a', 'b'])
        assert.deepEqual(ids(rank([a, b], 'near', encode(45.764, 4.8357, 6))), ['b', 'a'])
      })

      it('needs a valid origin', () => {
        assert.throws(() => rank([post('a')], 'near'), (err: unknown) =>
          err instanceof BadRequestError && err.code === 'BAD_GEOHASH')
        assert.throws(() => rank([post('a')], 'near', 'nope!'), (err: unknown) =>
          err instanceof BadRequestError && err.code === 'BAD_GEOHASH')
      })
    })

    it('rejects an unknown sort', () => {
      assert.throws(() => rank([post('a')], 'best' as Sort), (err: unknown) =>
        err instanceof BadRequestError && err.code === 'BAD_SORT')
    })
  })
})
