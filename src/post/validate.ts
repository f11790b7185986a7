// THE validation pipeline: one function for gossip, sync and the local API, so that what a
// node builds, stores and forwards is exactly what every other node accepts.

import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { Kind, bodyId, decodeBody, decodeEnvelope, readTrustedBody } from './codec.js'
import {
  CLEAR_LABEL, ID_BYTES, LABELS, MAX_FUTURE_SKEW_MS, MAX_LABEL_TARGETS, MAX_REPORT_NOTE_CHARS, MAX_TAGS, MAX_TEXT_CHARS,
  MAX_TTL_MS, PROTOCOL_VERSION, PUBLIC_KEY_BYTES, REPORT_REASONS, SIGNATURE_BYTES
} from './constants.js'
import { leadingZeroBits } from './pow.js'
import { signedBytes, verify } from './signature.js'
import type { SignatureCheck } from './signature.js'
import { isNormalTag, isValidGeohash } from './tags.js'
import { gossipTopicsOf } from './topics.js'
import type { Body, Envelope } from './codec.js'
import type { Message, MessageKind } from './model.js'
import type { PowPolicy } from './pow.js'

export type ValidationCode =
  | 'OVERSIZE' | 'MALFORMED' | 'NON_CANONICAL' | 'BAD_VERSION' | 'BAD_KIND'
  | 'INSUFFICIENT_POW' | 'LOW_POW' | 'BAD_SIGNATURE'
  | 'BAD_EXPIRY' | 'FUTURE' | 'EXPIRED'
  | 'BAD_PARENT' | 'BAD_VALUE' | 'BAD_TEXT' | 'BAD_TAGS' | 'BAD_GEOHASH' | 'NO_TOPIC'
  | 'BAD_TARGETS' | 'BAD_LABEL' | 'BAD_MODERATOR'
  | 'WRONG_TOPIC' | 'INTERNAL'

/** 'reject' marks the sender as faulty (gossipsub Reject, peer score); 'ignore' only drops the message. */
export type Severity = 'reject' | 'ignore'

export interface ValidationFailure {
  ok: false
  code: ValidationCode
  reason: string
  severity: Severity
}

export type ValidationResult = { ok: true, message: Message } | ValidationFailure

export interface ValidateOptions {
  /** ms since the Unix epoch */
  now: number
  pow: PowPolicy
  /**
   * Work below `pow` but at least this is LOW_POW, ignored rather than rejected: a peer whose
   * policy is a little easier than ours carries such messages honestly. Default: `pow`.
   */
  powFloor?: PowPolicy
  /** the gossip topic the message arrived on, if any */
  topic?: string
}

/**
 * Clock-dependent outcomes: an honest node with a skewed clock sends these, so they must not
 * cost it peer score. LOW_POW is work an honest peer with a slightly easier policy accepts.
 * INTERNAL is our own bug, never the sender's fault.
 */
const IGNORED: ReadonlySet<ValidationCode> = new Set(['FUTURE', 'EXPIRED', 'INTERNAL', 'LOW_POW'])

const KINDS: Record<Kind, MessageKind | undefined> = {
  [Kind.KIND_UNSPECIFIED]: undefined,
  [Kind.POST]: 'post',
  [Kind.REPLY]: 'reply',
  [Kind.REACTION]: 'reaction',
  [Kind.DELETE]: 'delete',
  [Kind.LABEL]: 'label',
  [Kind.REPORT]: 'report'
}

/**
 * Lower-case hex of bytes by Buffer's native encoder, over the same memory: every message
 * validated carries three or four ids, and noble's bytesToHex builds each string a byte at a
 * time (a rope V8 flattens again when the id becomes a map key).
 */
function bytesToHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

const LABEL_WORDS: ReadonlySet<string> = new Set([...LABELS, CLEAR_LABEL])
const REASON_WORDS: ReadonlySet<string> = new Set(REPORT_REASONS)

/**
 * Size → decode (canonical only) → shape → version → proof of work → signature → time window
 * → kind rules → topic: cheap filters first. Never throws. Stateful rules (duplicates, who may delete, a reply's topics equal to
 * its root's) belong to the store.
 */
