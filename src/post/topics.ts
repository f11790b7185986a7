// Which gossip topics a message belongs on. The geo folder owns topic names in general; this is
// the minimal formatting the pipeline needs to check a message arrived on a topic it belongs to.

import { GEO_CELL_CHARS } from './constants.js'

export interface TopicFields {
  tags: readonly string[]
  geohash: string
}

/** `murmur/1/tag/<tag>` for each tag, then `murmur/1/geo/<cell>` for the 4-character cell of its geohash. */
export function gossipTopicsOf (fields: TopicFields): string[] {
  const topics = fields.tags.map(tag => `murmur/1/tag/${tag}`)
  if (fields.geohash !== '') topics.push(`murmur/1/geo/${fields.geohash.slice(0, GEO_CELL_CHARS)}`)
  return topics
}
