// Progress of the history syncs of one topic, summed over its running sessions: what the CLI's
// bar and the web page's network panel show. Pure, so the page can bundle it.

import type { SessionProgress } from './session.js'

export interface TopicProgress {
  topic: string
  /** sessions we started for this topic */
  peers: number
  /** messages reconciliation found we lack, and how many of them arrived */
  need: number
  received: number
  /** some session is still comparing, so `need` may grow */
  reconciling: boolean
}

export function topicProgress (topic: string, sessions: ReadonlyArray<Pick<SessionProgress, 'topic' | 'role' | 'phase' | 'need' | 'received'>>): TopicProgress {
  const mine = sessions.filter(s => s.topic === topic && s.role === 'initiator')
  return {
    topic,
    peers: mine.length,
    need: mine.reduce((n, s) => n + s.need, 0),
    received: mine.reduce((n, s) => n + s.received, 0),
    reconciling: mine.some(s => s.phase === 'open' || s.phase === 'reconcile')
  }
}

/** The topics with a session we started, in the order they appear. */
export function syncingTopics (sessions: ReadonlyArray<Pick<SessionProgress, 'topic' | 'role'>>): string[] {
  return [...new Set(sessions.filter(s => s.role === 'initiator').map(s => s.topic))]
}