export function validateEnvelope (bytes: Uint8Array, options: ValidateOptions): ValidationResult {
  const prepared = prepareEnvelope(bytes, options)
  if (prepared.ok === false) return prepared
  const { publicKey, message, signature } = prepared.check
  return completeEnvelope(prepared, verify(publicKey, message, signature))
}

/**
 * validateEnvelope with the signature left to verify elsewhere (a worker thread: the ingest
 * pipeline). Every step runs here but the signature; a step after the signature that fails is
 * held in `verdict` and only reported if the signature verifies, so the outcome is the same
 * code validateEnvelope gives, whichever order the work ran in.
 */
export type PreparedEnvelope = ValidationFailure | { ok: 'verify', check: SignatureCheck, verdict: ValidationResult }

/** Everything validateEnvelope does but the signature (see PreparedEnvelope). Never throws. */
export function prepareEnvelope (bytes: Uint8Array, options: ValidateOptions): PreparedEnvelope {
  let parsed: Parsed
  try {
    parsed = beforeSignature(bytes, options)
  } catch (err) {
    return caught(err)
  }
  let verdict: ValidationResult
  try {
    verdict = { ok: true, message: afterSignature(parsed, bytes, options) }
  } catch (err) {
    verdict = caught(err)
  }
  const { envelope, body } = parsed
  return { ok: 'verify', check: { publicKey: body.author, message: signedBytes(envelope.body), signature: envelope.signature }, verdict }
}

/** The verdict of a prepared envelope once its signature has been verified (`valid`) or not. */
export function completeEnvelope (prepared: Exclude<PreparedEnvelope, ValidationFailure>, valid: boolean): ValidationResult {
  return valid ? prepared.verdict : failure('BAD_SIGNATURE', 'signature does not verify')
}

/**
 * The rules that need no signature or proof of work: the time window and the kind's rules.
 * Exported so a local message is refused before it is mined. Throws InvalidMessageError.
 */
export function checkRules (body: Body, kind: MessageKind, now: number): void {
  checkTimeWindow(body, now)
  checkKindRules(body, kind)
}

interface Parsed { envelope: Envelope, body: Body, kind: MessageKind, id: Uint8Array }

function beforeSignature (bytes: Uint8Array, { pow, powFloor }: ValidateOptions): Parsed {
  const envelope = decodeEnvelope(bytes)
  const body = decodeBody(envelope.body)
  checkShape(envelope, body)
  if (body.version !== PROTOCOL_VERSION) fail('BAD_VERSION', `version ${body.version} is not ${PROTOCOL_VERSION}`)
  const kind = KINDS[body.kind] ?? fail('BAD_KIND', `kind ${body.kind} is not a message kind`)
  const id = bodyId(envelope.body)
  const work = leadingZeroBits(id)
  if (work < pow[kind]) {
    fail(work >= (powFloor ?? pow)[kind] ? 'LOW_POW' : 'INSUFFICIENT_POW', `id has ${work} leading zero bits, fewer than ${pow[kind]}`)
  }
  return { envelope, body, kind, id }
}

function afterSignature ({ body, kind, id }: Parsed, bytes: Uint8Array, { now, topic }: ValidateOptions): Message {
  checkRules(body, kind, now)
  const message = toMessage(bytesToHex(id), kind, body, bytes)
  if (topic !== undefined && !gossipTopicsOf(message).includes(topic)) {
    fail('WRONG_TOPIC', `message does not belong on ${topic}`)
  }
  return message
}

function checkShape (envelope: Envelope, body: Body): void {
  if (envelope.signature.byteLength !== SIGNATURE_BYTES) fail('MALFORMED', `signature is ${envelope.signature.byteLength} bytes, not ${SIGNATURE_BYTES}`)
  if (body.author.byteLength !== PUBLIC_KEY_BYTES) fail('MALFORMED', `author is ${body.author.byteLength} bytes, not ${PUBLIC_KEY_BYTES}`)
}

/**
 * The expiry rule comes first: it does not depend on the local clock, so every node rejects
 * a bad expiry alike instead of some ignoring it as expired.
 */
