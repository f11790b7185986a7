// Proof of work: a message's id must start with a number of zero bits set per kind. One hash
// checks it, so it is the first filter on the validation path, ahead of the signature.

import { InvalidMessageError } from '../errors.js'
import { encodeBody, bodyId } from './codec.js'
import { MAX_POW_BITS } from './constants.js'
import type { Body } from './codec.js'
import type { MessageKind } from './model.js'

/** Required leading zero bits of the id, per kind. */
export type PowPolicy = Record<MessageKind, number>

/** Attempts between yields to the event loop, so a node keeps serving while its user's post is mined. */
const ATTEMPTS_PER_YIELD = 2000
/** Field 12 (nonce), wire type 0 (varint). */
const NONCE_TAG = 0x60

export interface Mined {
  body: Uint8Array<ArrayBuffer>
  id: Uint8Array
  nonce: bigint
}

export function uniformPolicy (bits: number): PowPolicy {
  checkBits(bits)
  return { post: bits, reply: bits, reaction: bits, delete: bits, label: bits, report: bits }
}

/** The policy `slack` bits easier for every kind (never below 0): the floor below which work is an offence. */
export function easierPolicy (policy: PowPolicy, slack: number): PowPolicy {
  return Object.fromEntries(Object.entries(policy).map(([kind, bits]) => [kind, Math.max(0, bits - slack)])) as PowPolicy
}

export function leadingZeroBits (bytes: Uint8Array): number {
  let bits = 0
  for (const byte of bytes) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24
    bits += 8
  }
  return bits
}

export function meetsDifficulty (id: Uint8Array, bits: number): boolean {
  return leadingZeroBits(id) >= bits
}

/**
 * Tries nonces 0, 1, 2, … until the body's id has `bits` leading zero bits. Each attempt
 * writes the nonce between the same canonical prefix (fields 1–11) and suffix (fields 13–15,
 * which only labels and reports carry) instead of re-encoding the body.
 */
export async function mine (fields: Body, bits: number, options: { signal?: AbortSignal } = {}): Promise<Mined> {
  checkBits(bits)
  const whole = encodeBody({ ...fields, nonce: 0n })
  const prefix = encodeBody({ ...fields, nonce: 0n, targets: [], label: '', moderator: new Uint8Array(0) })
  const suffix = whole.subarray(prefix.byteLength)
  const buffer = new Uint8Array(whole.byteLength + 11)
  buffer.set(prefix)
  for (let nonce = 0n; ; nonce++) {
    let body = whole
    if (nonce !== 0n) {
      const end = prefix.byteLength + writeNonce(buffer, prefix.byteLength, nonce)
      buffer.set(suffix, end)
      body = buffer.subarray(0, end + suffix.byteLength)
    }
    const id = bodyId(body)
    if (meetsDifficulty(id, bits)) return { body: body.slice(), id, nonce }
    if (nonce % BigInt(ATTEMPTS_PER_YIELD) === 0n) {
      await new Promise<void>(resolve => setImmediate(resolve))
      options.signal?.throwIfAborted()
    }
  }
}

function checkBits (bits: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_POW_BITS) {
    throw new InvalidMessageError(`proof-of-work difficulty must be an integer from 0 to ${MAX_POW_BITS}, got ${bits}`, 'BAD_POW_POLICY')
  }
}

/** Writes the nonce field (tag, then minimal varint) at `offset`; returns its length. */
function writeNonce (buffer: Uint8Array, offset: number, nonce: bigint): number {
  let at = offset
  buffer[at++] = NONCE_TAG
  let rest = nonce
  while (rest >= 0x80n) {
    buffer[at++] = Number(rest & 0x7fn) | 0x80
    rest >>= 7n
  }
  buffer[at++] = Number(rest)
  return at - offset
}
