// The post store: key layout, stateful validation, indexes, counters, feeds, purge and quotas
// over LevelDB (`level`). One atomic batch per ingest; see docs/storage.md.

import { LevelPostStore } from './store.js'
import type { PostStore, StoreOptions } from './types.js'

export type {
  FeedQuery, IngestOptions, IngestResult, IngestStatus, PostStore, StoreOptions, StoreStats, StoredPost, Thread,
  ThreadOptions, TopicEntriesOptions, TopicEntry, LabelRecord, ModerationLogOptions, UpgradeProgress
} from './types.js'
export { DEFAULT_CANDIDATES, DEFAULT_TOPIC_QUOTA, MAX_FEED_LIMIT, PURGE_BATCH, SCHEMA_VERSION, topicsOf } from './store.js'

/** A store over the LevelDB database in `options.path`; call start() before use. */
export function createStore (options: StoreOptions): PostStore {
  return new LevelPostStore(options)
}
