import assert from 'node:assert/strict'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { Body, Envelope, Kind } from '../../src/post/murmur.js'
import { bodyId, encodeBody, encodeEnvelope } from '../../src/post/codec.js'
import { MAX_ENVELOPE_BYTES, MAX_FUTURE_SKEW_MS, MAX_TTL_MS } from '../../src/post/constants.js'
import { uniformPolicy } from '../../src/post/pow.js'
import { getPublicKey } from '../../src/post/signature.js'
import { decodeTrusted, validateEnvelope } from '../../src/post/validate.js'
import {
  DAY, NO_POW, NOW, OTHER, OTHER_SECRET, ROOT, SECRET,
  deleteFields, envelopeOf, envelopeOfBody, hex, postFields, reactionFields, replyFields, weakBody
} from './post-helpers.js'
import type { ValidateOptions, ValidationCode } from '../../src/post/validate.js'

const OPTIONS: ValidateOptions = { now: NOW, pow: NO_POW }

function expectFailure (envelope: Uint8Array, code: ValidationCode, options: Partial<ValidateOptions> = {}): void {
  const result = validateEnvelope(envelope, { ...OPTIONS, ...options })
  assert.equal(result.ok, false, `expected ${code}, got a valid message`)
  if (result.ok) return
  assert.equal(result.code, code, result.reason)
  assert.equal(result.severity, code === 'FUTURE' || code === 'EXPIRED' ? 'ignore' : 'reject')
}

