/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page's client for its own node's HTTP API (same origin) and live Server-Sent Events.
// Every failure becomes an ApiError with the node's { code, message }, or UNREACHABLE.

import type { PostView } from '../node/views.js'
import type { ModerationView, NodeStatus, PeerView, ReportView, Thread } from '../node/types.js'

export type { PostView, PeerView, Thread, ModerationView, ReportView }
export type MuteType = 'word' | 'tag' | 'pseudonym'

export type Status = NodeStatus

export class ApiError extends Error {
  readonly code: string
  /** HTTP status, 0 when the node could not be reached */
  readonly status: number
  constructor (code: string, message: string, status: number) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.status = status
  }
}

export const UNREACHABLE = 'UNREACHABLE'

async function request<T> (method: string, path: string, body?: unknown): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch {
    throw new ApiError(UNREACHABLE, 'Your murmur node is not answering. Is it still running?', 0)
  }
  let data: any
  try {
    data = await res.json()
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const error = data?.error
    throw new ApiError(
      typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
      typeof error?.message === 'string' ? error.message : `the node answered ${res.status} ${res.statusText}`,
      res.status
    )
  }
  return data as T
}

export interface FeedParams {
  sort: 'hot' | 'new' | 'top'
  limit?: number
  topic?: string
  /** "LAT,LON" of a cell's center, never a raw position */
  near?: string
  precision?: number
}

export interface NewPost {
  text: string
  tags?: string[]
  geohash?: string
}

export const api = {
  status: async (): Promise<Status> => request('GET', '/api/status'),
  feed: async (params: FeedParams): Promise<PostView[]> => {
    const query = new URLSearchParams({ sort: params.sort, limit: String(params.limit ?? 50) })
    if (params.topic != null) query.set('topic', params.topic)
    if (params.near != null) query.set('near', params.near)
    if (params.precision != null) query.set('precision', String(params.precision))
    const { posts } = await request<{ posts: PostView[] }>('GET', `/api/feed?${query.toString()}`)
    return posts
  },
  post: async (input: NewPost): Promise<PostView> => request('POST', '/api/posts', input),
  thread: async (id: string): Promise<Thread> => request('GET', `/api/posts/${encodeURIComponent(id)}`),
  reply: async (id: string, text: string): Promise<PostView> => request('POST', `/api/posts/${encodeURIComponent(id)}/replies`, { text }),
  react: async (id: string, value: 1 | -1): Promise<PostView> => request('POST', `/api/posts/${encodeURIComponent(id)}/reactions`, { value }),
  remove: async (id: string): Promise<void> => { await request('DELETE', `/api/posts/${encodeURIComponent(id)}`) },
  topics: async (): Promise<string[]> => (await request<{ topics: string[] }>('GET', '/api/topics')).topics,
  join: async (topic: string): Promise<string[]> => (await request<{ topics: string[] }>('POST', '/api/topics', { topic })).topics,
  leave: async (topic: string): Promise<string[]> => (await request<{ topics: string[] }>('DELETE', `/api/topics/${encodeURIComponent(topic)}`)).topics,
  peers: async (): Promise<PeerView[]> => (await request<{ peers: PeerView[] }>('GET', '/api/peers')).peers,
  moderation: async (): Promise<ModerationView> => request('GET', '/api/moderation'),
  mute: async (type: MuteType, value: string): Promise<ModerationView> => request('POST', '/api/moderation/mutes', { type, value }),
  unmute: async (type: MuteType, value: string): Promise<ModerationView> =>
    request('DELETE', `/api/moderation/mutes/${encodeURIComponent(type)}/${encodeURIComponent(value)}`),
  hideAtOrBelow: async (value: number): Promise<ModerationView> => request('PUT', '/api/moderation', { hideAtOrBelow: value }),
  follow: async (id: string, lists: Partial<Record<'hide' | 'warn' | 'drop', string[]>>): Promise<ModerationView> =>
    request('POST', '/api/moderation/moderators', { id, ...lists }),
  unfollow: async (id: string): Promise<ModerationView> => request('DELETE', `/api/moderation/moderators/${encodeURIComponent(id)}`),
  reports: async (): Promise<ReportView[]> => (await request<{ reports: ReportView[] }>('GET', '/api/moderation/reports')).reports,
  report: async (id: string, moderator: string, reason: string, note = ''): Promise<{ recipients: number }> =>
    request('POST', `/api/posts/${encodeURIComponent(id)}/reports`, { moderator, reason, ...(note !== '' ? { note } : {}) })
}

export type LiveState = 'connecting' | 'open' | 'down'

/**
 * Follows /api/events. EventSource retries by itself after a dropped connection; when the
 * node answers with an error instead, it gives up, so we reopen it ourselves with a backoff.
 */
export function followEvents (onPost: (post: PostView) => void, onState: (state: LiveState) => void): () => void {
  let source: EventSource | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let delay = 1000
  let stopped = false

  const open = (): void => {
    onState('connecting')
    source = new EventSource('/api/events')
    source.addEventListener('open', () => {
      delay = 1000
      onState('open')
    })
    source.addEventListener('post', (event) => {
      try {
        onPost(JSON.parse((event as MessageEvent<string>).data) as PostView)
      } catch {
        // a malformed event is skipped, the stream goes on
      }
    })
    source.addEventListener('error', () => {
      onState('down')
      if (source?.readyState === EventSource.CLOSED && !stopped) {
        source = undefined
        retry = setTimeout(open, delay)
        delay = Math.min(delay * 2, 15_000)
      }
    })
  }
  open()
  return () => {
    stopped = true
    if (retry != null) clearTimeout(retry)
    source?.close()
  }
}

/** A message for people, from any error the API client or the browser raised. */
export function describeError (err: unknown, doing?: string): string {
  const prefix = doing != null ? `${doing}: ` : ''
  if (err instanceof ApiError) {
    if (err.code === UNREACHABLE) return `${prefix}${err.message}`
    const message = err.message.endsWith('.') ? err.message : `${err.message}.`
    return `${prefix}${message.charAt(0).toUpperCase()}${message.slice(1)} (${err.code})`
  }
  if (err instanceof Error) return `${prefix}${err.message}`
  return `${prefix}something went wrong`
}
