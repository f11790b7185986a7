// The one strict parser and formatter for topic names, in their three forms: API/CLI
// ('tag:lyon', 'geo:u05k', 'mod:<key>'), gossipsub ('murmur/1/tag/lyon') and DHT key ('murmur/1/topic/tag:lyon').

import { BadRequestError } from '../errors.js'
import { isValidGeohash } from './geohash.js'
import { normalizeTag } from './tags.js'

/** A moderator's topic carries its labels and the reports addressed to it; `moderator` is its 64-hex public key. */
export type Topic = { kind: 'tag', tag: string } | { kind: 'geo', cell: string } | { kind: 'mod', moderator: string }

/** Geo topics are cells of this precision (about 39 × 20 km): coarse, so subscribing reveals little. */
export const GEO_CELL_PRECISION = 4

const GOSSIP_PREFIX = 'murmur/1/'
const CID_PREFIX = 'murmur/1/topic/'

function isCell (value: string): boolean {
  return value.length === GEO_CELL_PRECISION && isValidGeohash(value)
}

/** Lower-case only: one key, one topic name. */
function isModeratorKey (value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value)
}

function isCanonicalTag (value: string): boolean {
  try {
    return normalizeTag(value) === value
  } catch {
    return false
  }
}

function badTopic (value: string, why: string): BadRequestError {
  return new BadRequestError(`invalid topic ${JSON.stringify(value)}: ${why}`, 'BAD_TOPIC')
}

/**
 * API/CLI form to a topic: 'tag:<tag>' or '#<tag>' (the tag is normalised, so 'tag:Lyon' is
 * 'tag:lyon'), or 'geo:<cell>' with exactly four lower-case geohash characters. A finer
 * geohash is refused, not truncated: a caller who meant a finer area should learn that
 * topics are coarser.
 */
export function parseTopic (value: string): Topic {
  if (typeof value !== 'string') throw badTopic(String(value), 'a topic is a string')
  if (value.startsWith('mod:')) {
    const moderator = value.slice('mod:'.length)
    if (!isModeratorKey(moderator)) throw badTopic(value, 'a moderator id is 64 lower-case hex characters')
    return { kind: 'mod', moderator }
  }
  if (value.startsWith('geo:')) {
    const cell = value.slice('geo:'.length)
    if (!isCell(cell)) throw badTopic(value, `a geo cell is exactly ${GEO_CELL_PRECISION} lower-case geohash characters`)
    return { kind: 'geo', cell }
  }
  let raw: string
  if (value.startsWith('tag:')) raw = value.slice('tag:'.length)
  else if (value.startsWith('#')) raw = value.slice(1)
  else throw badTopic(value, "expected 'tag:<tag>', '#<tag>', 'geo:<cell>' or 'mod:<moderator id>'")
  // normalizeTag would drop a second '#' ('tag:#x', '##x'): refuse it instead
  if (raw.startsWith('#')) throw badTopic(value, 'a tag is 1-32 letters, digits or _')
  try {
    return { kind: 'tag', tag: normalizeTag(raw) }
  } catch {
    throw badTopic(value, 'a tag is 1-32 letters, digits or _')
  }
}

/** Refuses hand-built topics that parseTopic would never return, so no bad name reaches the wire. */
function checked (topic: Topic): Topic {
  const ok = topic.kind === 'tag' ? isCanonicalTag(topic.tag) : topic.kind === 'geo' ? isCell(topic.cell) : isModeratorKey(topic.moderator)
  if (ok) return topic
  throw badTopic(JSON.stringify(topic), 'not canonical')
}

export function formatTopic (topic: Topic): string {
  const t = checked(topic)
  return t.kind === 'tag' ? `tag:${t.tag}` : t.kind === 'geo' ? `geo:${t.cell}` : `mod:${t.moderator}`
}

export function toGossipTopic (topic: Topic): string {
  const t = checked(topic)
  return t.kind === 'tag' ? `${GOSSIP_PREFIX}tag/${t.tag}` : t.kind === 'geo' ? `${GOSSIP_PREFIX}geo/${t.cell}` : `${GOSSIP_PREFIX}mod/${t.moderator}`
}

/** Only canonical names: a peer publishing on 'murmur/1/tag/Lyon' is not on our topic. */
export function fromGossipTopic (name: string): Topic | undefined {
  if (name.startsWith(`${GOSSIP_PREFIX}tag/`)) {
    const tag = name.slice(`${GOSSIP_PREFIX}tag/`.length)
    return isCanonicalTag(tag) ? { kind: 'tag', tag } : undefined
  }
  if (name.startsWith(`${GOSSIP_PREFIX}geo/`)) {
    const cell = name.slice(`${GOSSIP_PREFIX}geo/`.length)
    return isCell(cell) ? { kind: 'geo', cell } : undefined
  }
  if (name.startsWith(`${GOSSIP_PREFIX}mod/`)) {
    const moderator = name.slice(`${GOSSIP_PREFIX}mod/`.length)
    return isModeratorKey(moderator) ? { kind: 'mod', moderator } : undefined
  }
  return undefined
}

/**
 * The topics a message is published on: each tag, then its geo cell. A geohash shorter than a
 * cell would have no geo topic (validation refuses one: a body's geohash is 4–6 characters,
 * but this module does not rely on it). A label or a report (`moderator` set) travels on its
 * moderator's topic alone.
 */
export function topicsOfPost (post: { tags: readonly string[], geohash: string, moderator?: string }): Topic[] {
  if (post.moderator != null && post.moderator !== '') {
    if (!isModeratorKey(post.moderator)) throw badTopic(post.moderator, 'not a moderator id')
    return [{ kind: 'mod', moderator: post.moderator }]
  }
  const topics: Topic[] = []
  for (const tag of new Set(post.tags)) {
    if (!isCanonicalTag(tag)) throw new BadRequestError(`tag not normalised: ${JSON.stringify(tag)}`, 'BAD_TAG')
    topics.push({ kind: 'tag', tag })
  }
  if (post.geohash !== '') {
    if (!isValidGeohash(post.geohash)) throw new BadRequestError(`invalid geohash: ${JSON.stringify(post.geohash)}`, 'BAD_GEOHASH')
    if (post.geohash.length >= GEO_CELL_PRECISION) topics.push({ kind: 'geo', cell: post.geohash.slice(0, GEO_CELL_PRECISION) })
  }
  return topics
}

/** The string whose sha256 is the topic's DHT provider CID. */
export function topicCidKey (topic: Topic): string {
  return `${CID_PREFIX}${formatTopic(topic)}`
}
