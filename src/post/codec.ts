// Bytes ↔ protobuf objects, with the canonical-encoding rule. Signatures and ids cover the
// body's bytes, so a body must have exactly one encoding or copies could be malleated.

import { createHash } from 'node:crypto'
import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { MAX_ENVELOPE_BYTES, MAX_LABEL_TARGETS, MAX_TAGS } from './constants.js'
import { Body, Envelope, Kind } from './murmur.js'

export { Body, Envelope, Kind } from './murmur.js'

/** Canonical bytes of a body: fields in number order, defaults omitted, minimal varints. */
export function encodeBody (fields: Body): Uint8Array<ArrayBuffer> {
  return Body.encode(fields)
}

export function encodeEnvelope (envelope: Envelope): Uint8Array<ArrayBuffer> {
  return Envelope.encode(envelope)
}

/**
 * Decodes an envelope after checking its size, so an oversized one costs nothing to refuse.
 * The envelope must be canonical too: it is not signed, and a second encoding of the same body
 * would travel as a different gossip message.
 */
export function decodeEnvelope (bytes: Uint8Array): Envelope {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new InvalidMessageError(`envelope is ${bytes.byteLength} bytes, more than ${MAX_ENVELOPE_BYTES}`, 'OVERSIZE')
  }
  const envelope = decodeOrThrow(() => Envelope.decode(bytes), 'envelope')
  if (!equals(Envelope.encode(envelope), bytes)) {
    throw new InvalidMessageError('envelope is not canonically encoded', 'NON_CANONICAL')
  }
  return envelope
}

/**
 * Decodes a body and rejects it unless re-encoding gives back the same bytes: no unknown,
 * repeated-scalar or default-valued fields, no overlong varints, no invalid UTF-8.
 */
export function decodeBody (bytes: Uint8Array): Body {
  const body = decodeOrThrow(() => Body.decode(bytes, { limits: { tags: MAX_TAGS, targets: MAX_LABEL_TARGETS } }), 'body')
  if (!equals(Body.encode(body), bytes)) {
    throw new InvalidMessageError('body is not canonically encoded', 'NON_CANONICAL')
  }
  return body
}

/** A message's id: sha256 of its body bytes. */
export function bodyId (body: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(body).digest()
  // a plain view, not a Buffer, so ids compare equal to other Uint8Arrays
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength)
}

function decodeOrThrow<T> (decode: () => T, what: string): T {
  try {
    return decode()
  } catch (err) {
    throw new InvalidMessageError(`${what} does not decode: ${(err as Error).message}`, 'MALFORMED')
  }
}

/**
 * The body of envelope bytes that were decoded and checked before, such as a store reading
 * back what it validated: parsed here rather than by protons because feeds read thousands at a
 * time, and protons decodes strings in JavaScript and allocates every empty field (this is
 * about three times faster, with the same result: tested against Envelope.decode + Body.decode).
 * No canonical or limit checks. Throws InvalidMessageError (MALFORMED) on bytes that do not parse.
 */
export function readTrustedBody (envelope: Uint8Array): Body {
  const outer = new TrustedReader(envelope)
  let bodyBytes = NO_BYTES
  while (!outer.done()) {
    const key = outer.varint()
    if (key === 0x0a) bodyBytes = outer.bytes()
    else outer.skip(key)
  }
  const r = new TrustedReader(bodyBytes)
  const body: Body = {
    version: 0,
    kind: Kind.KIND_UNSPECIFIED,
    author: NO_BYTES,
    createdAt: 0n,
    expiresAt: 0n,
    tags: [],
    geohash: '',
    text: '',
    parent: NO_BYTES,
    root: NO_BYTES,
    value: 0,
    nonce: 0n,
    targets: [],
    label: '',
    moderator: NO_BYTES
  }
  while (!r.done()) {
    const key = r.varint()
    switch (key) {
      case 0x08: body.version = r.varint(); break
      case 0x10: body.kind = KIND_NUMBERS[r.varint()] ?? Kind.KIND_UNSPECIFIED; break
      case 0x1a: body.author = r.bytes(); break
      case 0x20: body.createdAt = r.uint64(); break
      case 0x28: body.expiresAt = r.uint64(); break
      case 0x32: body.tags.push(r.string()); break
      case 0x3a: body.geohash = r.string(); break
      case 0x42: body.text = r.string(); break
      case 0x4a: body.parent = r.bytes(); break
      case 0x52: body.root = r.bytes(); break
      case 0x58: { const n = r.varint(); body.value = n % 2 === 0 ? n / 2 : -(n + 1) / 2; break }
      case 0x60: body.nonce = r.uint64(); break
      case 0x6a: body.targets.push(r.bytes()); break
      case 0x72: body.label = r.string(); break
      case 0x7a: body.moderator = r.bytes(); break
      default: r.skip(key)
    }
  }
  return body
}

const NO_BYTES = new Uint8Array(0)
/** murmur.proto's Kind values, in number order. */
const KIND_NUMBERS: readonly Kind[] = [Kind.KIND_UNSPECIFIED, Kind.POST, Kind.REPLY, Kind.REACTION, Kind.DELETE, Kind.LABEL, Kind.REPORT]
const utf8Decoder = new TextDecoder()

class TrustedReader {
  private readonly buf: Uint8Array<ArrayBuffer>
  private pos = 0

  constructor (bytes: Uint8Array) {
    // a plain view: a Buffer's subarrays would be Buffers
    this.buf = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength)
  }

  done (): boolean {
    return this.pos >= this.buf.byteLength
  }

  /** A varint, exact up to 2^53. */
  varint (): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.byteLength) break
      const byte = this.buf[this.pos++] as number
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
    }
    throw new InvalidMessageError('body does not decode: bad varint', 'MALFORMED')
  }

  uint64 (): bigint {
    const start = this.pos
    const n = this.varint()
    if (n <= Number.MAX_SAFE_INTEGER) return BigInt(n)
    this.pos = start
    let result = 0n
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.buf[this.pos++] as number
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return BigInt.asUintN(64, result)
    }
  }

  bytes (): Uint8Array<ArrayBuffer> {
    const length = this.varint()
    const end = this.pos + length
    if (end > this.buf.byteLength) throw new InvalidMessageError('body does not decode: field runs past the end', 'MALFORMED')
    const out = this.buf.subarray(this.pos, end)
    this.pos = end
    return out
  }

  string (): string {
    return utf8Decoder.decode(this.bytes())
  }

  /** Skips a field this reader does not keep, by its wire type. */
  skip (key: number): void {
    switch (key & 7) {
      case 0: this.varint(); break
      case 1: this.pos += 8; break
      case 2: this.bytes(); break
      case 5: this.pos += 4; break
      default: throw new InvalidMessageError(`body does not decode: wire type ${key & 7}`, 'MALFORMED')
    }
    if (this.pos > this.buf.byteLength) throw new InvalidMessageError('body does not decode: field runs past the end', 'MALFORMED')
  }
}
