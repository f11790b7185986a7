// Which gossip topics a message belongs on. The geo folder owns topic names in general; this is
// the minimal formatting the pipeline needs to check a message arrived on a topic it belongs to.

import { bytesToHex } from '@noble/hashes/utils.js'
import { GEO_CELL_CHARS } from './constants.js'
import { Kind } from './murmur.js'
import type { Body } from './murmur.js'

export interface TopicFields {
  tags: readonly string[]
  geohash: string
  /** hex key of the moderator a label or report belongs to; '' or absent for every other kind */
  moderator?: string
}

/**
 * A label or report: only `murmur/1/mod/<moderator>`. Anything else: `murmur/1/tag/<tag>` for
 * each tag, then `murmur/1/geo/<cell>` for the 4-character cell of its geohash.
 */
export function gossipTopicsOf (fields: TopicFields): string[] {
  if (fields.moderator != null && fields.moderator !== '') return [`murmur/1/mod/${fields.moderator}`]
  const topics = fields.tags.map(tag => `murmur/1/tag/${tag}`)
  if (fields.geohash !== '') topics.push(`murmur/1/geo/${fields.geohash.slice(0, GEO_CELL_CHARS)}`)
  return topics
}

/** The same for a decoded body: a label travels on its author's topic, a report on its addressee's. */
export function gossipTopicsOfBody (body: Body): string[] {
  const moderator = body.kind === Kind.LABEL ? body.author : body.kind === Kind.REPORT ? body.moderator : undefined
  return gossipTopicsOf({ tags: body.tags, geohash: body.geohash, ...(moderator != null ? { moderator: bytesToHex(moderator) } : {}) })
}
