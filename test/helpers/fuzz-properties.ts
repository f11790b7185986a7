// Property-based fuzzing (fast-check) shared by the fuzz specs and scripts/fuzz.ts: random
// and mutated envelopes at the decoders and the validation pipeline, random sync frames at a
// session responder, random API requests at a running node. Each check returns a property;
// callers choose how many runs.

import fc from 'fast-check'
import { request as httpRequest } from 'node:http'
import { lpStream, streamPair } from '@libp2p/utils'
import { ed25519 } from '@noble/curves/ed25519.js'
import { InvalidMessageError } from '../../src/errors.js'
import {
  Body, Envelope, Kind, bodyId, createMessage, decodeBody, decodeEnvelope, getPublicKey, leadingZeroBits,
  signedBytes, sign, validateEnvelope, uniformPolicy, MAX_ENVELOPE_BYTES, type PowPolicy
} from '../../src/post/index.js'
import { respondSession, newProgress, DEFAULT_LIMITS, SyncFrame, SyncProtocolError, SyncRemoteError, SyncTimeoutError, SyncClosedError, SyncLimitError, type SessionContext } from '../../src/sync/index.js'
import type { Message } from '../../src/post/model.js'
import type { IngestOutcome } from '../../src/node/ingest.js'

export const NOW = 1_750_000_000_000
const DAY = 86_400_000
const FREE: PowPolicy = uniformPolicy(0)
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3)
const AUTHOR = getPublicKey(SECRET)
const KINDS = [Kind.KIND_UNSPECIFIED, Kind.POST, Kind.REPLY, Kind.REACTION, Kind.DELETE, Kind.LABEL, Kind.REPORT]
const MODERATION = new Set<Kind>([Kind.LABEL, Kind.REPORT])

/** Genuine envelopes of every kind, signed and (at difficulty 0) mined: the seeds of mutation. */
export async function genuineEnvelopes (): Promise<Uint8Array[]> {
  const parent = 'ab'.repeat(32)
  const common = { tags: ['lyon', 'café'], geohash: 'u05kq', createdAt: NOW, expiresAt: NOW + DAY }
  const inputs = [
    { kind: 'post' as const, text: 'the market smells of croissants 🥐', ...common },
    { kind: 'post' as const, text: 'geo only', tags: [], geohash: 'u05k', createdAt: NOW, expiresAt: NOW + 30 * DAY },
    { kind: 'reply' as const, text: 'which stall?', parent, root: parent, ...common },
    { kind: 'reaction' as const, value: -1, parent, root: parent, ...common },
    { kind: 'delete' as const, parent, root: parent, ...common },
    { kind: 'label' as const, targets: [parent, 'cd'.repeat(32)], label: 'spam', createdAt: NOW, expiresAt: NOW + DAY },
    { kind: 'report' as const, targets: [parent], label: 'other', moderator: 'ef'.repeat(32), text: 'a note for the moderator', createdAt: NOW, expiresAt: NOW + DAY }
  ]
  const out: Uint8Array[] = []
  for (const input of inputs) out.push((await createMessage(input, SECRET, { pow: FREE, now: NOW })).message.envelope)
  return out
}

/** Bit flips, byte overwrites, truncations, insertions and splices, a few at a time. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) })
)
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate (bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes)
  for (const m of mutations) {
    if (out.length === 0) break
    const at = m.at % out.length
    switch (m.op) {
      case 'flip': out[at] ^= 1 << m.bit; break
      case 'set': out[at] = m.value; break
      case 'truncate': out = out.slice(0, at); break
      case 'insert': out = Uint8Array.from([...out.slice(0, at), ...m.bytes, ...out.slice(at)]); break
      case 'delete': out = Uint8Array.from([...out.slice(0, at), ...out.slice(at + m.length)]); break
    }
  }
  return out
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The validator must never throw; this wraps it so a throw fails the property with the input. */
function validate (bytes: Uint8Array, pow: PowPolicy = FREE, topic?: string): ReturnType<typeof validateEnvelope> {
  return validateEnvelope(bytes, { now: NOW, pow, ...(topic != null ? { topic } : {}) })
}

/** How often each property reached its accepting branch: a fuzzer that never accepts tests half the rule. */
export const fuzzStats = { signedAccepted: 0, signedRefused: 0, powAccepted: 0, powRefused: 0 }

