import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  HIDE_SCORE_THRESHOLD, distanceWeight, hot, isHidden, near, nearKey, rank, score
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

    it('computes hot by the formula', () => {
      assert.equal(hot(0, 0, 0, NOW, NOW), 0)
      assert.equal(hot(4, 0, 0, NOW, NOW), 4 / 2 ** 1.5)
      assert.equal(hot(3, 1, 4, NOW - 2 * HOUR, NOW), (2 + 2) / 4 ** 1.5)
      // a clock ahead of ours counts as age 0
      assert.equal(hot(4, 0, 0, NOW + HOUR, NOW), hot(4, 0, 0, NOW, NOW))
    })

    it('decays: with the same votes, older ranks lower', () => {
      assert.ok(hot(10, 0, 0, NOW - HOUR, NOW) > hot(10, 0, 0, NOW - 10 * HOUR, NOW))
      assert.ok(hot(10, 0, 0, NOW - 10 * HOUR, NOW) > hot(10, 0, 0, NOW - 100 * HOUR, NOW))
    })

    it('grows with votes and replies at the same age', () => {
      const createdAt = NOW - 3 * HOUR
      assert.ok(hot(11, 0, 0, createdAt, NOW) > hot(10, 0, 0, createdAt, NOW))
      assert.ok(hot(10, 0, 2, createdAt, NOW) > hot(10, 0, 0, createdAt, NOW))
      assert.ok(hot(10, 1, 0, createdAt, NOW) < hot(10, 0, 0, createdAt, NOW))
    })

    it('weights by distance: 1 at the user, ½ one cell away', () => {
      assert.equal(distanceWeight(0, 5_000), 1)
      assert.equal(distanceWeight(5_000, 5_000), 0.5)
      assert.equal(near(2, 5_000, 5_000), 1)
      assert.equal(near(2, 15_000, 5_000), 0.5)
    })

    it('never ranks a nearer post lower, even with a negative value (property)', () => {
      fc.assert(fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (value, d1, d2) => {
          const [close, far] = d1 <= d2 ? [d1, d2] : [d2, d1]
          return near(value, close, 5_000) >= near(value, far, 5_000)
        }
      ))
    })

    it('gives a fresh unvoted post a positive near key that an old one far away does not beat', () => {
      const fresh = nearKey(0, 0, 0, NOW, NOW, 0, 5_000)
      assert.ok(fresh > 0)
      assert.ok(fresh > nearKey(0, 0, 0, NOW - 48 * HOUR, NOW, 20_000, 5_000))
      assert.ok(fresh > nearKey(0, 0, 0, NOW - HOUR, NOW, 0, 5_000))
      assert.ok(nearKey(0, 0, 0, NOW, NOW, 0, 5_000) > nearKey(0, 0, 0, NOW, NOW, 5_000, 5_000))
    })
  })

  describe('rank', () => {
    it('sorts hot: decayed and voted', () => {
      const posts = [
        post('old', { up: 10, createdAt: NOW - 48 * HOUR }),
        post('fresh', { up: 10, createdAt: NOW - HOUR }),
        post('liked', { up: 30, createdAt: NOW - HOUR }),
        post('disliked', { down: 3, createdAt: NOW - HOUR })
      ]
      assert.deepEqual(ids(rank(posts, 'hot', NOW)), ['liked', 'fresh', 'old', 'disliked'])
    })

    it('sorts new by createdAt, newest first', () => {
      const posts = [post('a', { createdAt: NOW - 2 }), post('b', { createdAt: NOW }), post('c', { createdAt: NOW - 1 })]
      assert.deepEqual(ids(rank(posts, 'new', NOW)), ['b', 'c', 'a'])
    })

    it('sorts top by score, ties to the newer', () => {
      const posts = [
        post('a', { up: 5, createdAt: NOW - 2 * HOUR }),
        post('b', { up: 9, down: 4, createdAt: NOW - HOUR }),
        post('c', { up: 7 })
      ]
      assert.deepEqual(ids(rank(posts, 'top', NOW)), ['c', 'b', 'a'])
    })

    it('breaks full ties by id, whatever the input order', () => {
      const posts = [post('c'), post('a'), post('b')]
      for (const sort of ['hot', 'new', 'top'] as Sort[]) {
        assert.deepEqual(ids(rank(posts, sort, NOW)), ['a', 'b', 'c'])
        assert.deepEqual(ids(rank([...posts].reverse(), sort, NOW)), ['a', 'b', 'c'])
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
        const once = ids(rank(posts, sort, NOW, 'u05kq'))
        return JSON.stringify(once) === JSON.stringify(ids(rank([...posts].reverse(), sort, NOW, 'u05kq')))
      }))
    })

    it('does not modify its input and keeps extra fields', () => {
      const posts = [post('b'), { ...post('a', { up: 1 }), text: 'hi' }]
      const ranked = rank(posts, 'top', NOW)
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
        assert.deepEqual(ids(rank(posts, 'near', NOW, origin)), ['fresh-here', 'old-far', 'nowhere'])
      })

      it('weights the same post lower a cell away, but lets votes overcome distance', () => {
        const posts = [
          post('east', { geohash: east }),
          post('here', { geohash: origin }),
          post('east-liked', { geohash: east, up: 5 })
        ]
        assert.deepEqual(ids(rank(posts, 'near', NOW, origin)), ['east-liked', 'here', 'east'])
      })

      it('ranks a downvoted post nearby above the same post far away', () => {
        const posts = [
          post('far', { geohash: farAway, down: 3 }),
          post('here', { geohash: origin, down: 3 })
        ]
        assert.deepEqual(ids(rank(posts, 'near', NOW, origin)), ['here', 'far'])
      })

      it('scales distance by the origin\'s cell size', () => {
        const a = post('a', { geohash: encode(45.85, 4.8357, 6), up: 2 })
        const b = post('b', { geohash: origin })
        // 10 km north: close for a precision-4 origin (≈ 23 km cells), far for precision 6 (≈ 0.7 km)
        assert.deepEqual(ids(rank([a, b], 'near', NOW, origin.slice(0, 4))), ['a', 'b'])
        assert.deepEqual(ids(rank([a, b], 'near', NOW, encode(45.764, 4.8357, 6))), ['b', 'a'])
      })

      it('needs a valid origin', () => {
        assert.throws(() => rank([post('a')], 'near', NOW), (err: unknown) =>
          err instanceof BadRequestError && err.code === 'BAD_GEOHASH')
        assert.throws(() => rank([post('a')], 'near', NOW, 'nope!'), (err: unknown) =>
          err instanceof BadRequestError && err.code === 'BAD_GEOHASH')
      })
    })

    it('rejects an unknown sort', () => {
      assert.throws(() => rank([post('a')], 'best' as Sort, NOW), (err: unknown) =>
        err instanceof BadRequestError && err.code === 'BAD_SORT')
    })
  })
})
