// Signing keys derived from the user's master secret. Every root post and every thread gets its
// own key, so no two threads share a public key and nobody can link them to one person.

import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hexToBytes } from '@noble/hashes/utils.js'
import { getPublicKey } from './signature.js'

export const MASTER_SECRET_BYTES = 32
export const POST_NONCE_BYTES = 16

export interface KeyPair {
  /** 32-byte ed25519 seed */
  secretKey: Uint8Array
  publicKey: Uint8Array
}

const POST_SALT = new TextEncoder().encode('murmur/v1/post')
const THREAD_SALT = new TextEncoder().encode('murmur/v1/thread')
const MODERATOR_SALT = new TextEncoder().encode('murmur/v1/moderator')
const MODERATOR_INFO = new TextEncoder().encode('moderator')

export function newMasterSecret (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(MASTER_SECRET_BYTES))
}

/** The random nonce a root post's key is derived from; kept locally so the author can act as OP. */
export function newPostNonce (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(POST_NONCE_BYTES))
}

/** A root post's key: recoverable from the master secret and the post's nonce alone. */
export function postKey (master: Uint8Array, nonce: Uint8Array): KeyPair {
  checkLength(master, MASTER_SECRET_BYTES, 'master secret')
  checkLength(nonce, POST_NONCE_BYTES, 'post nonce')
  return keyPair(hkdf(sha256, master, POST_SALT, nonce, 32))
}

/** The key for replies and reactions in someone else's thread: one pseudonym per thread. */
export function threadKey (master: Uint8Array, rootId: string): KeyPair {
  checkLength(master, MASTER_SECRET_BYTES, 'master secret')
  if (!/^[0-9a-f]{64}$/.test(rootId)) throw new RangeError('root id must be 64 lower-case hex characters')
  return keyPair(hkdf(sha256, master, THREAD_SALT, hexToBytes(rootId), 32))
}

/**
 * The key to act in a thread with. In their own thread the OP signs with the root post's key,
 * which is what marks them as OP; anyone else uses their thread key.
 */
export function keyForThread (master: Uint8Array, rootId: string, ownRootNonce?: Uint8Array): KeyPair {
  return ownRootNonce === undefined ? threadKey(master, rootId) : postKey(master, ownRootNonce)
}

/**
 * The user's moderator key: one per master secret, so a moderator keeps one public identity
 * (its labels must be recognisable) that still cannot be linked to any of its posts' keys.
 */
export function moderatorKey (master: Uint8Array): KeyPair {
  checkLength(master, MASTER_SECRET_BYTES, 'master secret')
  return keyPair(hkdf(sha256, master, MODERATOR_SALT, MODERATOR_INFO, 32))
}

/** A random key used for one message and forgotten: what a report is signed with, so it names nobody. */
export function oneOffKey (): KeyPair {
  return keyPair(crypto.getRandomValues(new Uint8Array(32)))
}

function keyPair (secretKey: Uint8Array): KeyPair {
  return { secretKey, publicKey: getPublicKey(secretKey) }
}

function checkLength (bytes: Uint8Array, length: number, what: string): void {
  if (bytes.byteLength !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.byteLength}`)
}