/** Random bytes: never a throw, never accepted; decoders throw only InvalidMessageError. */
export function randomBytesProperty (): fc.IPropertyWithHooks<[Uint8Array]> {
  return fc.property(fc.uint8Array({ maxLength: MAX_ENVELOPE_BYTES + 64 }), (bytes) => {
    const result = validate(bytes)
    if (result.ok) throw new Error('random bytes were accepted')
    for (const decode of [decodeEnvelope, decodeBody]) {
      try {
        decode(bytes)
      } catch (err) {
        if (!(err instanceof InvalidMessageError)) throw new Error(`decoder threw ${String(err)}`)
      }
    }
  })
}

/**
 * Mutated genuine envelopes: never a throw, and accepted only when the mutations cancelled
 * out (the bytes are the original's). Anything else would mean a second valid encoding or a
 * forged signature.
 */
export function mutatedEnvelopeProperty (seeds: Uint8Array[]): fc.IPropertyWithHooks<[Uint8Array, Mutation[]]> {
  return fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
    const bytes = mutate(seed, mutations)
    const result = validate(bytes)
    if (result.ok && !sameBytes(bytes, seed)) throw new Error('a mutated envelope was accepted')
    if (!result.ok && sameBytes(bytes, seed)) throw new Error(`the unmutated seed was refused: ${result.code}`)
  })
}

const tagChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_éüßİΣ١Ａ -#'.split(''))
const geoChars = fc.constantFrom(...'0123456789bcdefghjkmnpqrstuvwxyzailo'.split(''))
const id32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const anyFieldsArb = fc.record({
  version: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 3 })),
  kind: fc.constantFrom(...KINDS),
  createdAt: fc.oneof(fc.constant(NOW), fc.integer({ min: NOW - 40 * DAY, max: NOW + 3_600_000 })),
  ttl: fc.oneof(fc.constant(DAY), fc.integer({ min: -DAY, max: 31 * DAY })),
  tags: fc.array(fc.string({ unit: tagChars, minLength: 0, maxLength: 34 }), { maxLength: 6 }),
  geohash: fc.oneof(fc.constant(''), fc.string({ unit: geoChars, minLength: 1, maxLength: 8 })),
  // around each length limit: a post's 1 000 characters, a report note's 280
  text: fc.oneof(fc.constant(''), fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', minLength: 990, maxLength: 1010 }), fc.string({ unit: 'grapheme', minLength: 278, maxLength: 282 })),
  parent: fc.oneof(fc.constant(new Uint8Array()), id32, fc.uint8Array({ maxLength: 40 })),
  sameRoot: fc.boolean(),
  root: fc.oneof(fc.constant(new Uint8Array()), id32),
  value: fc.constantFrom(0, 1, -1, 2, -2),
  targets: fc.oneof(fc.constant<Array<Uint8Array<ArrayBuffer>>>([]), fc.array(id32, { minLength: 1, maxLength: 17 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 })),
  repeatTarget: fc.boolean(),
  label: fc.constantFrom('', 'spam', 'harassment', 'hate', 'nsfw', 'clear', 'other', 'Spam', 'drop'),
  moderator: fc.oneof(fc.constant(new Uint8Array()), id32, fc.uint8Array({ maxLength: 40 }))
})
const goodTag = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_éß'.split('')), minLength: 1, maxLength: 32 })
/** Fields that obey every rule, by kind: what the perturbations start from. */
const goodFieldsArb = fc.constantFrom(Kind.POST, Kind.REPLY, Kind.REACTION, Kind.DELETE, Kind.LABEL, Kind.REPORT).chain(kind => {
  const moderation = MODERATION.has(kind)
  const threaded = !moderation && kind !== Kind.POST
  return fc.record({
    version: fc.constant(1),
    kind: fc.constant(kind),
    createdAt: fc.integer({ min: NOW - DAY, max: NOW + 60_000 }),
    ttl: fc.integer({ min: DAY + 120_000, max: 30 * DAY }),
    // labels and reports travel on their moderator's topic: no tags, no place
    tags: moderation ? fc.constant<string[]>([]) : fc.uniqueArray(goodTag, { maxLength: 5 }),
    geohash: moderation ? fc.constant('') : fc.oneof(fc.constant('u05k'), fc.string({ unit: fc.constantFrom(...'0123456789bcdefghjkmnpqrstuvwxyz'.split('')), minLength: 4, maxLength: 6 })),
    text: kind === Kind.POST || kind === Kind.REPLY
      ? fc.string({ minLength: 1, maxLength: 40 }).filter(t => [...t].length >= 1)
      // a note: short, or up to its limit
      : kind === Kind.REPORT ? fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 275, maxLength: 280 })) : fc.constant(''),
    parent: threaded ? id32 : fc.constant(new Uint8Array()),
    sameRoot: fc.constant(threaded),
    root: fc.constant(new Uint8Array()),
    value: kind === Kind.REACTION ? fc.constantFrom(1, -1) : fc.constant(0),
    targets: kind === Kind.LABEL ? fc.uniqueArray(id32, { minLength: 1, maxLength: 16, selector: t => Buffer.from(t).toString('hex') }) : kind === Kind.REPORT ? fc.array(id32, { minLength: 1, maxLength: 1 }) : fc.constant<Array<Uint8Array<ArrayBuffer>>>([]),
    repeatTarget: fc.constant(false),
    label: kind === Kind.LABEL ? fc.constantFrom('spam', 'harassment', 'hate', 'nsfw', 'clear') : kind === Kind.REPORT ? fc.constantFrom('spam', 'harassment', 'hate', 'nsfw', 'other') : fc.constant(''),
    moderator: kind === Kind.REPORT ? id32 : fc.constant(new Uint8Array())
  })
})
/** Valid fields, valid fields with one field replaced by an arbitrary value, or anything at all. */
const fieldsArb = fc.oneof(
  goodFieldsArb,
  // one field off is where a rule is most likely to be missed: most runs go here ('grow'
  // adds a character to the text, which takes a note at its limit just past it)
  {
    weight: 3,
    arbitrary: fc.tuple(goodFieldsArb, anyFieldsArb, fc.constantFrom('version', 'kind', 'createdAt', 'ttl', 'tags', 'geohash', 'text', 'grow', 'parent', 'sameRoot', 'root', 'value', 'targets', 'repeatTarget', 'label', 'moderator'))
      .map(([good, any, key]) => key === 'grow' ? { ...good, text: `${good.text}x` } : { ...good, [key]: (any as Record<string, unknown>)[key] } as typeof good)
  },
  anyFieldsArb
)
type Fields = typeof fieldsArb extends fc.Arbitrary<infer T> ? T : never

