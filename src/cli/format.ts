// Human-readable output for the CLI: posts as short cards, ages and scores at a glance.

import type { PostView } from '../node/views.js'
import type { ModerationView, ReportView } from '../node/types.js'
import { pseudonym } from '../post/pseudonym.js'
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
  const warn = post.warnings != null ? ` · ⚠ ${post.warnings.join(', ')}` : ''
  const head = `${indent}${post.author}${badges !== '' ? ` (${badges})` : ''} · ${age(post.createdAt)} ago${where !== '' ? ` · ${where}` : ''}${warn}`
  const text = post.text.split('\n').map(line => `${indent}  ${line}`).join('\n')
  const counts = `${indent}  ▲ ${post.up}  ▼ ${post.down}  score ${post.score}${post.kind === 'post' ? `  · ${post.replies} ${post.replies === 1 ? 'reply' : 'replies'}` : ''}`
  return `${head}\n${text}\n${counts}\n${indent}  id ${post.id}`
}

export function formatFeed (posts: PostView[]): string {
  if (posts.length === 0) return 'No murmurs here yet. Join a topic (murmur join tag:NAME) or post one.'
  return posts.map(p => formatPost(p)).join('\n\n')
}

export function formatModeration (s: ModerationView, part: 'mutes' | 'moderators'): string {
  if (part === 'mutes') {
    const list = (items: string[]): string => items.length === 0 ? '(none)' : items.join(', ')
    return [
      `muted words       ${list(s.mutes.words)}`,
      `muted tags        ${list(s.mutes.tags.map(t => `#${t}`))}`,
      `muted pseudonyms  ${list(s.mutes.pseudonyms.map(k => `${pseudonym(k).name} (${k.slice(0, 8)}…)`))}`,
      `hidden at score   ${s.hideAtOrBelow} or lower`
    ].join('\n')
  }
  const lines = [`your moderator id  ${s.moderatorId}`]
  if (s.moderators.length === 0) lines.push('following no moderator (murmur follow-mod MODERATOR)')
  for (const m of s.moderators) {
    const byAction = (['hide', 'warn', 'drop'] as const)
      .map(a => [a, Object.entries(m.actions).filter(([, x]) => x === a).map(([l]) => l)] as const)
      .filter(([, labels]) => labels.length > 0)
      .map(([a, labels]) => `${a} ${labels.join(',')}`)
    lines.push(`following ${m.id}  ${byAction.join(' · ') || '(labels do nothing)'}`)
  }
  return lines.join('\n')
}

export function formatReports (reports: ReportView[]): string {
  if (reports.length === 0) return 'No reports addressed to you yet (your node now listens for them).'
  return reports.map(r => [
    `${r.reason} · ${age(r.createdAt)} ago · post ${r.target}`,
    ...(r.note !== '' ? [`  "${r.note}"`] : []),
    ...(r.post != null ? [formatPost(r.post, '    ')] : ['    (the post is not on this node)'])
  ].join('\n')).join('\n\n')
}
