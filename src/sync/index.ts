// src/sync owns history sync: Negentropy set reconciliation (NIP-77 format) and the
// /murmur/sync/2.0.0 protocol service that fetches and pushes missing posts. See docs/sync.md.

export { createSync, DEFAULT_SYNC_OPTIONS } from './service.js'
export type { Sync, SyncInit, SyncOptions, SyncResult, SyncStatus, SyncSessionView, SyncTopicSummary } from './service.js'
export { SYNC_PROTOCOL, DEFAULT_LIMITS, MAX_IDS_PER_FRAME, MAX_ENVELOPES_PER_FRAME, initiateSession, respondSession, newProgress } from './session.js'
export type { SyncLimits, SessionProgress, SessionPhase, SessionContext } from './session.js'
export { Negentropy, NegentropyStorage, StorageBuilder, NegentropyError, NEGENTROPY_VERSION } from './negentropy.js'
export * from './errors.js'
export { topicProgress, syncingTopics, type TopicProgress } from './progress.js'
export { SyncFrame } from './sync.js'
