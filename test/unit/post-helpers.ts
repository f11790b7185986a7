// Builders for post tests: genuine messages, and bad ones signed properly so that exactly
// the rule under test is what fails.

import { Body, Envelope, Kind } from '../../src/post/murmur.js'
import { bodyId } from '../../src/post/codec.js'
import { getPublicKey, sign } from '../../src/post/signature.js'
import { leadingZeroBits, uniformPolicy } from '../../src/post/pow.js'

export const NOW = 1_750_000_000_000
export const DAY = 24 * 3_600_000
export const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
export const OTHER_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
export const NO_POW = uniformPolicy(0)
export const ROOT = 'ab'.repeat(32)
export const OTHER = 'cd'.repeat(32)

export function hex (hexString: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(hexString, 'hex'))
}

export function postFields (overrides: Partial<Body> = {}): Body {
  return {
    version: 1,
    kind: Kind.POST,
    author: getPublicKey(SECRET),
    createdAt: BigInt(NOW),
    expiresAt: BigInt(NOW + DAY),
    tags: ['cats'],
    geohash: 'u4pru',
    text: 'hello murmur',
    parent: new Uint8Array(),
    root: new Uint8Array(),
    value: 0,
    nonce: 0n,
    targets: [],
    label: '',
    moderator: new Uint8Array(),
    ...overrides
  }
}

export function replyFields (overrides: Partial<Body> = {}): Body {
  return postFields({ kind: Kind.REPLY, parent: hex(ROOT), root: hex(ROOT), text: 'me too', ...overrides })
}

export function reactionFields (overrides: Partial<Body> = {}): Body {
  return postFields({ kind: Kind.REACTION, parent: hex(OTHER), root: hex(ROOT), text: '', value: 1, ...overrides })
}

export function deleteFields (overrides: Partial<Body> = {}): Body {
  return postFields({ kind: Kind.DELETE, parent: hex(ROOT), root: hex(ROOT), text: '', ...overrides })
}

/** An envelope whose signature (by SECRET unless given) covers exactly `body`. */
export function envelopeOfBody (body: Uint8Array<ArrayBuffer>, secretKey: Uint8Array = SECRET): Uint8Array {
  return Envelope.encode({ body, signature: sign(secretKey, body) })
}

export function envelopeOf (fields: Body, secretKey: Uint8Array = SECRET): Uint8Array {
  return envelopeOfBody(Body.encode(fields), secretKey)
}

/** The first nonce whose id has fewer than `bits` leading zero bits: a body that fails that difficulty. */
export function weakBody (fields: Body, bits: number): Uint8Array<ArrayBuffer> {
  for (let nonce = 0n; ; nonce++) {
    const body = Body.encode({ ...fields, nonce })
    if (leadingZeroBits(bodyId(body)) < bits) return body
  }
}
