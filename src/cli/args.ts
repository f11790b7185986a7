// Turning command-line words into a config or an API request: durations, coordinates and
// the `start` flags, each with an error that tells the user what to type instead.

import { readFile } from 'node:fs/promises'
import { BadRequestError, ConfigError } from '../errors.js'
import type { MurmurConfig } from '../config.js'

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** `90s`, `30m`, `12h`, `7d`, `1w`, or plain seconds → seconds */
export function parseDuration (value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw]?)$/.exec(value.trim())
  if (match == null) throw new BadRequestError(`not a duration: ${value} (try 12h, 3d or 1w)`, 'BAD_DURATION')
  return Math.round(Number(match[1]) * UNITS[match[2] === '' ? 's' : match[2]])
}

export function parseLatLon (value: string): { lat: number, lon: number } {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value)
  if (match == null) throw new BadRequestError(`not LAT,LON: ${value} (try 45.76,4.84)`, 'BAD_COORDINATES')
  return { lat: Number(match[1]), lon: Number(match[2]) }
}

/**
 * The config file's keys are the `start` and `relay` flags' names in camel case (plus a few
 * settings with no flag); `admin` and `topics` are the relay's words for `api` and `join`.
 */
const FILE_KEYS: Record<string, keyof MurmurConfig> = {
  data: 'dataDir',
  listen: 'listen',
  announce: 'announce',
  api: 'api',
  admin: 'api',
  bootstrap: 'bootstrap',
  join: 'join',
  topics: 'join',
  mdns: 'mdns',
  powBits: 'powBits',
  pow: 'pow',
  gossipRate: 'gossipRate',
  gossipBurst: 'gossipBurst',
  gossipQueue: 'gossipQueue',
  syncSessionsPerMinute: 'syncSessionsPerMinute',
  loopbackOnly: 'loopbackOnly',
  purgeIntervalMs: 'purgeIntervalMs',
  topicQuota: 'topicQuota',
  retention: 'retentionMs',
  allTopics: 'allTopics',
  maxTopics: 'maxTopics',
  relayReservations: 'relayReservations',
  metrics: 'metrics',
  moderators: 'moderators',
  verifyThreads: 'verifyThreads'
}

export async function readConfigFile (file: string): Promise<Partial<MurmurConfig>> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new ConfigError(`cannot read config file ${file}: ${String(err.code ?? err.message)}`)
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (err: any) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${String(err.message)}`)
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`config file ${file} must hold a JSON object`)
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const target = FILE_KEYS[key]
    if (target == null) throw new ConfigError(`config file ${file}: unknown key "${key}" (known: ${Object.keys(FILE_KEYS).join(', ')})`)
    // a duration is written as on the command line ("14d"), or as milliseconds
    out[target] = target === 'retentionMs' && typeof v === 'string' ? retentionMs(v) : v
  }
  return out as Partial<MurmurConfig>
}

export interface StartFlags {
  data?: string
  listen?: string[]
  announce?: string[]
  api?: string
  bootstrap?: string[]
  join?: string[]
  mdns?: boolean
  'no-mdns'?: boolean
  'pow-bits'?: string
  pow?: string
  'loopback-only'?: boolean
  // the relay's flags
  admin?: string
  topics?: string[]
  'all-topics'?: boolean
  retention?: string
  reservations?: string
}

function retentionMs (value: string): number {
  try {
    return parseDuration(value) * 1000
  } catch {
    throw new ConfigError(`retention must be a duration such as 14d or 72h, got ${value}`)
  }
}

function wholeNumber (flag: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n)) throw new ConfigError(`--${flag} takes a whole number, got ${value}`)
  return n
}

export function configFromFlags (flags: StartFlags): Partial<MurmurConfig> {
  const out: Partial<MurmurConfig> = {}
  if (flags.data != null) out.dataDir = flags.data
  if (flags.listen != null) out.listen = flags.listen
  if (flags.announce != null) out.announce = flags.announce
  if (flags.api != null) out.api = flags.api
  if (flags.bootstrap != null) out.bootstrap = flags.bootstrap
  if (flags.join != null) out.join = flags.join
  if (flags.mdns === true && flags['no-mdns'] === true) throw new ConfigError('--mdns and --no-mdns contradict each other')
  if (flags.mdns === true) out.mdns = true
  if (flags['no-mdns'] === true) out.mdns = false
  if (flags['pow-bits'] != null) out.powBits = wholeNumber('pow-bits', flags['pow-bits'])
  if (flags.pow != null) out.pow = parsePowFlag(flags.pow) as MurmurConfig['pow']
  if (flags['loopback-only'] === true) out.loopbackOnly = true
  if (flags.admin != null) out.api = flags.admin
  if (flags.topics != null && flags['all-topics'] === true) throw new ConfigError('--topics and --all-topics contradict each other')
  if (flags.topics != null) {
    out.join = flags.topics.flatMap(t => t.split(',')).map(t => t.trim()).filter(t => t !== '')
    out.allTopics = false
  }
  if (flags['all-topics'] === true) out.allTopics = true
  if (flags.retention != null) out.retentionMs = retentionMs(flags.retention)
  if (flags.reservations != null) out.relayReservations = wholeNumber('reservations', flags.reservations)
  return out
}

/** `post=18,reaction=14` → { post: 18, reaction: 14 }; kinds and ranges are checked by validateConfig. */
export function parsePowFlag (value: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of value.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+)\s*$/.exec(part)
    if (match == null) throw new ConfigError(`--pow takes KIND=BITS pairs separated by commas (post=18,reply=16), got ${value}`)
    out[match[1]] = Number(match[2])
  }
  return out
}