function checkTimeWindow (body: Body, now: number): void {
  const { createdAt, expiresAt } = body
  if (expiresAt <= createdAt || expiresAt > createdAt + BigInt(MAX_TTL_MS)) {
    fail('BAD_EXPIRY', `expiresAt must be after createdAt and at most ${MAX_TTL_MS} ms later`)
  }
  const nowMs = BigInt(Math.floor(now))
  if (createdAt > nowMs + BigInt(MAX_FUTURE_SKEW_MS)) fail('FUTURE', `createdAt is more than ${MAX_FUTURE_SKEW_MS} ms in the future`)
  if (expiresAt <= nowMs) fail('EXPIRED', 'message has expired')
}

function checkKindRules (body: Body, kind: MessageKind): void {
  if (kind === 'label' || kind === 'report') {
    checkModerationRules(body, kind)
    return
  }
  if (body.targets.length > 0) fail('BAD_TARGETS', `a ${kind} has no targets`)
  if (body.label !== '') fail('BAD_LABEL', `a ${kind} has no label`)
  if (body.moderator.byteLength !== 0) fail('BAD_MODERATOR', `a ${kind} names no moderator`)
  switch (kind) {
    case 'post':
      if (body.parent.byteLength !== 0 || body.root.byteLength !== 0) fail('BAD_PARENT', 'a post has no parent or root')
      checkValue(body.value, 0)
      checkText(body.text, true)
      break
    case 'reply':
      checkReference(body)
      if (!equals(body.parent, body.root)) fail('BAD_PARENT', 'a reply\'s parent must be its root')
      checkValue(body.value, 0)
      checkText(body.text, true)
      break
    case 'reaction':
      checkReference(body)
      if (body.value !== 1 && body.value !== -1) fail('BAD_VALUE', `a reaction is +1 or -1, not ${body.value}`)
      checkText(body.text, false)
      break
    case 'delete':
      checkReference(body)
      checkValue(body.value, 0)
      checkText(body.text, false)
      break
  }
  checkTopicFields(body)
}

/**
 * Labels and reports travel on a moderator's topic, never on tags or places: they carry no
 * topic fields, no parent, root or value. A label names its targets and one word of the
 * vocabulary and is its author's (the moderator key); a report names one target, a reason, an
 * optional short note, and the moderator it is addressed to.
 */
function checkModerationRules (body: Body, kind: 'label' | 'report'): void {
  if (body.tags.length > 0) fail('BAD_TAGS', `a ${kind} carries no tags`)
  if (body.geohash !== '') fail('BAD_GEOHASH', `a ${kind} carries no geohash`)
  if (body.parent.byteLength !== 0 || body.root.byteLength !== 0) fail('BAD_PARENT', `a ${kind} has no parent or root`)
  checkValue(body.value, 0)
  const most = kind === 'label' ? MAX_LABEL_TARGETS : 1
  if (body.targets.length < 1 || body.targets.length > most) fail('BAD_TARGETS', `a ${kind} names 1 to ${most} ids`)
  if (!body.targets.every(t => t.byteLength === ID_BYTES)) fail('BAD_TARGETS', `targets must be ${ID_BYTES}-byte ids`)
  if (new Set(body.targets.map(t => bytesToHex(t))).size !== body.targets.length) fail('BAD_TARGETS', 'targets repeat')
  if (kind === 'label') {
    if (!LABEL_WORDS.has(body.label)) fail('BAD_LABEL', `a label is one of ${[...LABEL_WORDS].join(', ')}`)
    if (body.moderator.byteLength !== 0) fail('BAD_MODERATOR', 'a label\'s moderator is its author')
    checkText(body.text, false)
  } else {
    if (!REASON_WORDS.has(body.label)) fail('BAD_LABEL', `a report's reason is one of ${[...REASON_WORDS].join(', ')}`)
    if (body.moderator.byteLength !== PUBLIC_KEY_BYTES) fail('BAD_MODERATOR', `a report names a ${PUBLIC_KEY_BYTES}-byte moderator key`)
    const chars = [...body.text].length
    if (chars > MAX_REPORT_NOTE_CHARS) fail('BAD_TEXT', `a report's note is at most ${MAX_REPORT_NOTE_CHARS} characters, not ${chars}`)
  }
}

