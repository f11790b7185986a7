// Ed25519 signing and the one validity rule that both verifiers hold. Two verifiers that
// disagreed on a single signature would split the network, so they share every precheck.

import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js'
import { equals } from 'uint8arrays/equals'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SIGNING_DOMAIN } from './constants.js'
import type { KeyObject } from 'node:crypto'

const Point = ed25519.Point
/** The order L of the prime-order subgroup. */
const L = Point.Fn.ORDER

/** Canonical encodings of the 8 points of order dividing 8, compared byte for byte. */
const SMALL_ORDER_ENCODINGS = ED25519_TORSION_SUBGROUP.map(hex => Point.fromHex(hex).toBytes())

/** RFC 8410 DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
/** RFC 8410 DER prefix of an Ed25519 PKCS#8 private key; the 32-byte seed follows it. */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const KEY_CACHE_SIZE = 4096
const keyCache = new Map<string, KeyObject>()

/** One signature to verify: what the worker pool (src/verify) carries and `verify` takes. */
export interface SignatureCheck {
  publicKey: Uint8Array
  /** the signed bytes: for a murmur message, `signedBytes(body)` */
  message: Uint8Array
  signature: Uint8Array
}

/** The bytes a murmur signature covers: the domain, then the body. */
export function signedBytes (body: Uint8Array): Uint8Array {
  return concatBytes(SIGNING_DOMAIN, body)
}

/** Signs a body with a 32-byte ed25519 secret key (deterministic, RFC 8032). */
export function sign (secretKey: Uint8Array, body: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(cryptoSign(null, signedBytes(body), privateKeyObjectOf(secretKey)))
}

/**
 * OpenSSL, not noble: about 40 µs instead of 1 ms, and the node derives a thread key for every
 * thread it shows. RFC 8032 makes both the key and the signature deterministic, so the result
 * is the same bytes (tested against noble).
 */
export function getPublicKey (secretKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const spki = createPublicKey(privateKeyObjectOf(secretKey)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length))
}

function privateKeyObjectOf (secretKey: Uint8Array): KeyObject {
  if (secretKey.byteLength !== 32) throw new RangeError(`an ed25519 secret key is 32 bytes, got ${secretKey.byteLength}`)
  return createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, secretKey)), format: 'der', type: 'pkcs8' })
}

/** The fast path used on gossip and sync: verifies a body's signature by `author`. */
export function verifyBody (author: Uint8Array, body: Uint8Array, signature: Uint8Array): boolean {
  return verify(author, signedBytes(body), signature)
}

/**
 * The murmur rule, checked with OpenSSL after the shared prechecks. OpenSSL's Ed25519 verify
 * is cofactorless (it recomputes R and compares encodings) and refuses S ≥ L itself.
 */
export function verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesPrechecks(publicKey, signature)) return false
  try {
    return cryptoVerify(null, message, keyObjectOf(publicKey), signature)
  } catch {
    return false
  }
}

/**
 * The same rule from @noble/curves primitives: the reference the fast path is tested against,
 * and the verifier for places without OpenSSL. noble's own `verify` is cofactored, which
 * accepts more mixed-order signatures, so it is deliberately not used here.
 */
export function verifyReference (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesPrechecks(publicKey, signature)) return false
  try {
    const r = signature.subarray(0, 32)
    const A = Point.fromBytes(publicKey, false)
    const R = Point.fromBytes(r, false)
    const s = bytesToNumberLE(signature.subarray(32))
    const k = bytesToNumberLE(sha512(concatBytes(r, publicKey, message))) % L
    return Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)))
  } catch {
    // a y coordinate with no point on the curve
    return false
  }
}

/** Everything in the rule but the equation and curve membership; byte-level, so it costs nothing. */
function passesPrechecks (publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES || signature.byteLength !== SIGNATURE_BYTES) return false
  const r = signature.subarray(0, 32)
  return isCanonicalPoint(publicKey) && isCanonicalPoint(r) &&
    !isSmallOrder(publicKey) && !isSmallOrder(r) &&
    bytesToNumberLE(signature.subarray(32)) < L
}

/**
 * y < p = 2^255 − 19, and no set sign bit on x = 0. x = 0 only for y = 1 and y = p − 1,
 * so those two encodings with the top bit set are the only sign-bit cases to refuse.
 */
function isCanonicalPoint (encoding: Uint8Array): boolean {
  const top = encoding[31] & 0x7f
  let middleAllOnes = true
  for (let i = 1; i < 31; i++) {
    if (encoding[i] !== 0xff) { middleAllOnes = false; break }
  }
  if (top === 0x7f && middleAllOnes && encoding[0] >= 0xed) return false
  const signSet = (encoding[31] & 0x80) !== 0
  if (!signSet) return true
  const yIsOne = encoding[0] === 0x01 && top === 0 && encoding.subarray(1, 31).every(b => b === 0)
  const yIsMinusOne = encoding[0] === 0xec && top === 0x7f && middleAllOnes
  return !yIsOne && !yIsMinusOne
}

function isSmallOrder (encoding: Uint8Array): boolean {
  return SMALL_ORDER_ENCODINGS.some(small => equals(small, encoding))
}

/**
 * Builds and caches KeyObjects: the DER parse adds about a fifth to a verification, and a
 * thread key verifies every reply and reaction its owner sends in that thread.
 */
function keyObjectOf (publicKey: Uint8Array): KeyObject {
  const hex = bytesToHex(publicKey)
  let key = keyCache.get(hex)
  if (key !== undefined) {
    // re-insert so Map order approximates least-recently-used
    keyCache.delete(hex)
  } else {
    key = createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' })
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value as string)
  }
  keyCache.set(hex, key)
  return key
}