function bodyOf (f: Fields): Body {
  return {
    version: f.version,
    kind: f.kind,
    author: AUTHOR,
    createdAt: BigInt(f.createdAt),
    expiresAt: BigInt(f.createdAt + f.ttl),
    tags: f.tags,
    geohash: f.geohash,
    text: f.text,
    parent: f.parent,
    root: f.sameRoot ? f.parent : f.root,
    value: f.value,
    // a repeated target: the first one again at the end
    targets: f.repeatTarget && f.targets.length > 0 ? [...f.targets, f.targets[0]] : f.targets,
    label: f.label,
    moderator: f.moderator,
    nonce: 0n
  }
}

/** docs/protocol.md's rules, written again independently of src/post/validate.ts. */
function obeysTheRules (b: Body): boolean {
  const kind = b.kind
  const chars = [...b.text].length
  const createdAt = Number(b.createdAt)
  const expiresAt = Number(b.expiresAt)
  if (b.version !== 1 || kind === Kind.KIND_UNSPECIFIED) return false
  if (expiresAt <= createdAt || expiresAt > createdAt + 30 * DAY) return false
  if (createdAt > NOW + 5 * 60_000 || expiresAt <= NOW) return false
  const hasRef = b.parent.length === 32 && b.root.length === 32
  if (MODERATION.has(kind)) {
    const most = kind === Kind.LABEL ? 16 : 1
    if (b.tags.length > 0 || b.geohash !== '' || b.parent.length !== 0 || b.root.length !== 0 || b.value !== 0) return false
    if (b.targets.length < 1 || b.targets.length > most || b.targets.some(t => t.length !== 32)) return false
    if (new Set(b.targets.map(t => Buffer.from(t).toString('hex'))).size !== b.targets.length) return false
    if (kind === Kind.LABEL) return ['spam', 'harassment', 'hate', 'nsfw', 'clear'].includes(b.label) && b.moderator.length === 0 && chars === 0
    return ['spam', 'harassment', 'hate', 'nsfw', 'other'].includes(b.label) && b.moderator.length === 32 && chars <= 280
  }
  if (b.targets.length > 0 || b.label !== '' || b.moderator.length !== 0) return false
  switch (kind) {
    case Kind.POST: if (b.parent.length !== 0 || b.root.length !== 0 || b.value !== 0 || chars < 1 || chars > 1000) return false; break
    case Kind.REPLY: if (!hasRef || !sameBytes(b.parent, b.root) || b.value !== 0 || chars < 1 || chars > 1000) return false; break
    case Kind.REACTION: if (!hasRef || (b.value !== 1 && b.value !== -1) || chars !== 0) return false; break
    case Kind.DELETE: if (!hasRef || b.value !== 0 || chars !== 0) return false; break
  }
  if (b.tags.length > 5 || new Set(b.tags).size !== b.tags.length) return false
  for (const tag of b.tags) {
    if (!/^[\p{L}\p{N}_]{1,32}$/u.test(tag) || tag !== tag.normalize('NFKC').toLowerCase()) return false
  }
  if (b.geohash !== '' && !/^[0-9b-hjkmnp-z]{4,6}$/.test(b.geohash)) return false
  return b.tags.length > 0 || b.geohash !== ''
}

