// Building the local user's messages: check, mine, sign, then run the result through the
// network's own pipeline, so the local API cannot emit what peers would reject.

import { hexToBytes } from '@noble/hashes/utils.js'
import { InvalidMessageError } from '../errors.js'
import { Kind, encodeEnvelope } from './codec.js'
import { DEFAULT_TTL_MS, PROTOCOL_VERSION } from './constants.js'
import { mine } from './pow.js'
import { getPublicKey, sign } from './signature.js'
import { checkRules, validateEnvelope } from './validate.js'
import type { Body } from './codec.js'
import type { Message, MessageKind } from './model.js'
import type { PowPolicy } from './pow.js'

export interface MessageInput {
  kind: MessageKind
  text?: string
  /** already normalised (src/geo normalizeTag, #hashtags included); for other kinds, the root's */
  tags?: readonly string[]
  geohash?: string
  /** hex ids; see Message */
  parent?: string
  root?: string
  value?: number
  /** label, report: hex ids */
  targets?: readonly string[]
  /** label: the label; report: the reason */
  label?: string
  /** report: hex key of the moderator it is addressed to */
  moderator?: string
  /** ms since the Unix epoch; default now */
  createdAt?: number
  /** default createdAt + 7 days */
  expiresAt?: number
}

export interface CreateOptions {
  pow: PowPolicy
  /** ms since the Unix epoch; default Date.now() */
  now?: number
  signal?: AbortSignal
}

export interface Created {
  message: Message
  envelope: Uint8Array
}

const KINDS: Record<MessageKind, Kind> = {
  post: Kind.POST,
  reply: Kind.REPLY,
  reaction: Kind.REACTION,
  delete: Kind.DELETE,
  label: Kind.LABEL,
  report: Kind.REPORT
}

/**
 * Builds a signed, mined message. Throws InvalidMessageError with a pipeline code when the
 * input breaks a rule, before any mining is spent on it.
 */
export async function createMessage (input: MessageInput, secretKey: Uint8Array, options: CreateOptions): Promise<Created> {
  const now = options.now ?? Date.now()
  const fields = bodyFieldsOf(input, getPublicKey(secretKey), now)
  checkRules(fields, input.kind, now)
  const { body } = await mine(fields, options.pow[input.kind], { signal: options.signal })
  const envelope = encodeEnvelope({ body, signature: sign(secretKey, body) })
  const result = validateEnvelope(envelope, { now: options.now ?? Date.now(), pow: options.pow })
  if (!result.ok) throw new InvalidMessageError(result.reason, result.code)
  return { message: result.message, envelope }
}

function bodyFieldsOf (input: MessageInput, author: Uint8Array<ArrayBuffer>, now: number): Body {
  const createdAt = input.createdAt ?? now
  const expiresAt = input.expiresAt ?? createdAt + DEFAULT_TTL_MS
  return {
    version: PROTOCOL_VERSION,
    kind: KINDS[input.kind],
    author,
    createdAt: toTime(createdAt, 'createdAt'),
    expiresAt: toTime(expiresAt, 'expiresAt'),
    tags: [...(input.tags ?? [])],
    geohash: input.geohash ?? '',
    text: input.text ?? '',
    parent: toId(input.parent ?? '', 'parent'),
    root: toId(input.root ?? '', 'root'),
    value: input.value ?? 0,
    nonce: 0n,
    targets: (input.targets ?? []).map(t => toId(t, 'target')),
    label: input.label ?? '',
    moderator: toId(input.moderator ?? '', 'moderator')
  }
}

function toTime (ms: number, what: string): bigint {
  if (!Number.isSafeInteger(ms) || ms < 0) fail('BAD_TIME', `${what} must be a non-negative integer of ms, not ${ms}`)
  return BigInt(ms)
}

function toId (hex: string, what: string): Uint8Array<ArrayBuffer> {
  if (!/^([0-9a-f]{2})*$/.test(hex)) fail('BAD_PARENT', `${what} must be a hex id`)
  return hexToBytes(hex)
}

function fail (code: string, reason: string): never {
  throw new InvalidMessageError(reason, code)
}
