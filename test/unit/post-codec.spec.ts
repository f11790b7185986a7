import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { InvalidMessageError } from '../../src/errors.js'
import fc from 'fast-check'
import { Body, Envelope, Kind, bodyId, decodeBody, decodeEnvelope, encodeBody, encodeEnvelope, readTrustedBody } from '../../src/post/codec.js'
import { MAX_ENVELOPE_BYTES } from '../../src/post/constants.js'
import { postFields, reactionFields } from './post-helpers.js'

function concat (...parts: Array<Uint8Array | number[]>): Uint8Array {
  return Uint8Array.from(parts.flatMap(part => [...part]))
}

function assertCode (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof InvalidMessageError && err.code === code)
}

describe('post/codec', () => {
  it('round-trips every field of a body, uint64s as bigint', () => {
    const fields = reactionFields({ tags: ['a', 'b'], value: -1, nonce: 2n ** 40n + 3n })
    const decoded = decodeBody(encodeBody(fields))
    assert.deepEqual(decoded, fields)
    assert.equal(typeof decoded.createdAt, 'bigint')
  })

  it('round-trips an envelope', () => {
    const body = encodeBody(postFields())
    const signature = new Uint8Array(64).fill(7)
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ body, signature })), { body, signature })
  })

  it('encodes fields in number order with defaults omitted', () => {
    const bytes = encodeBody(postFields({ kind: Kind.POST, tags: [], geohash: '', text: 'x', nonce: 0n }))
    // field 1 (version) comes first and nonce (12), being zero, is absent
    assert.equal(bytes[0], 0x08)
    assert.ok(!bytes.includes(0x60))
  })

  it('an id is the sha256 of the body bytes', () => {
    const body = encodeBody(postFields())
    assert.deepEqual(bodyId(body), Uint8Array.from(createHash('sha256').update(body).digest()))
  })

  describe('canonical bodies', () => {
    const canonical = encodeBody(postFields())

    it('accepts the canonical encoding', () => {
      assert.deepEqual(encodeBody(decodeBody(canonical)), canonical)
    })

    it('rejects an unknown field', () => {
      assertCode(() => decodeBody(concat(canonical, [0x80, 0x01, 0x01])), 'NON_CANONICAL')
    })

    it('rejects a repeated scalar field (the last would silently win)', () => {
      assertCode(() => decodeBody(concat(canonical, [0x08, 0x01])), 'NON_CANONICAL')
    })

    it('rejects fields out of order', () => {
      const text = encodeBody({ text: 'hi' } as Body)
      assertCode(() => decodeBody(concat(text, encodeBody(postFields({ text: '' })))), 'NON_CANONICAL')
    })

    it('rejects a default value written out', () => {
      assertCode(() => decodeBody(concat(canonical, [0x58, 0x00])), 'NON_CANONICAL')
    })

    it('rejects an overlong varint', () => {
      // version 1 as the two-byte varint 0x81 0x00
      assertCode(() => decodeBody(concat([0x08, 0x81, 0x00], canonical.subarray(2))), 'NON_CANONICAL')
    })

    it('rejects invalid UTF-8 in a string', () => {
      // field 8 (text), length 2: 'h' and an unpaired continuation byte, decoded as U+FFFD
      const withoutText = encodeBody(postFields({ text: '' }))
      assertCode(() => decodeBody(concat(withoutText, [0x42, 0x02, 0x68, 0x80])), 'NON_CANONICAL')
    })
  })

  describe('envelopes', () => {
    const envelope = encodeEnvelope({ body: encodeBody(postFields()), signature: new Uint8Array(64).fill(1) })

    it('refuses more than MAX_ENVELOPE_BYTES before decoding', () => {
      assertCode(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), 'OVERSIZE')
    })

    it('refuses bytes that are not protobuf', () => {
      assertCode(() => decodeEnvelope(Uint8Array.from([0x0a, 0x10, 0x01])), 'MALFORMED')
    })

    it('refuses a non-canonical envelope around a canonical body', () => {
      assertCode(() => decodeEnvelope(concat(envelope, [0x18, 0x01])), 'NON_CANONICAL')
      const swapped = Envelope.encode({ signature: new Uint8Array(64).fill(1) } as Envelope)
      assertCode(() => decodeEnvelope(concat(swapped, Envelope.encode({ body: encodeBody(postFields()) } as Envelope))), 'NON_CANONICAL')
    })

    it('refuses an unknown kind as malformed', () => {
      const body = concat(encodeBody(postFields({ kind: Kind.KIND_UNSPECIFIED })).subarray(0, 2), [0x10, 0x09])
      assertCode(() => decodeBody(body), 'MALFORMED')
    })
  })

  describe('readTrustedBody (the store\'s read path)', () => {
    const bytes = (max: number): fc.Arbitrary<Uint8Array<ArrayBuffer>> => fc.uint8Array({ maxLength: max }).map(b => Uint8Array.from(b))
    const body: fc.Arbitrary<Body> = fc.record({
      version: fc.nat(2 ** 32 - 1),
      kind: fc.constantFrom(Kind.KIND_UNSPECIFIED, Kind.POST, Kind.REPLY, Kind.REACTION, Kind.DELETE, Kind.LABEL, Kind.REPORT),
      author: bytes(40),
      createdAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      expiresAt: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 53n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
      tags: fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 6 }),
      geohash: fc.string({ maxLength: 8 }),
      text: fc.string({ unit: 'binary', maxLength: 300 }),
      parent: bytes(40),
      root: bytes(40),
      value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      targets: fc.array(bytes(40), { maxLength: 4 }),
      label: fc.string({ maxLength: 20 }),
      moderator: bytes(40)
    })

    it('reads what protons decodes, for any body, from a Buffer or a Uint8Array', () => {
      fc.assert(fc.property(body, bytes(64), (fields, signature) => {
        const envelope = encodeEnvelope({ body: encodeBody(fields), signature })
        const expected = Body.decode(Envelope.decode(envelope).body)
        assert.deepEqual(readTrustedBody(envelope), expected)
        assert.deepEqual(readTrustedBody(Buffer.from(envelope)), expected)
      }), { numRuns: 500 })
    })

    it('throws MALFORMED on truncated bytes and unknown wire types', () => {
      const envelope = encodeEnvelope({ body: encodeBody(postFields()), signature: new Uint8Array(64) })
      for (const cut of [1, 2, 10, envelope.byteLength - 65]) assertCode(() => readTrustedBody(envelope.subarray(0, cut)), 'MALFORMED')
      assertCode(() => readTrustedBody(Uint8Array.of(0x0a, 2, 0x0f, 0)), 'MALFORMED')
      assertCode(() => readTrustedBody(Uint8Array.of(0x0a, 1, 0x80)), 'MALFORMED')
    })
  })
})
