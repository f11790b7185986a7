// The `murmur` command: `start` runs a node; every other command talks to a running node's
// local API. Human output by default, --json for scripts; exit 0 on success, 1 when the node
// refuses, 2 for a usage error or an unreachable node.

import { parseArgs } from 'node:util'
import { request, defaultApi, UnreachableError } from './client.js'
import { parseDuration, parseLatLon } from './args.js'
import { formatFeed, formatPost, formatModeration, formatReports, syncProgressLine } from './format.js'
import { MurmurError, BadRequestError, ConfigError } from '../errors.js'
import type { PostView } from '../node/views.js'
import type { ModerationView, ReportView, SentReport, LabelView, NodeStatus } from '../node/types.js'
import { syncingTopics } from '../sync/progress.js'
import { prepareNodeProcess } from './node-process.js'
import type { SyncTopicSummary } from '../sync/index.js'

const USAGE = `murmur: anonymous murmurs over a peer-to-peer network, with no server

  murmur start [--data DIR] [--listen MULTIADDR]... [--api HOST:PORT] [--bootstrap MULTIADDR]...
               [--join TOPIC]... [--no-mdns] [--pow-bits N] [--pow KIND=BITS,...] [--config FILE]
  murmur relay [--data DIR] [--listen MULTIADDR]... [--announce MULTIADDR]... [--admin HOST:PORT]
               [--topics TOPIC,... | --all-topics] [--retention DURATION] [--reservations N]
               [--bootstrap MULTIADDR]... [--config FILE]
  murmur post TEXT [--tag T]... [--geo LAT,LON | --geohash G] [--ttl DURATION]
  murmur feed [--topic TOPIC | --near LAT,LON] [--sort hot|new|top] [--limit N]
  murmur show ID
  murmur reply ID TEXT
  murmur like ID | murmur dislike ID | murmur delete ID
  murmur join TOPIC | murmur leave TOPIC | murmur topics
  murmur sync TOPIC        (fetch a joined topic's history from its peers now, with a progress bar)
  murmur peers | murmur status
  murmur mute word|tag|pseudonym VALUE | murmur unmute word|tag|pseudonym VALUE | murmur mutes
  murmur hide-below N
  murmur follow-mod MODERATOR [--hide L,L] [--warn L,L] [--drop L,L] | murmur unfollow-mod MODERATOR | murmur mods
  murmur report ID --to MODERATOR --reason spam|harassment|hate|nsfw|other [--note TEXT]
  murmur label ID spam|harassment|hate|nsfw|clear | murmur reports

A TOPIC is tag:NAME (or #NAME), geo:CELL (a 4-character geohash) or mod:MODERATOR.
A pseudonym is muted by the id of one of its posts or replies. A MODERATOR is a moderator id
(64 hex characters; \`murmur mods\` shows yours). Labels L: spam, harassment, hate, nsfw.
A node behind a NAT listens through a relay: murmur start --listen /p2p-circuit --bootstrap RELAY.
Every command but start and relay takes --api HOST:PORT (default ${defaultApi()}) and --json.`