/**
 * Arbitrary fields, properly signed: the pipeline accepts exactly what the rules allow, and
 * what it accepts is what was signed (each field of the message equals the body's).
 */
export function signedFieldsProperty (): fc.IPropertyWithHooks<[Fields]> {
  return fc.property(fieldsArb, (fields) => {
    const body = bodyOf(fields)
    const bytes = Body.encode(body)
    const signature = sign(SECRET, bytes)
    const envelope = Envelope.encode({ body: bytes, signature })
    const result = validate(envelope)
    const allowed = obeysTheRules(body) && envelope.length <= MAX_ENVELOPE_BYTES
    if (result.ok !== allowed) {
      throw new Error(`pipeline says ${result.ok ? 'valid' : (result as any).code}, the rules say ${allowed ? 'valid' : 'invalid'}`)
    }
    if (result.ok) fuzzStats.signedAccepted++
    else fuzzStats.signedRefused++
    if (result.ok) {
      const m: Message = result.message
      if (m.text !== body.text || m.createdAt !== Number(body.createdAt) || m.tags.join() !== body.tags.join() || m.geohash !== body.geohash) {
        throw new Error('the accepted message differs from what was signed')
      }
      // the browser's verifier agrees with the node's on what was accepted
      if (!ed25519.verify(signature, signedBytes(bytes), body.author)) throw new Error('noble disagrees')
    }
  })
}

/** Work: a message short of the policy is refused, whatever else is right with it. */
export function powProperty (): fc.IPropertyWithHooks<[number, number]> {
  return fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 2 ** 20 }), (bits, nonce) => {
    const body = Body.encode({ ...bodyOf({ version: 1, kind: Kind.POST, createdAt: NOW, ttl: DAY, tags: ['x'], geohash: '', text: 'work', parent: new Uint8Array(), sameRoot: true, root: new Uint8Array(), value: 0, targets: [], repeatTarget: false, label: '', moderator: new Uint8Array() }), nonce: BigInt(nonce) })
    const envelope = Envelope.encode({ body, signature: sign(SECRET, body) })
    const result = validate(envelope, uniformPolicy(bits))
    const enough = leadingZeroBits(bodyId(body)) >= bits
    if (enough) fuzzStats.powAccepted++
    else fuzzStats.powRefused++
    if (result.ok !== enough) throw new Error(`work ${leadingZeroBits(bodyId(body))} at policy ${bits}: ${result.ok ? 'accepted' : (result as any).code}`)
  })
}

// ------------------------------------------------------------------ sync frames

const SYNC_ERRORS = [SyncProtocolError, SyncRemoteError, SyncTimeoutError, SyncClosedError, SyncLimitError]

/** An in-memory store for either side of a session: ingest runs the real validation, so only valid messages get in. */
export class FuzzStore {
  readonly messages = new Map<string, Message>()
  constructor (seeds: Message[]) { for (const m of seeds) this.messages.set(m.id, m) }
  async * topicEntries (): AsyncGenerator<{ createdAt: number, id: string }> {
    for (const m of this.messages.values()) yield { createdAt: m.createdAt, id: m.id }
  }

  async getEnvelopes (ids: string[]): Promise<Array<Uint8Array | undefined>> { return ids.map(id => this.messages.get(id)?.envelope) }
  async lacking (ids: string[]): Promise<string[]> { return ids.filter(id => !this.messages.has(id)) }
  async submitMany (envelopes: Uint8Array[], options: { topic?: string } = {}): Promise<IngestOutcome[]> {
    return envelopes.map((envelope): IngestOutcome => {
      const verdict = validateEnvelope(envelope, { now: Date.now(), pow: FREE, ...(options.topic != null ? { topic: options.topic } : {}) })
      if (!verdict.ok) return { status: 'refused', severity: verdict.severity, code: verdict.code, reason: verdict.reason }
      this.messages.set(verdict.message.id, verdict.message)
      return { status: 'stored', message: verdict.message }
    })
  }
}

