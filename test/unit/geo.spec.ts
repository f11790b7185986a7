import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  DIRECTIONS, bounds, cellDistance, cellDistanceBucket, cellSizeMetres, decode, distanceBucket, encode, haversine,
  isValidCoordinates, minCellDistance, isValidGeohash, neighbour, neighbourhood, neighbours
} from '../../src/geo/index.js'
import { BadRequestError } from '../../src/errors.js'

function rejects (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof BadRequestError && err.code === code)
}

/** Degrees of longitude spanning `metres` at latitude `lat`. */
function lonDegrees (metres: number, lat: number): number {
  return metres / (111_320 * Math.cos(lat * Math.PI / 180))
}

describe('geo/geohash', () => {
  describe('vectors', () => {
    it("encodes (42.6, -5.6) as 'ezs42' (Wikipedia)", () => {
      assert.equal(encode(42.6, -5.6, 5), 'ezs42')
    })

    it("decodes 'ezs42' to a cell containing (42.6, -5.6) with its half sizes", () => {
      const { lat, lon, latErr, lonErr } = decode('ezs42')
      assert.equal(lat, 42.60498046875)
      assert.equal(lon, -5.60302734375)
      assert.equal(latErr, 0.02197265625)
      assert.equal(lonErr, 0.02197265625)
      assert.ok(Math.abs(lat - 42.6) <= latErr && Math.abs(lon + 5.6) <= lonErr)
    })

    it("encodes (57.64911, 10.40744) as 'u4pruydqqvj' (geohash.org)", () => {
      assert.equal(encode(57.64911, 10.40744, 11), 'u4pruydqqvj')
      const { lat, lon } = decode('u4pruydqqvj')
      assert.ok(Math.abs(lat - 57.64911) < 1e-5)
      assert.ok(Math.abs(lon - 10.40744) < 1e-5)
    })

    it("puts San Francisco in '9q8yy' and decodes '9q8yyk8yuv' to within metres of it", () => {
      assert.equal(encode(37.7749, -122.4194, 5), '9q8yy')
      const { lat, lon } = decode('9q8yyk8yuv')
      assert.ok(haversine({ lat, lon }, { lat: 37.7749, lon: -122.4194 }) < 5)
    })

    it("gives the neighbours of 'dqcjq' of the well-known table", () => {
      assert.deepEqual(neighbours('dqcjq'), {
        n: 'dqcjw', ne: 'dqcjx', e: 'dqcjr', se: 'dqcjp', s: 'dqcjn', sw: 'dqcjj', w: 'dqcjm', nw: 'dqcjt'
      })
      assert.equal(neighbour('dqcjq', 'n'), 'dqcjw')
    })

    it('gives bounds whose edges are the cell edges', () => {
      assert.deepEqual(bounds('9q8yy'), {
        minLat: 37.7490234375, minLon: -122.431640625, maxLat: 37.79296875, maxLon: -122.3876953125
      })
      assert.deepEqual(bounds('s'), { minLat: 0, minLon: 0, maxLat: 45, maxLon: 45 })
    })

    it('encodes the edges of the world into the edge cells', () => {
      assert.equal(encode(90, 180, 1), 'z')
      assert.equal(encode(-90, -180, 1), '0')
      assert.equal(encode(0, 0, 12), 's00000000000')
    })
  })

  describe('neighbours at the edges', () => {
    it('wraps longitude at the antimeridian, both ways', () => {
      assert.equal(neighbour('z', 'e'), 'b')
      assert.equal(neighbour('b', 'w'), 'z')
      const east = encode(0, 179.9995, 7)
      const west = encode(0, -179.9995, 7)
      assert.equal(neighbour(east, 'e'), west)
      assert.equal(neighbour(west, 'w'), east)
      assert.ok(decode(neighbour(east, 'ne') ?? '').lon < -179)
      assert.ok(decode(neighbour(west, 'sw') ?? '').lon > 179)
    })

    it('omits neighbours beyond the poles', () => {
      assert.deepEqual(neighbours('z'), { e: 'b', se: '8', s: 'x', sw: 'w', w: 'y' })
      assert.deepEqual(neighbours('0'), { n: '2', ne: '3', e: '1', w: 'p', nw: 'r' })
      const north = encode(89.999, 10, 6)
      for (const d of ['n', 'ne', 'nw'] as const) assert.equal(neighbour(north, d), undefined)
      assert.equal(Object.keys(neighbours(north)).length, 5)
      assert.equal(neighbourhood(north).length, 6)
    })

    it('keeps the precision and lists the cell first in its neighbourhood', () => {
      const cell = 'u05kq'
      const around = neighbourhood(cell)
      assert.equal(around[0], cell)
      assert.equal(around.length, 9)
      assert.equal(new Set(around).size, 9)
      for (const c of around) assert.equal(c.length, cell.length)
    })
  })

  describe('the border case', () => {
    // The classic bug: searching only the user's own cell misses a post 100 m away across a border.
    it('puts two points 100 m apart across a cell border in different cells, each in the other\'s neighbourhood', () => {
      const { maxLon, minLat, maxLat } = bounds('9q8yy')
      const lat = (minLat + maxLat) / 2
      const half = lonDegrees(50, lat)
      const a = encode(lat, maxLon - half, 5)
      const b = encode(lat, maxLon + half, 5)
      assert.ok(haversine({ lat, lon: maxLon - half }, { lat, lon: maxLon + half }) < 101)
      assert.notEqual(a, b)
      assert.ok(neighbourhood(a).includes(b))
      assert.ok(neighbourhood(b).includes(a))
    })

    it('does the same across a corner (diagonal neighbours)', () => {
      const { maxLat, maxLon } = bounds('u05kq')
      const dLat = 35 / 111_320
      const dLon = lonDegrees(35, maxLat)
      const a = encode(maxLat - dLat, maxLon - dLon, 5)
      const b = encode(maxLat + dLat, maxLon + dLon, 5)
      assert.equal(a, 'u05kq')
      assert.equal(neighbour(a, 'ne'), b)
      assert.equal(neighbour(b, 'sw'), a)
    })

    it('does the same across the antimeridian', () => {
      const a = encode(10, 179.9995, 6)
      const b = encode(10, -179.9995, 6)
      assert.ok(haversine({ lat: 10, lon: 179.9995 }, { lat: 10, lon: -179.9995 }) < 120)
      assert.notEqual(a, b)
      assert.ok(neighbourhood(a).includes(b))
      assert.ok(neighbourhood(b).includes(a))
    })

    it('holds for any two points 100 m apart at precision 6 (property)', () => {
      fc.assert(fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }), // nearer the poles, 100 m spans several columns
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
        (lat, lon, bearing) => {
          const lat2 = lat + Math.cos(bearing) * 100 / 111_320
          let lon2 = lon + Math.sin(bearing) * lonDegrees(100, lat)
          if (lon2 > 180) lon2 -= 360
          if (lon2 < -180) lon2 += 360
          const a = encode(lat, lon, 6)
          const b = encode(lat2, lon2, 6)
          return neighbourhood(a).includes(b) && neighbourhood(b).includes(a)
        }
      ))
    })
  })

  describe('round trips', () => {
    it('decodes every encoded point to a cell that contains it (property)', () => {
      fc.assert(fc.property(
        fc.double({ min: -90, max: 90, noNaN: true }),
        fc.double({ min: -180, max: 180, noNaN: true }),
        fc.integer({ min: 1, max: 12 }),
        (lat, lon, precision) => {
          const hash = encode(lat, lon, precision)
          const b = bounds(hash)
          return isValidGeohash(hash) && hash.length === precision &&
            b.minLat <= lat && lat <= b.maxLat && b.minLon <= lon && lon <= b.maxLon
        }
      ))
    })

    it('encodes the center of every cell back to the cell (property)', () => {
      fc.assert(fc.property(fc.stringMatching(/^[0-9b-hjkmnp-z]{1,12}$/), hash => {
        const { lat, lon } = decode(hash)
        return encode(lat, lon, hash.length) === hash
      }))
    })

    it('is symmetric: each neighbour has the cell as its opposite neighbour (property)', () => {
      const opposite = { n: 's', ne: 'sw', e: 'w', se: 'nw', s: 'n', sw: 'ne', w: 'e', nw: 'se' } as const
      fc.assert(fc.property(fc.stringMatching(/^[0-9b-hjkmnp-z]{1,8}$/), hash => {
        return DIRECTIONS.every(d => {
          const cell = neighbour(hash, d)
          return cell === undefined || neighbour(cell, opposite[d]) === hash
        })
      }))
    })
  })

  describe('rejections', () => {
    it('rejects invalid geohashes with BAD_GEOHASH', () => {
      for (const bad of ['', 'a', 'ezs4i', 'ezs4l', 'ezs4o', 'EZS42', 'ezs42 ', '0123456789bcd', 'ézs42']) {
        assert.equal(isValidGeohash(bad), false, bad)
        rejects(() => decode(bad), 'BAD_GEOHASH')
        rejects(() => bounds(bad), 'BAD_GEOHASH')
        rejects(() => neighbours(bad), 'BAD_GEOHASH')
      }
      assert.equal(isValidGeohash(42), false)
      assert.equal(isValidGeohash(undefined), false)
    })

    it('rejects a precision outside 1..12 with BAD_GEOHASH', () => {
      for (const p of [0, 13, 1.5, Number.NaN]) rejects(() => encode(0, 0, p), 'BAD_GEOHASH')
    })

    it('rejects coordinates out of range with BAD_COORDINATES', () => {
      for (const [lat, lon] of [[91, 0], [-90.1, 0], [0, 180.1], [0, -181], [Number.NaN, 0], [0, Infinity]]) {
        assert.equal(isValidCoordinates(lat, lon), false)
        rejects(() => encode(lat, lon, 5), 'BAD_COORDINATES')
        rejects(() => haversine({ lat, lon }, { lat: 0, lon: 0 }), 'BAD_COORDINATES')
      }
    })
  })
})

