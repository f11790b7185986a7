// Node configuration: defaults, merging a partial config (CLI flags over a config file over
// defaults) and validating it, so that createNode only ever sees a complete, checked config.

import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from './errors.js'
import { parseTopic, formatTopic } from './geo/index.js'
import { checkFollow, type FollowedModerator } from './moderation/rules.js'
import { MAX_POW_BITS, MAX_TTL_MS } from './post/constants.js'
import { defaultVerifyThreads } from './verify/index.js'
import type { PowPolicy } from './post/pow.js'

export interface MurmurConfig {
  /** folder holding the keys and the LevelDB store */
  dataDir: string
  /** libp2p listen multiaddrs */
  listen: string[]
  /** multiaddrs to announce instead of the listen ones (a relay behind port forwarding) */
  announce: string[]
  /** the local HTTP API and web page, `host:port` */
  api: string
  /** peers dialled at start (and redialled while few peers are connected) */
  bootstrap: string[]
  /** topics joined at start, in API form (`tag:x`, `geo:abcd`) */
  join: string[]
  /** local-network discovery; 'auto' turns it on only when a listen address is not loopback */
  mdns: boolean | 'auto'
  /**
   * proof-of-work difficulty per kind (leading zero bits of a message id), required of what
   * arrives and spent on what this node builds; see docs/abuse.md for what each costs
   */
  pow: PowPolicy
  /** shorthand for one difficulty for every kind (tests, demos); `pow` given beside it wins per kind */
  powBits?: number
  /** messages a second each peer may deliver by gossip, and the burst it may save up */
  gossipRate: number
  gossipBurst: number
  /** gossip messages waiting for or in validation at once; past it they are shed (docs/abuse.md) */
  gossipQueue: number
  /** inbound history-sync sessions each peer may open a minute */
  syncSessionsPerMinute: number
  /** refuse to dial anything outside 127.0.0.0/8 and ::1 (tests, demos) */
  loopbackOnly: boolean
  /** how often expired posts are purged */
  purgeIntervalMs: number
  /** per-topic cap on stored root posts; the oldest are evicted past it */
  topicQuota: number
  /** how long posts are kept (never past their own expiry) and reconciled by sync */
  retentionMs: number
  /** serve circuit-relay-v2 (a community relay), so peers behind NAT can be reached through us */
  relay: boolean
  /** circuit-relay reservations held at once */
  relayReservations: number
  /** join every murmur topic a connected peer subscribes to (a community relay), up to maxTopics */
  allTopics: boolean
  maxTopics: number
  /** libp2p and murmur metrics in Prometheus format at /metrics on the API address */
  metrics: boolean
  /**
   * moderators followed at every start (a relay's policy), as `{ id, hide?, warn?, drop? }`
   * with lists of labels; see docs/moderation.md
   */
  moderators: FollowedModerator[]
  /**
   * worker threads verifying signatures of gossip and sync, shared by every node of the
   * process; 0 verifies on the event loop. Default: one per core but one, at least 1
   */
  verifyThreads: number
}

export const DEFAULT_API_PORT = 7717
/**
 * A post costs most (it starts a thread anyone can see), a reply less, a reaction or a delete
 * least: on average 1.3 s, 0.28 s, 0.12 s and 0.03 s of one core of a 2.5 GHz Xeon
 * (scripts/pow-cost.ts; docs/abuse.md has the p95s and a spammer's bill). A moderator's label
 * costs what a reaction does (one moderator labels many posts); an anonymous report what a
 * reply does, since reports are what a spammer would aim at a moderator.
 */
export const DEFAULT_POW_POLICY: Readonly<PowPolicy> = Object.freeze({ post: 18, reply: 16, reaction: 14, delete: 12, label: 14, report: 16 })
export const DEFAULT_RELAY_ADMIN_PORT = 7718
/** more verifier threads than this is a typo, not a machine */
const MAX_VERIFY_THREADS = 64

export function defaultDataDir (): string {
  return process.env.MURMUR_DATA ?? join(homedir(), '.murmur')
}

export function defaultConfig (): MurmurConfig {
  return {
    dataDir: defaultDataDir(),
    // loopback by default: a first run opens nothing to the network without the user asking
    listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
    announce: [],
    api: `127.0.0.1:${DEFAULT_API_PORT}`,
    bootstrap: [],
    join: [],
    mdns: 'auto',
    pow: { ...DEFAULT_POW_POLICY },
    gossipRate: 50,
    gossipBurst: 500,
    gossipQueue: 2_048,
    syncSessionsPerMinute: 12,
    loopbackOnly: false,
    purgeIntervalMs: 60_000,
    topicQuota: 50_000,
    retentionMs: MAX_TTL_MS,
    relay: false,
    relayReservations: 128,
    allTopics: false,
    maxTopics: 1_000,
    metrics: false,
    moderators: [],
    verifyThreads: defaultVerifyThreads()
  }
}

/**
 * What `murmur relay` changes over a node's defaults: public listeners, the relay service,
 * every topic, room for more history, metrics, and an admin address apart from a user's node.
 */
export function relayDefaults (): Partial<MurmurConfig> {
  return {
    dataDir: process.env.MURMUR_DATA ?? join(homedir(), '.murmur-relay'),
    listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'],
    api: `127.0.0.1:${DEFAULT_RELAY_ADMIN_PORT}`,
    mdns: false,
    relay: true,
    allTopics: true,
    topicQuota: 200_000,
    metrics: true
  }
}

