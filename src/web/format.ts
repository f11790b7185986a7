// Human forms of ages, places, counts and topics for the page.

import { cellSizeMetres } from '../geo/distance.js'
import { isValidGeohash } from '../geo/geohash.js'

export function age (createdAt: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - createdAt) / 1000))
  if (seconds < 45) return 'now'
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.round(minutes / 60)
  if (hours < 24) return `${hours}h`
  const days = Math.round(hours / 24)
  return `${days}d`
}

export function ageLong (createdAt: number, now = Date.now()): string {
  const short = age(createdAt, now)
  if (short === 'now') return 'just now'
  const n = Number.parseInt(short, 10)
  const unit = short.endsWith('m') ? 'minute' : short.endsWith('h') ? 'hour' : 'day'
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`
}

export function until (expiresAt: number, now = Date.now()): string {
  const hours = Math.max(0, (expiresAt - now) / 3.6e6)
  if (hours < 1) return 'within the hour'
  if (hours < 48) return `in ${Math.round(hours)} hours`
  return `in ${Math.round(hours / 24)} days`
}

/** "5 km", "1.2 km", "600 m". */
export function metres (value: number): string {
  if (value >= 10_000) return `${Math.round(value / 1000)} km`
  if (value >= 1000) return `${(value / 1000).toFixed(1).replace(/\.0$/, '')} km`
  return `${Math.round(value / 100) * 100} m`
}

/** The size of a geohash cell, for people: "≈ 5 km". */
export function cellSize (geohash: string): string {
  return isValidGeohash(geohash) ? `≈ ${metres(cellSizeMetres(geohash))}` : ''
}

export const PRECISIONS = [
  { value: 4, label: 'Region', hint: 'about 30 km' },
  { value: 5, label: 'Neighbourhood', hint: 'about 5 km' },
  { value: 6, label: 'A few streets', hint: 'about 1 km' }
] as const

export type Precision = typeof PRECISIONS[number]['value']

export function isPrecision (value: unknown): value is Precision {
  return value === 4 || value === 5 || value === 6
}

export function plural (n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** 'tag:lyon' → '#lyon', 'geo:u09t' → 'Area u09t'. */
export function topicLabel (topic: string): string {
  if (topic.startsWith('tag:')) return `#${topic.slice(4)}`
  if (topic.startsWith('geo:')) return `Area ${topic.slice(4)}`
  return topic
}

export function shortId (value: string, keep = 6): string {
  return value.length <= keep * 2 + 1 ? value : `${value.slice(0, keep)}…${value.slice(-keep)}`
}