function checkReference (body: Body): void {
  if (body.parent.byteLength !== ID_BYTES || body.root.byteLength !== ID_BYTES) {
    fail('BAD_PARENT', `parent and root must be ${ID_BYTES}-byte ids`)
  }
}

function checkValue (value: number, expected: number): void {
  if (value !== expected) fail('BAD_VALUE', `value must be ${expected}, not ${value}`)
}

function checkText (text: string, required: boolean): void {
  if (!required) {
    if (text !== '') fail('BAD_TEXT', 'this kind carries no text')
    return
  }
  const chars = [...text].length
  if (chars < 1 || chars > MAX_TEXT_CHARS) fail('BAD_TEXT', `text must be 1 to ${MAX_TEXT_CHARS} characters, not ${chars}`)
}

/** Every kind carries the topic fields, since replies, reactions and deletes travel on the root's topics. */
function checkTopicFields ({ tags, geohash }: Body): void {
  if (tags.length > MAX_TAGS) fail('BAD_TAGS', `at most ${MAX_TAGS} tags`)
  for (const tag of tags) {
    if (!isNormalTag(tag)) fail('BAD_TAGS', `tag ${JSON.stringify(tag)} is not a normalised tag`)
  }
  if (new Set(tags).size !== tags.length) fail('BAD_TAGS', 'tags repeat')
  if (geohash !== '' && !isValidGeohash(geohash)) fail('BAD_GEOHASH', `geohash ${JSON.stringify(geohash)} is not 4 to 6 base32 characters`)
  if (tags.length === 0 && geohash === '') fail('NO_TOPIC', 'a message needs a tag or a geohash to be routed')
}

/** The Message of a decoded body, its fields in their API form (hex ids, numbers): after the checks, or for bytes this process signed itself. */
export function toMessage (id: string, kind: MessageKind, body: Body, envelope: Uint8Array): Message {
  // a copy, and a plain Uint8Array: the caller's may be a Buffer view into a reused pool
  return { id, ...fieldsOf(kind, body, Uint8Array.from(envelope)) }
}

/**
 * The Message fields of envelope bytes that passed validateEnvelope before, such as a store
 * reading back what it stored: decoded only, without the canonical, proof-of-work, signature
 * and rule checks, and without hashing the body (the caller knows the id). `envelope` is
 * `bytes` itself, not a copy. Throws InvalidMessageError on bytes that do not decode.
 */
export function decodeTrusted (bytes: Uint8Array): Omit<Message, 'id'> {
  const body = readTrustedBody(bytes)
  const kind = KINDS[body.kind] ?? fail('BAD_KIND', `kind ${body.kind} is not a message kind`)
  return fieldsOf(kind, body, bytes)
}

function fieldsOf (kind: MessageKind, body: Body, envelope: Uint8Array): Omit<Message, 'id'> {
  return {
    kind,
    author: bytesToHex(body.author),
    createdAt: Number(body.createdAt),
    expiresAt: Number(body.expiresAt),
    tags: body.tags,
    geohash: body.geohash,
    text: body.text,
    parent: bytesToHex(body.parent),
    root: bytesToHex(body.root),
    value: body.value,
    targets: body.targets.map(t => bytesToHex(t)),
    label: body.label,
    moderator: kind === 'label' ? bytesToHex(body.author) : bytesToHex(body.moderator),
    envelope
  }
}

function fail (code: ValidationCode, reason: string): never {
  throw new InvalidMessageError(reason, code)
}

function caught (err: unknown): ValidationFailure {
  if (err instanceof InvalidMessageError) return failure(err.code as ValidationCode, err.message)
  return failure('INTERNAL', `validation failed unexpectedly: ${String(err)}`)
}

function failure (code: ValidationCode, reason: string): ValidationFailure {
  return { ok: false, code, reason, severity: IGNORED.has(code) ? 'ignore' : 'reject' }
}