const COMMON = { api: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

type Values = Record<string, string | boolean | string[] | undefined>

interface Command {
  options?: Record<string, { type: 'string' | 'boolean', multiple?: boolean }>
  positionals: number
  run(api: string, args: string[], values: Values): Promise<{ json: unknown, text: string }>
}

const encode = encodeURIComponent

const COMMANDS: Record<string, Command> = {
  post: {
    options: { tag: { type: 'string', multiple: true }, geo: { type: 'string' }, geohash: { type: 'string' }, ttl: { type: 'string' }, precision: { type: 'string' } },
    positionals: 1,
    async run (api, [text], values) {
      const body: Record<string, unknown> = { text }
      if (values.tag != null) body.tags = values.tag
      if (values.geo != null && values.geohash != null) throw new BadRequestError('give --geo or --geohash, not both', 'BAD_ARGS')
      if (typeof values.geo === 'string') Object.assign(body, parseLatLon(values.geo))
      if (typeof values.precision === 'string') body.precision = Number(values.precision)
      if (typeof values.geohash === 'string') body.geohash = values.geohash
      if (typeof values.ttl === 'string') body.ttlSeconds = parseDuration(values.ttl)
      const post = await request<PostView>(api, 'POST', '/api/posts', body)
      return { json: post, text: `posted\n${formatPost(post)}` }
    }
  },
  feed: {
    options: { topic: { type: 'string' }, near: { type: 'string' }, sort: { type: 'string' }, limit: { type: 'string' } },
    positionals: 0,
    async run (api, _args, values) {
      const params = new URLSearchParams()
      if (typeof values.topic === 'string') params.set('topic', values.topic)
      if (typeof values.near === 'string') {
        const { lat, lon } = parseLatLon(values.near)
        params.set('near', `${lat},${lon}`)
      }
      if (typeof values.sort === 'string') params.set('sort', values.sort)
      if (typeof values.limit === 'string') params.set('limit', values.limit)
      const { posts } = await request<{ posts: PostView[] }>(api, 'GET', `/api/feed?${params.toString()}`)
      return { json: { posts }, text: formatFeed(posts) }
    }
  },
  show: {
    positionals: 1,
    async run (api, [id]) {
      const thread = await request<{ post: PostView, replies: PostView[] }>(api, 'GET', `/api/posts/${encode(id)}`)
      const replies = thread.replies.map(r => formatPost(r, '    ')).join('\n\n')
      return { json: thread, text: `${formatPost(thread.post)}${replies !== '' ? `\n\n${replies}` : ''}` }
    }
  },
  reply: {
    positionals: 2,
    async run (api, [id, text]) {
      const post = await request<PostView>(api, 'POST', `/api/posts/${encode(id)}/replies`, { text })
      return { json: post, text: `replied\n${formatPost(post)}` }
    }
  },
  like: reaction(1),
  dislike: reaction(-1),
  delete: {
    positionals: 1,
    async run (api, [id]) {
      const result = await request(api, 'DELETE', `/api/posts/${encode(id)}`)
      return { json: result, text: `deletion of ${id} sent: honest nodes remove it, but copies already seen cannot be recalled` }
    }
  },
  join: {
    positionals: 1,
    async run (api, [topic]) {
      const result = await request<{ topic: string }>(api, 'POST', '/api/topics', { topic })
      return { json: result, text: `joined ${result.topic}` }
    }
  },
  leave: {
    positionals: 1,
    async run (api, [topic]) {
      const result = await request<{ topic: string }>(api, 'DELETE', `/api/topics/${encode(topic)}`)
      return { json: result, text: `left ${result.topic}` }
    }
  },
  topics: {
    positionals: 0,
    async run (api) {
      const result = await request<{ topics: string[] }>(api, 'GET', '/api/topics')
      return { json: result, text: result.topics.length === 0 ? 'no topics joined' : result.topics.join('\n') }
    }
  },
  sync: {
    positionals: 1,
    async run (api, [topic], values) {
      // the bar goes to a terminal only: scripts and pipes get the summary line
      const bar = process.stderr.isTTY && values.json !== true
      const finished = request<SyncTopicSummary>(api, 'POST', '/api/sync', { topic })
      const done = new AbortController()
      const drawing = (async () => {
        if (!bar) return
        while (!done.signal.aborted) {
          const status = await request<NodeStatus>(api, 'GET', '/api/status').catch(() => undefined)
          if (status != null && !done.signal.aborted) process.stderr.write(`\r\x1b[2K${syncProgressLine(topic, status.sync.sessions)}`)
          await new Promise(resolve => setTimeout(resolve, 250))
        }
      })()
      try {
        const summary = await finished
        return {
          json: summary,
          text: summary.peers === 0
            ? `no connected peer shares ${summary.topic} yet: history arrives as they appear`
            : `synced ${summary.topic} with ${summary.ok} of ${summary.peers} peer${summary.peers === 1 ? '' : 's'}: ${summary.stored} new message${summary.stored === 1 ? '' : 's'}${summary.failed > 0 ? ` (${summary.failed} failed)` : ''}`
        }
      } finally {
        done.abort()
        await drawing
        if (bar) process.stderr.write('\r\x1b[2K')
      }
    }
  },
  peers: {
    positionals: 0,
    async run (api) {
      const result = await request<{ peers: Array<{ peerId: string, addresses: string[], topics: string[] }> }>(api, 'GET', '/api/peers')
      const text = result.peers.length === 0
        ? 'no peers connected'
        : result.peers.map(p => `${p.peerId}  ${p.addresses.join(' ')}${p.topics.length > 0 ? `  [${p.topics.join(', ')}]` : ''}`).join('\n')
      return { json: result, text }
    }
  },
  status: {
    positionals: 0,
    async run (api) {
      const s = await request<NodeStatus>(api, 'GET', '/api/status')
      const running = syncingTopics(s.sync.sessions)
      const text = [
        `peer id    ${s.peerId}`,
        `peers      ${s.peers}`,
        `posts      ${s.posts}`,
        `topics     ${s.topics.join(', ') || '(none)'}`,
        `sync       ${s.sync.active} running, ${s.sync.completed} done, ${s.sync.failed} failed, ${kib(s.sync.bytesIn)} in, ${kib(s.sync.bytesOut)} out`,
        ...running.map(topic => `  ${syncProgressLine(topic, s.sync.sessions)}`),
        'addresses',
        ...s.addresses.map(a => `  ${a}`)
      ].join('\n')
      return { json: s, text }
    }
  }
}

/** `spam,hate` → ['spam', 'hate']; the node checks the words. */
function labelList (value: string | boolean | string[] | undefined): string[] | undefined {
  return typeof value === 'string' ? value.split(',').map(s => s.trim()).filter(s => s !== '') : undefined
}

function muteCommand (method: 'POST' | 'DELETE'): Command {
  return {
    positionals: 2,
    async run (api, [type, value]) {
      const settings = method === 'POST'
        ? await request<ModerationView>(api, 'POST', '/api/moderation/mutes', { type, value })
        : await request<ModerationView>(api, 'DELETE', `/api/moderation/mutes/${encode(type)}/${encode(value)}`)
      return { json: settings, text: `${method === 'POST' ? 'muted' : 'unmuted'} ${type} ${value}\n${formatModeration(settings, 'mutes')}` }
    }
  }
}

const MODERATION_COMMANDS: Record<string, Command> = {
  mute: muteCommand('POST'),
  unmute: muteCommand('DELETE'),
  mutes: {
    positionals: 0,
    async run (api) {
      const settings = await request<ModerationView>(api, 'GET', '/api/moderation')
      return { json: settings, text: formatModeration(settings, 'mutes') }
    }
  },
  'hide-below': {
    positionals: 1,
    async run (api, [n]) {
      const value = Number(n)
      if (!Number.isInteger(value)) throw new BadRequestError(`hide-below takes a whole number, got ${n}`, 'USAGE')
      const settings = await request<ModerationView>(api, 'PUT', '/api/moderation', { hideAtOrBelow: value })
      return { json: settings, text: `posts at score ${settings.hideAtOrBelow} or lower are hidden` }
    }
  },
  'follow-mod': {
    options: { hide: { type: 'string' }, warn: { type: 'string' }, drop: { type: 'string' } },
    positionals: 1,
    async run (api, [id], values) {
      const body: Record<string, unknown> = { id }
      for (const action of ['hide', 'warn', 'drop'] as const) {
        const list = labelList(values[action])
        if (list != null) body[action] = list
      }
      const settings = await request<ModerationView>(api, 'POST', '/api/moderation/moderators', body)
      return { json: settings, text: `following moderator ${id}\n${formatModeration(settings, 'moderators')}` }
    }
  },
  'unfollow-mod': {
    positionals: 1,
    async run (api, [id]) {
      const settings = await request<ModerationView>(api, 'DELETE', `/api/moderation/moderators/${encode(id)}`)
      return { json: settings, text: `no longer following ${id}\n${formatModeration(settings, 'moderators')}` }
    }
  },
  mods: {
    positionals: 0,
    async run (api) {
      const settings = await request<ModerationView>(api, 'GET', '/api/moderation')
      return { json: settings, text: formatModeration(settings, 'moderators') }
    }
  },
  report: {
    options: { to: { type: 'string' }, reason: { type: 'string' }, note: { type: 'string' } },
    positionals: 1,
    async run (api, [id], values) {
      if (typeof values.to !== 'string') throw new BadRequestError('say which moderator: --to MODERATOR', 'USAGE')
      const body: Record<string, unknown> = { moderator: values.to, reason: typeof values.reason === 'string' ? values.reason : 'other' }
      if (typeof values.note === 'string') body.note = values.note
      const sent = await request<SentReport>(api, 'POST', `/api/posts/${encode(id)}/reports`, body)
      const reach = sent.recipients > 0
        ? `sent to ${sent.recipients} peer${sent.recipients === 1 ? '' : 's'} carrying that moderator's topic`
        : 'stored here, but no connected peer carries that moderator\'s topic yet: it was not delivered'
      return { json: sent, text: `reported ${id} (${sent.reason}), signed by a one-off key: ${reach}` }
    }
  },
  label: {
    positionals: 2,
    async run (api, [id, label]) {
      const sent = await request<LabelView>(api, 'POST', '/api/moderation/labels', { targets: [id], label })
      return { json: sent, text: `labelled ${id} ${sent.label} as moderator ${sent.moderator}` }
    }
  },
  reports: {
    positionals: 0,
    async run (api) {
      const result = await request<{ reports: ReportView[] }>(api, 'GET', '/api/moderation/reports')
      return { json: result, text: formatReports(result.reports) }
    }
  }
}

function kib (bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

function reaction (value: 1 | -1): Command {
  return {
    positionals: 1,
    async run (api, [id]) {
      const post = await request<PostView>(api, 'POST', `/api/posts/${encode(id)}/reactions`, { value })
      return { json: post, text: `${value === 1 ? 'liked' : 'disliked'}\n${formatPost(post)}` }
    }
  }
}

export async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name == null || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE + '\n')
    return name == null ? 2 : 0
  }
  if (name === 'start' || name === 'relay') {
    // first, before the process holds anything: it may start again on jemalloc, or with glibc's
    // arenas set, and its heap's growth is set
    prepareNodeProcess()
    // loaded only here: the client commands stay quick without libp2p and LevelDB
    const { startCommand } = await import('./start.js')
    await startCommand(rest, name === 'start' ? 'node' : 'relay')
    return -1
  }
  const command = COMMANDS[name] ?? MODERATION_COMMANDS[name]
  if (command == null) throw new BadRequestError(`unknown command "${name}"\n\n${USAGE}`, 'USAGE')
  // a negative number (hide-below -3) is a value, not an option: pass it after '--'
  const numbers = rest.filter(a => /^-\d+$/.test(a))
  const args = numbers.length === 0 ? rest : [...rest.filter(a => !numbers.includes(a)), '--', ...numbers]
  const { values, positionals } = parseArgs({ args, options: { ...COMMON, ...command.options }, allowPositionals: true, strict: true })
  if (values.help === true) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  if (positionals.length !== command.positionals) {
    throw new BadRequestError(`murmur ${name} takes ${command.positionals} argument${command.positionals === 1 ? '' : 's'}, got ${positionals.length}\n\n${USAGE}`, 'USAGE')
  }
  const api = typeof values.api === 'string' ? values.api : defaultApi()
  const result = await command.run(api, positionals, values as Values)
  process.stdout.write((values.json === true ? JSON.stringify(result.json) : result.text) + '\n')
  return 0
}

main(process.argv.slice(2)).then(code => {
  if (code >= 0) process.exitCode = code
}, (err: any) => {
  const usage = err instanceof UnreachableError || err instanceof ConfigError || err?.code === 'USAGE' || err?.code?.startsWith?.('ERR_PARSE_ARGS')
  const message = err instanceof MurmurError ? `${err.message} (${err.code})` : String(err?.message ?? err)
  process.stderr.write(`murmur: ${message}\n`)
  process.exitCode = usage ? 2 : 1
})