export async function liveMessages (count: number): Promise<Message[]> {
  const out: Message[] = []
  const now = Date.now()
  for (let i = 0; i < count; i++) {
    out.push((await createMessage({ kind: 'post', text: `live ${i}`, tags: ['fuzz'], createdAt: now - i * 1000, expiresAt: now + DAY }, SECRET, { pow: FREE })).message)
  }
  return out
}

const syncFrameArb = (envelopes: Uint8Array[]): fc.Arbitrary<Uint8Array> => fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.record({
    open: fc.option(fc.record({ topic: fc.constantFrom('tag:fuzz', 'tag:other', 'nonsense', 'geo:u05k', ''), since: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }), { nil: undefined }),
    neg: fc.option(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constant(Uint8Array.of(0x61)), fc.uint8Array({ minLength: 1, maxLength: 64 }).map(b => Uint8Array.from([0x61, ...b]))), { nil: undefined }),
    want: fc.option(fc.record({ ids: fc.array(fc.oneof(id32, fc.uint8Array({ maxLength: 40 })), { maxLength: 6 }) }), { nil: undefined }),
    envelopes: fc.option(fc.record({ items: fc.array(fc.oneof(fc.constantFrom(...envelopes), fc.uint8Array({ maxLength: 300 })), { maxLength: 4 }), end: fc.boolean() }), { nil: undefined }),
    done: fc.option(fc.boolean(), { nil: undefined }),
    error: fc.option(fc.string({ maxLength: 80 }), { nil: undefined })
  }).map(frame => SyncFrame.encode(frame as SyncFrame))
)

/**
 * Random frame sequences at a session responder (raw bytes and frames with random fields,
 * after a valid open or not): it ends with one of the sync errors or cleanly, never anything
 * else, and its store holds only messages the pipeline accepts.
 */
export function syncResponderProperty (seeds: Message[], foreign: Uint8Array[]): fc.IAsyncPropertyWithHooks<[boolean, Uint8Array[]]> {
  return fc.asyncProperty(fc.boolean(), fc.array(syncFrameArb([...seeds.map(m => m.envelope), ...foreign]), { maxLength: 6 }), async (opens, frames) => {
    const store = new FuzzStore(seeds.slice(0, seeds.length / 2))
    const ctx: SessionContext = {
      store: store as any,
      ingestor: store,
      limits: { ...DEFAULT_LIMITS, frameTimeoutMs: 1_000, maxFrameBytes: 64 * 1024, negFrameBytes: 4_096 },
      progress: newProgress('fuzzer', '', 'responder'),
      signal: AbortSignal.timeout(10_000)
    }
    const [outbound, inbound] = await streamPair()
    // settled into a value at once: its failure is examined below, not left unhandled meanwhile
    const serving = respondSession(inbound, ctx, topic => topic === 'tag:fuzz').then(() => undefined, (err: unknown) => err)
    const lp = lpStream(outbound)
    // drain what the responder says, so its writes never wait on us
    const draining = (async () => { try { while (true) await lp.read({ signal: AbortSignal.timeout(5_000) }) } catch {} })()
    try {
      if (opens) await lp.write(SyncFrame.encode({ open: { topic: 'tag:fuzz', since: 0n } }))
      for (const frame of frames) await lp.write(frame)
      await outbound.close()
    } catch {
      // the responder may hang up first: that is its right
    }
    const failure = await serving
    outbound.abort(new Error('done'))
    await draining
    if (failure !== undefined && !SYNC_ERRORS.some(E => failure instanceof E)) throw new Error(`the responder failed with ${String(failure)}`)
    for (const m of store.messages.values()) {
      if (!validateEnvelope(m.envelope, { now: Date.now(), pow: FREE }).ok) throw new Error('an invalid message was stored')
    }
  })
}

// ------------------------------------------------------------------ the HTTP API

export interface ApiTarget {
  url: string
  /** a post id that exists, so routes with :id reach the node */
  knownId: string
}

interface ApiCall { method: string, path: string, contentType: string | undefined, body: string | undefined }

