import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { getPublicKey, sign, signedBytes, verify, verifyBody, verifyReference } from '../../src/post/signature.js'
import { hex } from './post-helpers.js'

interface Vector { message: string, pub_key: string, signature: string }

// Copied from ed25519-speccheck ("Taming the many EdDSAs"); read relative to the compiled file in dist/test/unit.
const VECTORS: Vector[] = JSON.parse(readFileSync(new URL('../../../test/fixtures/ed25519-edge-cases.json', import.meta.url), 'utf8'))

/** Index i: whether the murmur rule accepts vector i. Only 3 (mixed-order A and R, both equations hold) passes. */
const EXPECTED = [false, false, false, true, false, false, false, false, false, false]

const VERIFIERS = { verify, verifyReference }

function randomBytes (length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

function flipBit (bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice()
  copy[bit >> 3] ^= 1 << (bit & 7)
  return copy
}

describe('post/signature', () => {
  it('derives the same public keys and signatures with OpenSSL as @noble/curves', () => {
    for (let i = 0; i < 50; i++) {
      const secretKey = randomBytes(32)
      const body = randomBytes(i * 7)
      assert.deepEqual(getPublicKey(secretKey), ed25519.getPublicKey(secretKey))
      assert.deepEqual(sign(secretKey, body), ed25519.sign(signedBytes(body), secretKey))
    }
    assert.throws(() => getPublicKey(randomBytes(31)), RangeError)
  })

  describe('edge-case vectors', () => {
    for (const [name, verifier] of Object.entries(VERIFIERS)) {
      it(`${name} returns the murmur rule on all ten`, () => {
        const results = VECTORS.map(v => verifier(hex(v.pub_key), hex(v.message), hex(v.signature)))
        assert.deepEqual(results, EXPECTED)
      })
    }
  })

  describe('non-canonical and small-order encodings', () => {
    const secretKey = randomBytes(32)
    const publicKey = ed25519.getPublicKey(secretKey)
    const message = randomBytes(40)
    const signature = ed25519.sign(message, secretKey)
    const L = ed25519.Point.Fn.ORDER

    function withS (s: bigint): Uint8Array {
      const copy = signature.slice()
      for (let i = 0; i < 32; i++) copy[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn)
      return copy
    }

    const cases: Array<[string, Uint8Array, Uint8Array]> = [
      ['S + L (same point equation, S not reduced)', publicKey, withS(BigInt('0x' + Buffer.from(signature.subarray(32)).reverse().toString('hex')) + L)],
      ['the identity as public key', hex('01' + '00'.repeat(31)), signature],
      ['x = 0 with the sign bit set (identity)', hex('01' + '00'.repeat(30) + '80'), signature],
      ['y = p (non-canonical zero)', hex('ed' + 'ff'.repeat(30) + '7f'), signature],
      ['a point not on the curve', hex('02' + '00'.repeat(31)), signature],
      ['a short signature', publicKey, signature.subarray(0, 63)],
      ['a short key', publicKey.subarray(0, 31), signature]
    ]

    for (const [label, key, sig] of cases) {
      it(`both refuse ${label}`, () => {
        assert.equal(verify(key, message, sig), false)
        assert.equal(verifyReference(key, message, sig), false)
      })
    }

    it('both accept the untouched signature', () => {
      assert.equal(verify(publicKey, message, signature), true)
      assert.equal(verifyReference(publicKey, message, signature), true)
    })
  })

  describe('random signatures', () => {
    it('agree on valid signatures and on every single-bit flip of 20 of them', () => {
      for (let n = 0; n < 20; n++) {
        const secretKey = randomBytes(32)
        const publicKey = getPublicKey(secretKey)
        const message = randomBytes(1 + n * 7)
        const signature = ed25519.sign(message, secretKey)
        assert.equal(verify(publicKey, message, signature), true)
        assert.equal(verifyReference(publicKey, message, signature), true)
        // one random bit of each part per round keeps the reference path's cost down
        for (const [part, bits] of [['signature', 512], ['key', 256], ['message', message.byteLength * 8]] as const) {
          const bit = Math.floor(Math.random() * bits)
          const sig = part === 'signature' ? flipBit(signature, bit) : signature
          const key = part === 'key' ? flipBit(publicKey, bit) : publicKey
          const msg = part === 'message' ? flipBit(message, bit) : message
          const fast = verify(key, msg, sig)
          assert.equal(fast, verifyReference(key, msg, sig), `${part} bit ${bit}`)
          assert.equal(fast, false, `${part} bit ${bit}`)
        }
      }
    })
  })

  describe('murmur signatures', () => {
    const secretKey = randomBytes(32)
    const body = randomBytes(100)

    it('sign is deterministic and covers the domain-prefixed body', () => {
      const signature = sign(secretKey, body)
      assert.deepEqual(sign(secretKey, body), signature)
      assert.equal(verifyBody(getPublicKey(secretKey), body, signature), true)
      assert.equal(verify(getPublicKey(secretKey), signedBytes(body), signature), true)
    })

    it('a signature over the bare body is not a murmur signature', () => {
      const bare = ed25519.sign(body, secretKey)
      assert.equal(verifyBody(getPublicKey(secretKey), body, bare), false)
    })

    it('another key\'s signature does not verify', () => {
      assert.equal(verifyBody(getPublicKey(randomBytes(32)), body, sign(secretKey, body)), false)
    })
  })
})
