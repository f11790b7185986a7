// Distances between points and cells, and the coarse buckets that are all a user ever sees.
// Exact distances are never shown: a few of them from known places trilaterate a poster.

import { BadRequestError } from '../errors.js'
import { assertCoordinates, bounds, decode } from './geohash.js'

export interface LatLon { lat: number, lon: number }

/** IUGG mean Earth radius; the spherical model errs by < 0.5 %, well inside the buckets. */
const EARTH_RADIUS_METRES = 6_371_008.8
const RADIANS = Math.PI / 180

export const DISTANCE_BUCKETS = ['< 1 km', '< 5 km', '< 10 km', '< 20 km', '< 50 km', '< 100 km', 'far'] as const
export type DistanceBucket = typeof DISTANCE_BUCKETS[number]

/** Upper bounds (exclusive, metres) of every bucket but 'far'. */
const LIMITS = [1_000, 5_000, 10_000, 20_000, 50_000, 100_000]

/** Great-circle distance in metres. */
export function haversine (a: LatLon, b: LatLon): number {
  assertCoordinates(a.lat, a.lon)
  assertCoordinates(b.lat, b.lon)
  const dLat = (b.lat - a.lat) * RADIANS
  const dLon = (b.lon - a.lon) * RADIANS
  const h = Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * RADIANS) * Math.cos(b.lat * RADIANS) * Math.sin(dLon / 2) ** 2
  // min() guards asin against rounding just above 1 for antipodal points
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h)))
}

export function distanceBucket (metres: number): DistanceBucket {
  if (!(metres >= 0)) throw new BadRequestError(`invalid distance: ${metres}`, 'BAD_COORDINATES')
  const index = LIMITS.findIndex(limit => metres < limit)
  return DISTANCE_BUCKETS[index === -1 ? LIMITS.length : index]
}

/**
 * Distance from the user (a point, or the center of their cell) to the center of a post's
 * cell. Only the published cell is used, so the bucket reveals nothing the geohash did not.
 */
export function cellDistance (from: string | LatLon, postGeohash: string): number {
  const origin = typeof from === 'string' ? decode(from) : from
  return haversine(origin, decode(postGeohash))
}

/**
 * A lower bound of cellDistance(from, g) for every geohash g inside `cell` (g's center lies in
 * the cell's box), 0 when `from` is in the box: what a whole cell can still offer a Near feed.
 * Each haversine term is minimised on its own over the box, so the bound is never above the
 * true distance; it is close to it for the small cells of a neighbourhood.
 */
export function minCellDistance (from: string | LatLon, cell: string): number {
  const origin = typeof from === 'string' ? decode(from) : from
  assertCoordinates(origin.lat, origin.lon)
  const box = bounds(cell)
  const dLat = origin.lat < box.minLat ? box.minLat - origin.lat : origin.lat > box.maxLat ? origin.lat - box.maxLat : 0
  let dLon = 0
  if (origin.lon < box.minLon || origin.lon > box.maxLon) {
    // the shorter way round to either edge, across the antimeridian if need be
    const east = (((box.minLon - origin.lon) % 360) + 360) % 360
    const west = (((origin.lon - box.maxLon) % 360) + 360) % 360
    dLon = Math.min(east, west, 180)
  }
  // cos is concave on [-90°, 90°]: its least value over the box's latitudes is at an edge
  const cosBox = Math.min(Math.cos(box.minLat * RADIANS), Math.cos(box.maxLat * RADIANS))
  const h = Math.sin(dLat * RADIANS / 2) ** 2 + Math.cos(origin.lat * RADIANS) * Math.max(0, cosBox) * Math.sin(dLon * RADIANS / 2) ** 2
  // shaved by a part per billion against rounding, so it stays below haversine() itself
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h))) * (1 - 1e-9)
}

export function cellDistanceBucket (from: string | LatLon, postGeohash: string): DistanceBucket {
  return distanceBucket(cellDistance(from, postGeohash))
}

/**
 * A cell's typical size in metres: the side of a square of the same area, measured at the
 * cell's center latitude (cells narrow toward the poles). At least 1 m, so that it can divide.
 */
export function cellSizeMetres (hash: string): number {
  const { lat, latErr, lonErr } = decode(hash)
  const height = 2 * latErr * RADIANS * EARTH_RADIUS_METRES
  const width = 2 * lonErr * RADIANS * EARTH_RADIUS_METRES * Math.cos(lat * RADIANS)
  return Math.max(1, Math.sqrt(height * width))
}
