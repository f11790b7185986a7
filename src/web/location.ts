/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The user's place, kept private: the browser's position becomes a geohash here, in the page,
// and the coordinates are dropped at once. Only the cell (at the precision the user picked) or
// its center ever reaches the node.

import { decode, encode, neighbourhood } from '../geo/geohash.js'
import { cellDistanceBucket } from '../geo/distance.js'
import { isPrecision, type Precision } from './format.js'

const PRECISION_KEY = 'murmur.precision'
/** The finest cell we keep in memory; coarser ones are its prefixes. */
const FINEST = 6

let finest: string | undefined

export function precision (): Precision {
  const saved = Number(localStorage.getItem(PRECISION_KEY))
  return isPrecision(saved) ? saved : 5
}

export function setPrecision (value: Precision): void {
  localStorage.setItem(PRECISION_KEY, String(value))
}

/** The user's cell at the chosen precision, if located in this session. */
export function currentCell (p: Precision = precision()): string | undefined {
  return finest?.slice(0, p)
}

export class LocationError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'LocationError'
  }
}

/** Asks the browser where we are; resolves to the user's cell at the chosen precision. */
export async function locate (p: Precision = precision()): Promise<string> {
  if (!('geolocation' in navigator)) throw new LocationError('This browser cannot tell where you are.')
  const cell = await new Promise<string>((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        try {
          // the only place raw coordinates exist: turned into a cell and forgotten
          resolve(encode(position.coords.latitude, position.coords.longitude, FINEST))
        } catch {
          reject(new LocationError('The browser gave a position murmur cannot use.'))
        }
      },
      (error) => {
        const message = error.code === error.PERMISSION_DENIED
          ? 'Location is blocked for this page. Allow it in the browser’s site settings to see murmurs near you.'
          : error.code === error.TIMEOUT
            ? 'Finding your position took too long. Try again.'
            : 'Your position is not available right now. Try again in a moment.'
        reject(new LocationError(message))
      },
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 10 * 60_000 }
    )
  })
  finest = cell
  return cell.slice(0, p)
}

/** The `near` query for a cell: its center, never the user's own point. */
export function nearQuery (cell: string): { near: string, precision: number } {
  const { lat, lon } = decode(cell)
  return { near: `${lat.toFixed(6)},${lon.toFixed(6)}`, precision: cell.length }
}

/** Is a post's cell in the user's cell or one of its 8 neighbours (at either's precision)? */
export function isNear (cell: string, postGeohash: string): boolean {
  if (postGeohash === '') return false
  return neighbourhood(cell).some(n => postGeohash.startsWith(n) || n.startsWith(postGeohash))
}

export function distanceTo (cell: string, postGeohash: string): string {
  try {
    return cellDistanceBucket(cell, postGeohash)
  } catch {
    return ''
  }
}
