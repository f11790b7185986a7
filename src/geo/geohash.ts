// Geohash cells: encoding, decoding and the 8 neighbours of a cell.
// Hand-written (no geohash package was installed) and checked against published vectors.

import { BadRequestError } from '../errors.js'

const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz'
const VALID = /^[0-9b-hjkmnp-z]{1,12}$/
export const MAX_PRECISION = 12

export type Direction = 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w' | 'nw'
export const DIRECTIONS: readonly Direction[] = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw']

/** Cell steps [north, east] for each direction. */
const STEPS: Record<Direction, readonly [number, number]> = {
  n: [1, 0], ne: [1, 1], e: [0, 1], se: [-1, 1], s: [-1, 0], sw: [-1, -1], w: [0, -1], nw: [1, -1]
}

export interface Bounds { minLat: number, minLon: number, maxLat: number, maxLon: number }

/** A cell's center and half sizes (degrees): the true point lies within ±latErr, ±lonErr. */
export interface Decoded { lat: number, lon: number, latErr: number, lonErr: number }

export type Neighbours = Partial<Record<Direction, string>>

/** Lower case only, so that one cell has one name (topic names and index keys compare as strings). */
export function isValidGeohash (value: unknown): value is string {
  return typeof value === 'string' && VALID.test(value)
}

export function isValidCoordinates (lat: number, lon: number): boolean {
  return Number.isFinite(lat) && Number.isFinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

export function assertCoordinates (lat: number, lon: number): void {
  if (!isValidCoordinates(lat, lon)) {
    throw new BadRequestError(`coordinates out of range: ${lat}, ${lon}`, 'BAD_COORDINATES')
  }
}

function assertGeohash (hash: string): void {
  if (!isValidGeohash(hash)) throw new BadRequestError(`invalid geohash: ${JSON.stringify(hash)}`, 'BAD_GEOHASH')
}

export function encode (lat: number, lon: number, precision: number): string {
  assertCoordinates(lat, lon)
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_PRECISION) {
    throw new BadRequestError(`geohash precision must be an integer in 1..${MAX_PRECISION}`, 'BAD_GEOHASH')
  }
  let minLat = -90; let maxLat = 90; let minLon = -180; let maxLon = 180
  let hash = ''
  let value = 0
  let bits = 0
  // Bits alternate longitude, latitude, starting with longitude. Halves of dyadic ranges are
  // exact in binary floating point, so no rounding creeps in; the upper edge (lat 90, lon 180)
  // falls in the last cell.
  for (let even = true; hash.length < precision; even = !even) {
    if (even) {
      const mid = (minLon + maxLon) / 2
      if (lon >= mid) { value = value * 2 + 1; minLon = mid } else { value *= 2; maxLon = mid }
    } else {
      const mid = (minLat + maxLat) / 2
      if (lat >= mid) { value = value * 2 + 1; minLat = mid } else { value *= 2; maxLat = mid }
    }
    if (++bits === 5) {
      hash += BASE32[value]
      value = 0
      bits = 0
    }
  }
  return hash
}

export function bounds (hash: string): Bounds {
  assertGeohash(hash)
  let minLat = -90; let maxLat = 90; let minLon = -180; let maxLon = 180
  let even = true
  for (const char of hash) {
    const value = BASE32.indexOf(char)
    for (let bit = 4; bit >= 0; bit--) {
      const on = ((value >> bit) & 1) === 1
      if (even) {
        const mid = (minLon + maxLon) / 2
        if (on) minLon = mid; else maxLon = mid
      } else {
        const mid = (minLat + maxLat) / 2
        if (on) minLat = mid; else maxLat = mid
      }
      even = !even
    }
  }
  return { minLat, minLon, maxLat, maxLon }
}

export function decode (hash: string): Decoded {
  const { minLat, minLon, maxLat, maxLon } = bounds(hash)
  return {
    lat: (minLat + maxLat) / 2,
    lon: (minLon + maxLon) / 2,
    latErr: (maxLat - minLat) / 2,
    lonErr: (maxLon - minLon) / 2
  }
}

/**
 * The adjacent cell of the same precision. Longitude wraps at the antimeridian; there is no
 * cell beyond a pole, so `undefined` there. Stepping one cell from the center lands on the
 * neighbour's center, which is exact in binary and far from any border.
 */
export function neighbour (hash: string, direction: Direction): string | undefined {
  const { lat, lon, latErr, lonErr } = decode(hash)
  const [north, east] = STEPS[direction]
  const nextLat = lat + north * 2 * latErr
  if (nextLat > 90 || nextLat < -90) return undefined
  let nextLon = lon + east * 2 * lonErr
  if (nextLon > 180) nextLon -= 360
  else if (nextLon < -180) nextLon += 360
  return encode(nextLat, nextLon, hash.length)
}

export function neighbours (hash: string): Neighbours {
  const result: Neighbours = {}
  for (const direction of DIRECTIONS) {
    const cell = neighbour(hash, direction)
    if (cell !== undefined) result[direction] = cell
  }
  return result
}

/**
 * The cell followed by its neighbours (n, ne, … nw, minus those beyond a pole). Near me looks
 * here and not only in the user's cell: two points metres apart can sit on either side of a border.
 */
export function neighbourhood (hash: string): string[] {
  return [hash, ...Object.values(neighbours(hash))]
}
