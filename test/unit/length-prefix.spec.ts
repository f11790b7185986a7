import assert from 'node:assert/strict'
import { InvalidParametersError } from '@libp2p/interface'
import { InvalidMessageLengthError, LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeLengthPrefixesWithoutThrowing } from '../../src/network/length-prefix.js'

/** noise's frame length: two bytes, big-endian, a RangeError while they are not both here */
function uint16 (buf: Uint8ArrayList | Uint8Array): number {
  if (buf.length < 2) throw new RangeError('Could not decode int16BE')
  return buf instanceof Uint8Array ? (buf[0] << 8) + buf[1] : buf.getUint16(0)
}

function frameOf (body: Uint8Array): Uint8Array {
  return Uint8Array.from([body.length >> 8, body.length & 0xff, ...body])
}

describe('network/length-prefix', function () {
  before(() => { decodeLengthPrefixesWithoutThrowing() })

  it('yields every frame whatever the chunks, never asking for a length with no byte left', function () {
    let emptyReads = 0
    const decoder = new LengthPrefixedDecoder({
      lengthDecoder: buf => {
        if (buf.byteLength === 0) emptyReads++
        return uint16(buf)
      },
      encodingLength: () => 2
    })
    let seed = 1
    const next = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    const bodies = Array.from({ length: 60 }, (_, i) => Uint8Array.from({ length: i % 7 === 0 ? 0 : next(700) }, () => next(256)))
    const stream = Uint8Array.from(bodies.flatMap(b => [...frameOf(b)]))
    const out: Uint8Array[] = []
    let chunks = 0
    for (let at = 0; at < stream.length; chunks++) {
      // chunks of 0 to 400 bytes: split inside lengths, inside bodies, several frames at once
      const size = next(401)
      for (const frame of decoder.decode(stream.subarray(at, at + size))) out.push(frame.subarray())
      at += size
    }
    assert.deepEqual(out.map(b => [...b]), bodies.filter(b => b.length > 0).map(b => [...b]), 'empty frames are dropped, as before')
    assert.ok(chunks > 60)
    assert.equal(emptyReads, 0, 'no RangeError built for an empty buffer')
  })

  it('still refuses an oversized buffer and an oversized length', function () {
    const small = new LengthPrefixedDecoder({ lengthDecoder: uint16, encodingLength: () => 2, maxBufferSize: 10 })
    assert.throws(() => [...small.decode(new Uint8Array(11))], InvalidParametersError)
    const short = new LengthPrefixedDecoder({ lengthDecoder: uint16, encodingLength: () => 2, maxDataLength: 5 })
    assert.throws(() => [...short.decode(frameOf(new Uint8Array(6)))], InvalidMessageLengthError)
  })
})