describe('geo/distance', () => {
  it('measures known distances (haversine)', () => {
    const paris = { lat: 48.8566, lon: 2.3522 }
    const lyon = { lat: 45.764, lon: 4.8357 }
    assert.ok(Math.abs(haversine(paris, lyon) - 391_500) < 2_000)
    assert.equal(haversine(paris, paris), 0)
    assert.ok(Math.abs(haversine({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }) - Math.PI * 6_371_008.8) < 1)
    assert.ok(Math.abs(haversine({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 }) - 111_195) < 10)
  })

  it('buckets distances coarsely', () => {
    const cases: Array<[number, string]> = [
      [0, '< 1 km'], [999, '< 1 km'], [1_000, '< 5 km'], [4_999, '< 5 km'], [5_000, '< 10 km'],
      [10_000, '< 20 km'], [19_999, '< 20 km'], [20_000, '< 50 km'], [50_000, '< 100 km'],
      [99_999, '< 100 km'], [100_000, 'far'], [1e7, 'far'], [Infinity, 'far']
    ]
    for (const [metres, bucket] of cases) assert.equal(distanceBucket(metres), bucket, String(metres))
  })

  it('rejects negative or NaN distances', () => {
    rejects(() => distanceBucket(-1), 'BAD_COORDINATES')
    rejects(() => distanceBucket(Number.NaN), 'BAD_COORDINATES')
  })

  it('buckets from a point or a cell to the center of the post\'s cell', () => {
    const post = encode(45.764, 4.8357, 6)
    const center = decode(post)
    assert.equal(cellDistanceBucket(center, post), '< 1 km')
    assert.equal(cellDistanceBucket(post, post), '< 1 km')
    assert.equal(cellDistanceBucket({ lat: 45.764 + 0.06, lon: center.lon }, post), '< 10 km')
    assert.equal(cellDistanceBucket(encode(48.8566, 2.3522, 5), post), 'far')
    rejects(() => cellDistanceBucket(post, 'bad!'), 'BAD_GEOHASH')
  })

  it('bounds from below the distance to any post inside a cell, 0 from inside it (property)', () => {
    const point = fc.record({ lat: fc.double({ min: -89.9, max: 89.9, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) })
    fc.assert(fc.property(point, fc.integer({ min: 3, max: 6 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...DIRECTIONS, undefined),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (p, precision, deeper, direction, u, v) => {
        const origin = encode(p.lat, p.lon, precision)
        const cell = direction === undefined ? origin : neighbour(origin, direction)
        if (cell === undefined) return true
        assert.equal(minCellDistance(origin, origin), 0)
        // a post anywhere in the cell, at its own (finer or equal) precision
        const box = bounds(cell)
        const post = encode(Math.min(box.minLat + u * (box.maxLat - box.minLat), 90), box.minLon + v * (box.maxLon - box.minLon), precision + deeper)
        if (!post.startsWith(cell)) return true
        assert.ok(minCellDistance(origin, cell) <= cellDistance(origin, post), `${origin} ${cell} ${post}`)
        return true
      }), { numRuns: 2_000 })
  })

  it('is close to the true distance for a neighbour cell', () => {
    const origin = encode(45.764, 4.8357, 5)
    const east = neighbour(origin, 'e') ?? ''
    const { lat, lon } = decode(origin)
    // the nearest point of the east neighbour is on its west edge, at the origin's latitude
    const exact = haversine({ lat, lon }, { lat, lon: bounds(east).minLon })
    assert.ok(minCellDistance(origin, east) <= exact)
    assert.ok(minCellDistance(origin, east) > exact * 0.999)
    assert.ok(minCellDistance(origin, 'gcpv') > 350_000) // London, from Lyon
  })

  it('sizes cells in metres, narrower toward the poles', () => {
    const four = cellSizeMetres('u05k')
    assert.ok(four > 20_000 && four < 30_000, String(four))
    assert.ok(cellSizeMetres('u05kq') < four / 4)
    assert.ok(cellSizeMetres(encode(80, 0, 4)) < cellSizeMetres(encode(0, 0, 4)))
    assert.ok(cellSizeMetres(encode(90, 0, 12)) >= 1)
  })
})