function expectValid (envelope: Uint8Array, options: Partial<ValidateOptions> = {}): void {
  const result = validateEnvelope(envelope, { ...OPTIONS, ...options })
  assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.reason}`)
}

function flipBit (bytes: Uint8Array, bit: number): Uint8Array<ArrayBuffer> {
  const copy = Uint8Array.from(bytes)
  copy[bit >> 3] ^= 1 << (bit & 7)
  return copy
}

describe('post/validate', () => {
  describe('valid messages', () => {
    it('turns a post into a Message', () => {
      const envelope = envelopeOf(postFields({ tags: ['cats', 'dogs'] }))
      const result = validateEnvelope(envelope, OPTIONS)
      assert.ok(result.ok)
      const body = Envelope.decode(envelope).body
      assert.deepEqual(result.message, {
        id: Buffer.from(bodyId(body)).toString('hex'),
        kind: 'post',
        author: Buffer.from(getPublicKey(SECRET)).toString('hex'),
        createdAt: NOW,
        expiresAt: NOW + DAY,
        tags: ['cats', 'dogs'],
        geohash: 'u4pru',
        text: 'hello murmur',
        parent: '',
        root: '',
        value: 0,
        targets: [],
        label: '',
        moderator: '',
        envelope
      })
    })

    it('accepts each kind', () => {
      for (const fields of [replyFields(), reactionFields(), reactionFields({ value: -1 }), deleteFields()]) {
        expectValid(envelopeOf(fields))
      }
      const reaction = validateEnvelope(envelopeOf(reactionFields()), OPTIONS)
      assert.ok(reaction.ok)
      assert.deepEqual([reaction.message.kind, reaction.message.parent, reaction.message.root, reaction.message.value], ['reaction', OTHER, ROOT, 1])
    })

    it('accepts a post with only a tag or only a geohash', () => {
      expectValid(envelopeOf(postFields({ geohash: '' })))
      expectValid(envelopeOf(postFields({ tags: [], geohash: 'u4pr' })))
    })

    it('accepts text of exactly 1000 code points, astral ones counting once', () => {
      expectValid(envelopeOf(postFields({ text: 'é'.repeat(999) + '🙂' })))
    })

    it('copies the envelope out of the caller\'s buffer into a plain Uint8Array', () => {
      const envelope = envelopeOf(postFields())
      const received = Buffer.from(envelope)
      const result = validateEnvelope(received, OPTIONS)
      received.fill(0)
      assert.ok(result.ok)
      assert.equal(Object.getPrototypeOf(result.message.envelope), Uint8Array.prototype)
      assert.deepEqual(result.message.envelope, envelope)
    })
  })

  describe('decodeTrusted (a store reading back what it validated)', () => {
    it('gives the fields validateEnvelope gave, for every kind, without the id', () => {
      const kinds = [
        postFields({ tags: ['cats', 'dogs'] }), replyFields(), reactionFields({ value: -1 }), deleteFields(),
        postFields({ kind: Kind.LABEL, tags: [], geohash: '', text: '', targets: [hex(ROOT), hex(OTHER)], label: 'spam' }),
        postFields({ kind: Kind.REPORT, tags: [], geohash: '', text: 'mean', targets: [hex(ROOT)], label: 'hate', moderator: getPublicKey(OTHER_SECRET) })
      ]
      for (const fields of kinds) {
        const envelope = envelopeOf(fields)
        const result = validateEnvelope(envelope, OPTIONS)
        assert.ok(result.ok, result.ok ? '' : result.reason)
        const { id, ...expected } = result.message
        assert.deepEqual(decodeTrusted(envelope), expected, expected.kind)
      }
    })

    it('throws MALFORMED on bytes that are not an envelope', () => {
      assert.throws(() => decodeTrusted(Uint8Array.of(1, 2, 3)), { code: 'MALFORMED' })
      assert.throws(() => decodeTrusted(encodeEnvelope({ body: encodeBody({ ...postFields(), kind: Kind.KIND_UNSPECIFIED }), signature: new Uint8Array(64) })), { code: 'BAD_KIND' })
    })
  })

  describe('decode, size and shape', () => {
    it('OVERSIZE: an envelope over 4 KiB, however it is built', () => {
      expectFailure(new Uint8Array(MAX_ENVELOPE_BYTES + 1), 'OVERSIZE')
      // 1000 four-byte characters are a legal text, but not in a legal envelope
      expectFailure(envelopeOf(postFields({ text: '🙂'.repeat(1000) })), 'OVERSIZE')
    })

    it('MALFORMED: bytes that are not an envelope', () => {
      expectFailure(Uint8Array.from([0x0a, 0x10, 0x01]), 'MALFORMED')
      expectFailure(Envelope.encode({ body: Uint8Array.from([0x12, 0x07]), signature: new Uint8Array(64) }), 'MALFORMED')
    })

    it('MALFORMED: a signature or author of the wrong length', () => {
      const body = encodeBody(postFields())
      const signature = Envelope.decode(envelopeOfBody(body)).signature
      expectFailure(Envelope.encode({ body, signature: signature.subarray(0, 63) }), 'MALFORMED')
      expectFailure(new Uint8Array(0), 'MALFORMED')
      expectFailure(envelopeOf(postFields({ author: getPublicKey(SECRET).subarray(0, 31) })), 'MALFORMED')
    })

    it('MALFORMED: more than five tags, refused while decoding', () => {
      expectFailure(envelopeOf(postFields({ tags: ['a', 'b', 'c', 'd', 'e', 'f'] })), 'MALFORMED')
    })

    it('NON_CANONICAL: a properly signed body with an extra field', () => {
      const body = Uint8Array.from([...encodeBody(postFields()), 0x80, 0x01, 0x01])
      expectFailure(envelopeOfBody(body), 'NON_CANONICAL')
    })

    it('NON_CANONICAL: a valid envelope with an extra field', () => {
      expectFailure(Uint8Array.from([...envelopeOf(postFields()), 0x18, 0x01]), 'NON_CANONICAL')
    })
  })

  describe('version, kind, proof of work, signature', () => {
    it('BAD_VERSION', () => {
      expectFailure(envelopeOf(postFields({ version: 2 })), 'BAD_VERSION')
      expectFailure(envelopeOf(postFields({ version: 0 })), 'BAD_VERSION')
    })

    it('BAD_KIND: kind unspecified', () => {
      expectFailure(envelopeOf(postFields({ kind: Kind.KIND_UNSPECIFIED })), 'BAD_KIND')
    })

    it('INSUFFICIENT_POW: an id short of the kind\'s difficulty', () => {
      const envelope = envelopeOfBody(weakBody(postFields(), 8))
      expectFailure(envelope, 'INSUFFICIENT_POW', { pow: uniformPolicy(8) })
      expectValid(envelope, { pow: { post: 0, reply: 8, reaction: 8, delete: 8, label: 8, report: 8 } })
    })

    it('checks proof of work before the signature', () => {
      const body = weakBody(postFields(), 8)
      const badSignature = Envelope.encode({ body, signature: new Uint8Array(64).fill(1) })
      expectFailure(badSignature, 'INSUFFICIENT_POW', { pow: uniformPolicy(8) })
    })

    it('BAD_SIGNATURE: a flipped signature bit, another key, no domain', () => {
      const body = encodeBody(postFields())
      const signature = Envelope.decode(envelopeOfBody(body)).signature
      expectFailure(Envelope.encode({ body, signature: flipBit(signature, 5) }), 'BAD_SIGNATURE')
      expectFailure(envelopeOfBody(body, OTHER_SECRET), 'BAD_SIGNATURE')
      expectFailure(Envelope.encode({ body, signature: ed25519.sign(body, SECRET) }), 'BAD_SIGNATURE')
    })

    it('BAD_SIGNATURE: a body edited after signing', () => {
      const envelope = envelopeOf(postFields({ text: 'hello murmur' }))
      const { body, signature } = Envelope.decode(envelope)
      const edited = encodeBody({ ...Body.decode(body), text: 'hello murmuR' })
      expectFailure(Envelope.encode({ body: edited, signature }), 'BAD_SIGNATURE')
    })

    it('rejects every single-bit flip of a valid envelope', () => {
      const envelope = envelopeOf(replyFields({ text: 'short' }))
      for (let bit = 0; bit < envelope.byteLength * 8; bit++) {
        const result = validateEnvelope(flipBit(envelope, bit), OPTIONS)
        assert.equal(result.ok, false, `bit ${bit}`)
      }
    })
  })

  describe('time window', () => {
    it('FUTURE (ignored): created more than 5 minutes ahead of our clock', () => {
      const createdAt = BigInt(NOW + MAX_FUTURE_SKEW_MS + 1)
      expectFailure(envelopeOf(postFields({ createdAt, expiresAt: createdAt + 1000n })), 'FUTURE')
      const skewed = BigInt(NOW + MAX_FUTURE_SKEW_MS)
      expectValid(envelopeOf(postFields({ createdAt: skewed, expiresAt: skewed + 1000n })))
    })

    it('EXPIRED (ignored)', () => {
      expectFailure(envelopeOf(postFields({ createdAt: BigInt(NOW - DAY), expiresAt: BigInt(NOW) })), 'EXPIRED')
      expectFailure(envelopeOf(postFields()), 'EXPIRED', { now: NOW + DAY })
    })

    it('BAD_EXPIRY: not after createdAt, or more than 30 days after', () => {
      expectFailure(envelopeOf(postFields({ expiresAt: BigInt(NOW) })), 'BAD_EXPIRY')
      expectFailure(envelopeOf(postFields({ expiresAt: BigInt(NOW + MAX_TTL_MS + 1) })), 'BAD_EXPIRY')
      expectValid(envelopeOf(postFields({ expiresAt: BigInt(NOW + MAX_TTL_MS) })))
    })

    it('BAD_EXPIRY is rejected on every clock, even where the message looks expired', () => {
      const envelope = envelopeOf(postFields({ createdAt: BigInt(NOW - DAY), expiresAt: BigInt(NOW - 2 * DAY) }))
      expectFailure(envelope, 'BAD_EXPIRY')
    })
  })

  describe('kind rules', () => {
    it('BAD_TEXT: empty or over 1000 code points; text on a reaction or delete', () => {
      expectFailure(envelopeOf(postFields({ text: '' })), 'BAD_TEXT')
      expectFailure(envelopeOf(postFields({ text: 'é'.repeat(1001) })), 'BAD_TEXT')
      expectFailure(envelopeOf(replyFields({ text: '' })), 'BAD_TEXT')
      expectFailure(envelopeOf(reactionFields({ text: 'nice' })), 'BAD_TEXT')
      expectFailure(envelopeOf(deleteFields({ text: 'gone' })), 'BAD_TEXT')
    })

    it('BAD_PARENT: a post with a parent, a reply not to its root, short or missing ids', () => {
      expectFailure(envelopeOf(postFields({ parent: hex(ROOT), root: hex(ROOT) })), 'BAD_PARENT')
      expectFailure(envelopeOf(replyFields({ parent: hex(OTHER) })), 'BAD_PARENT')
      expectFailure(envelopeOf(reactionFields({ root: new Uint8Array() })), 'BAD_PARENT')
      expectFailure(envelopeOf(deleteFields({ parent: hex(ROOT).subarray(1) })), 'BAD_PARENT')
    })

    it('BAD_VALUE: a reaction other than ±1, a value on anything else', () => {
      expectFailure(envelopeOf(reactionFields({ value: 0 })), 'BAD_VALUE')
      expectFailure(envelopeOf(reactionFields({ value: 2 })), 'BAD_VALUE')
      expectFailure(envelopeOf(postFields({ value: 1 })), 'BAD_VALUE')
      expectFailure(envelopeOf(replyFields({ value: -1 })), 'BAD_VALUE')
      expectFailure(envelopeOf(deleteFields({ value: 1 })), 'BAD_VALUE')
    })

    it('BAD_TAGS: tags not in normal form, or repeated', () => {
      expectFailure(envelopeOf(postFields({ tags: ['Cats'] })), 'BAD_TAGS')
      expectFailure(envelopeOf(postFields({ tags: ['#cats'] })), 'BAD_TAGS')
      expectFailure(envelopeOf(postFields({ tags: ['ｃａｔｓ'] })), 'BAD_TAGS')
      expectFailure(envelopeOf(postFields({ tags: ['cats', 'cats'] })), 'BAD_TAGS')
      expectFailure(envelopeOf(replyFields({ tags: [''] })), 'BAD_TAGS')
    })

    it('BAD_GEOHASH: precision outside 4 to 6, or not geohash base32', () => {
      for (const geohash of ['u4p', 'u4pruyd', 'U4PR', 'u4pa']) {
        expectFailure(envelopeOf(postFields({ geohash })), 'BAD_GEOHASH')
      }
    })

    it('NO_TOPIC: neither a tag nor a geohash, on any kind', () => {
      expectFailure(envelopeOf(postFields({ tags: [], geohash: '' })), 'NO_TOPIC')
      expectFailure(envelopeOf(reactionFields({ tags: [], geohash: '' })), 'NO_TOPIC')
    })
  })

  describe('topic consistency', () => {
    const envelope = envelopeOf(postFields({ tags: ['cats'], geohash: 'u4pru' }))

    it('accepts the message on each of its topics', () => {
      for (const topic of ['murmur/1/tag/cats', 'murmur/1/geo/u4pr']) expectValid(envelope, { topic })
    })

    it('WRONG_TOPIC: another tag, a finer cell, another cell', () => {
      for (const topic of ['murmur/1/tag/dogs', 'murmur/1/geo/u4pru', 'murmur/1/geo/u4ps', 'cats']) {
        expectFailure(envelope, 'WRONG_TOPIC', { topic })
      }
    })
  })

  describe('robustness', () => {
    it('never throws, and accepts nothing, on random bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), bytes => {
        assert.equal(validateEnvelope(bytes, OPTIONS).ok, false)
      }), { numRuns: 2000 })
    })

    it('never throws on random bodies in a well-formed envelope', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), body => {
        const result = validateEnvelope(envelopeOfBody(Uint8Array.from(body)), OPTIONS)
        assert.equal(typeof result.ok, 'boolean')
      }), { numRuns: 500 })
    })
  })
})
