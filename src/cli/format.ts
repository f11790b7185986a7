// Human-readable output for the CLI: posts as short cards, ages and scores at a glance.

import type { PostView } from '../node/views.js'
import { topicProgress } from '../sync/progress.js'
import type { SyncSessionView } from '../sync/index.js'

const BAR_WIDTH = 24

/**
 * One line for the sync sessions of a topic in progress: a bar of what was fetched against
 * what the peers have that we lack, once reconciliation has told us how much that is.
 */
export function syncProgressLine (topic: string, sessions: SyncSessionView[]): string {
  const { peers: n, need, received, reconciling } = topicProgress(topic, sessions)
  if (n === 0) return `${topic}  waiting for a peer to sync with…`
  const peers = `${n} peer${n === 1 ? '' : 's'}`
  if (reconciling && need === 0) return `${topic}  comparing histories with ${peers}…`
  const done = need === 0 ? 1 : Math.min(1, received / need)
  const filled = Math.round(done * BAR_WIDTH)
  return `${topic}  ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}  ${received}/${need} messages from ${peers}`
}

export function age (ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

export function formatPost (post: PostView, indent = ''): string {
  const where = [
    ...post.tags.map(t => `#${t}`),
    ...(post.geohash !== '' ? [`@${post.geohash}`] : []),
    ...(post.distance != null ? [post.distance] : [])
  ].join(' ')
  const badges = [post.isOp && post.kind !== 'post' ? 'OP' : '', post.isMine ? 'you' : ''].filter(Boolean).join(', ')
  const head = `${indent}${post.author}${badges !== '' ? ` (${badges})` : ''} · ${age(post.createdAt)} ago${where !== '' ? ` · ${where}` : ''}`
  const text = post.text.split('\n').map(line => `${indent}  ${line}`).join('\n')
  const counts = `${indent}  ▲ ${post.up}  ▼ ${post.down}  score ${post.score}${post.kind === 'post' ? `  · ${post.replies} ${post.replies === 1 ? 'reply' : 'replies'}` : ''}`
  return `${head}\n${text}\n${counts}\n${indent}  id ${post.id}`
}

export function formatFeed (posts: PostView[]): string {
  if (posts.length === 0) return 'No murmurs here yet. Join a topic (murmur join tag:NAME) or post one.'
  return posts.map(p => formatPost(p)).join('\n\n')
}