function call ({ url }: ApiTarget, req: ApiCall): Promise<{ status: number, text: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    if (req.contentType != null) headers['content-type'] = req.contentType
    // framed: Node's client sends a GET body unframed, which no server can parse
    if (req.body != null) headers['content-length'] = String(Buffer.byteLength(req.body))
    const r = httpRequest({ hostname, port, method: req.method, path: req.path, headers, timeout: 20_000 }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }) })
    })
    r.on('timeout', () => { r.destroy(new Error('timeout')) })
    r.on('error', reject)
    r.end(req.body)
  })
}

const jsonValue: fc.Arbitrary<unknown> = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
    fc.constantFrom('#fuzz', 'hello #fuzz', 'x'.repeat(1001), 'u05kq', 'tag:fuzz', '#Fuzz ok', '\u0000', '💥'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('text', 'tags', 'lat', 'lon', 'geohash', 'precision', 'ttlSeconds', 'value', 'topic', '__proto__', 'constructor'), tie('value'), { maxKeys: 5 }))
})).value

function apiCallArb (target: ApiTarget): fc.Arbitrary<ApiCall> {
  const id = fc.oneof(fc.constant(target.knownId), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 0, maxLength: 70 }), fc.string({ maxLength: 10 }).map(encodeURIComponent))
  const path = fc.oneof(
    fc.constant('/api/posts'),
    id.map(i => `/api/posts/${i}`),
    id.map(i => `/api/posts/${i}/replies`),
    id.map(i => `/api/posts/${i}/reactions`),
    fc.constant('/api/topics'),
    fc.string({ maxLength: 20 }).map(t => `/api/topics/${encodeURIComponent(t)}`),
    fc.tuple(fc.constantFrom('topic', 'near', 'sort', 'limit', 'lat', 'lon', 'precision'), fc.string({ maxLength: 12 })).map(([k, v]) => `/api/feed?${k}=${encodeURIComponent(v)}`),
    fc.constantFrom('/api/status', '/api/peers', '/api/nope', '/api/feed?topic=tag:fuzz&sort=top&limit=3', '/api/feed?near=45.7,4.8')
  )
  const body = fc.oneof(
    jsonValue.map(v => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{', '{"text": "hi #fuzz", "tags": ["a","b","c","d","e","f"]}', '{"text":"ok #fuzz","lat":91,"lon":0}', '{"value": 1}', '{"value": 2}', '{"topic":"tag:fuzz"}'),
    // well-formed ones too, so that things do get stored and the final check has work to do
    fc.tuple(fc.string({ minLength: 1, maxLength: 60 }), fc.constantFrom('', ' #fuzz', ' #Fuzz #ÉTÉ')).map(([t, tag]) => JSON.stringify({ text: t + tag })),
    fc.tuple(fc.string({ maxLength: 40 }), fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }), fc.integer({ min: 3, max: 7 })).map(([t, lat, lon, precision]) => JSON.stringify({ text: `${t} #fuzz`, lat, lon, precision, ttlSeconds: 3600 })),
    fc.constantFrom(1, -1, 0).map(value => JSON.stringify({ value }))
  )
  const anything = fc.record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
    path,
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/json; charset=utf-8'),
    body: fc.option(body, { nil: undefined })
  })
  // a third are writes a client could plausibly send, with random text and values
  const writes = fc.record({
    method: fc.constant('POST'),
    path: fc.constantFrom('/api/posts', `/api/posts/${target.knownId}/replies`, `/api/posts/${target.knownId}/reactions`),
    contentType: fc.constant('application/json'),
    body: fc.oneof(body, fc.string({ minLength: 1, maxLength: 80 }).map(t => JSON.stringify({ text: `${t} #fuzz`, value: 1 })))
  })
  return fc.oneof({ arbitrary: anything, weight: 2 }, { arbitrary: writes, weight: 1 })
}

/** Random requests: never a 5xx, always a JSON answer, and the node answers status afterwards. */
export function apiProperty (target: ApiTarget): fc.IAsyncPropertyWithHooks<[ApiCall]> {
  return fc.asyncProperty(apiCallArb(target), async (req) => {
    const res = await call(target, req)
    if (res.status >= 500 || res.status < 200) throw new Error(`${req.method} ${req.path} → ${res.status} ${res.text.slice(0, 200)}`)
    try {
      JSON.parse(res.text)
    } catch {
      throw new Error(`${req.method} ${req.path} → ${res.status}, not JSON: ${res.text.slice(0, 100)}`)
    }
    const status = await call(target, { method: 'GET', path: '/api/status', contentType: undefined, body: undefined })
    if (status.status !== 200) throw new Error(`status answered ${status.status} after ${req.method} ${req.path}`)
  })
}
