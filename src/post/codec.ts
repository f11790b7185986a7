// Bytes ↔ protobuf objects, with the canonical-encoding rule. Signatures and ids cover the
// body's bytes, so a body must have exactly one encoding or copies could be malleated.

import { createHash } from 'node:crypto'
import { equals } from 'uint8arrays/equals'
import { InvalidMessageError } from '../errors.js'
import { MAX_ENVELOPE_BYTES, MAX_LABEL_TARGETS, MAX_TAGS } from './constants.js'
import { Body, Envelope } from './murmur.js'

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