/**
 * Merge partial layers (later wins) over the defaults and validate the result. Proof of work
 * merges per kind: a layer's `powBits` sets every kind, then its `pow` sets the kinds it names.
 */
export function createConfig (...layers: Array<Partial<MurmurConfig>>): MurmurConfig {
  const config = defaultConfig()
  for (const layer of layers.map(dropUndefined)) {
    const { pow, powBits, ...rest } = layer
    Object.assign(config, rest)
    if (powBits !== undefined) config.pow = Object.fromEntries(Object.keys(config.pow).map(k => [k, powBits])) as unknown as PowPolicy
    if (pow !== undefined) {
      if (pow == null || typeof pow !== 'object' || Array.isArray(pow)) throw new ConfigError('pow must be an object of kind → bits, e.g. {"post": 18}')
      config.pow = { ...config.pow, ...pow }
    }
    if (powBits !== undefined) config.powBits = powBits
  }
  return validateConfig(config)
}

export function validateConfig (config: MurmurConfig): MurmurConfig {
  const out = { ...config }
  if (typeof out.dataDir !== 'string' || out.dataDir === '') throw new ConfigError('dataDir must be a folder path')
  out.dataDir = resolve(out.dataDir)
  for (const key of ['listen', 'announce', 'bootstrap'] as const) {
    if (!Array.isArray(out[key])) throw new ConfigError(`${key} must be a list of multiaddrs`)
    for (const addr of out[key]) {
      try {
        multiaddr(addr)
      } catch {
        throw new ConfigError(`${key}: not a multiaddr: ${String(addr)}`)
      }
    }
  }
  parseHostPort(out.api)
  if (!Array.isArray(out.join)) throw new ConfigError('join must be a list of topics')
  try {
    out.join = out.join.map(t => formatTopic(parseTopic(t)))
  } catch (err: any) {
    throw new ConfigError(`join: ${String(err.message)}`)
  }
  if (out.mdns !== true && out.mdns !== false && out.mdns !== 'auto') throw new ConfigError('mdns must be true, false or "auto"')
  if (out.powBits !== undefined && !isBits(out.powBits)) throw new ConfigError(`powBits must be a whole number from 0 to ${MAX_POW_BITS}`)
  const kinds = Object.keys(DEFAULT_POW_POLICY)
  for (const [kind, bits] of Object.entries(out.pow)) {
    if (!kinds.includes(kind)) throw new ConfigError(`pow: unknown kind "${kind}" (known: ${kinds.join(', ')})`)
    if (!isBits(bits)) throw new ConfigError(`pow.${kind} must be a whole number from 0 to ${MAX_POW_BITS}`)
  }
  out.pow = { ...out.pow }
  if (!(out.gossipRate > 0) || !Number.isFinite(out.gossipRate)) throw new ConfigError('gossipRate must be a positive number of messages a second')
  if (!Number.isInteger(out.gossipBurst) || out.gossipBurst < 1) throw new ConfigError('gossipBurst must be a positive whole number')
  if (!Number.isInteger(out.gossipQueue) || out.gossipQueue < 16) throw new ConfigError('gossipQueue must be a whole number of at least 16')
  if (!Number.isInteger(out.syncSessionsPerMinute) || out.syncSessionsPerMinute < 1) throw new ConfigError('syncSessionsPerMinute must be a positive whole number')
  if (!Number.isInteger(out.purgeIntervalMs) || out.purgeIntervalMs < 1000) throw new ConfigError('purgeIntervalMs must be at least 1000')
  if (!Number.isInteger(out.topicQuota) || out.topicQuota < 1) throw new ConfigError('topicQuota must be a positive whole number')
  for (const key of ['loopbackOnly', 'relay', 'allTopics', 'metrics'] as const) {
    if (typeof out[key] !== 'boolean') throw new ConfigError(`${key} must be true or false`)
  }
  if (!Number.isInteger(out.retentionMs) || out.retentionMs < 60_000 || out.retentionMs > MAX_TTL_MS) throw new ConfigError(`retention must be from 1 minute to ${MAX_TTL_MS / 86_400_000} days (no post lives longer)`)
  if (!Number.isInteger(out.relayReservations) || out.relayReservations < 1) throw new ConfigError('relayReservations must be a positive whole number')
  if (!Number.isInteger(out.maxTopics) || out.maxTopics < 1) throw new ConfigError('maxTopics must be a positive whole number')
  if (!Number.isInteger(out.verifyThreads) || out.verifyThreads < 0 || out.verifyThreads > MAX_VERIFY_THREADS) throw new ConfigError(`verifyThreads must be a whole number from 0 to ${MAX_VERIFY_THREADS}`)
  if (!Array.isArray(out.moderators)) throw new ConfigError('moderators must be a list of { id, hide?, warn?, drop? }')
  try {
    out.moderators = out.moderators.map(checkFollow)
  } catch (err: any) {
    throw new ConfigError(`moderators: ${String(err.message)}`)
  }
  return out
}

export function parseHostPort (value: string): { host: string, port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(String(value))
  const port = match == null ? NaN : Number(match[2])
  if (match == null || port > 65535) throw new ConfigError(`api must be HOST:PORT, got ${String(value)}`)
  return { host: match[1].replace(/^\[|\]$/g, ''), port }
}

function isBits (bits: unknown): boolean {
  return Number.isInteger(bits) && (bits as number) >= 0 && (bits as number) <= MAX_POW_BITS
}

function dropUndefined (layer: Partial<MurmurConfig>): Partial<MurmurConfig> {
  return Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined))
}
