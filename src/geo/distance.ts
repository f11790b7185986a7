// Distances between points and cells, and the coarse buckets that are all a user ever sees.
// Exact distances are never shown: a few of them from known places trilaterate a poster.

import { BadRequestError } from '../errors.js'
import { assertCoordinates, decode } from './geohash.js'

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
