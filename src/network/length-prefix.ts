// Length-prefixed decoding without an exception per chunk: @libp2p/utils 7's
// LengthPrefixedDecoder (noise's frame decoder) reads the next frame's length after every
// frame it yields, and on an empty buffer the length decoder throws a RangeError that the loop
// catches: every chunk a connection receives built an Error and captured its stack. That was
// uint16BEDecode's 3 % of a stable node's busy time in the 50-node simulation's profile; in a
// loop of 300-byte frames it is 3.4 µs a frame against 0.3 µs without. The same loop, stopping
// when no byte is left (every length decoder throws on an empty buffer, so nothing else
// changes). Remove this when the library checks for an empty buffer itself.

import { InvalidParametersError } from '@libp2p/interface'
import { LengthPrefixedDecoder, InvalidMessageLengthError } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The decoder's fields, private in its type. */
interface DecoderState {
  buffer: Uint8ArrayList
  maxBufferSize: number
  maxDataLength: number
  lengthDecoder: (buf: Uint8ArrayList) => number
  encodingLength: (length: number) => number
}

let patched = false

export function decodeLengthPrefixesWithoutThrowing (): void {
  if (patched) return
  patched = true
  LengthPrefixedDecoder.prototype.decode = function * (this: LengthPrefixedDecoder, buf: Uint8Array | Uint8ArrayList): Generator<Uint8ArrayList> {
    const self = this as unknown as DecoderState
    self.buffer.append(buf)
    if (self.buffer.byteLength > self.maxBufferSize) {
      throw new InvalidParametersError(`Buffer length limit exceeded - ${self.buffer.byteLength}/${self.maxBufferSize}`)
    }
    while (self.buffer.byteLength > 0) {
      let dataLength: number
      try {
        dataLength = self.lengthDecoder(self.buffer)
      } catch (err) {
        // the length prefix itself is not all here yet
        if (err instanceof RangeError) break
        throw err
      }
      if (dataLength < 0 || dataLength > self.maxDataLength) throw new InvalidMessageLengthError('Invalid message length')
      const lengthLength = self.encodingLength(dataLength)
      const chunkLength = lengthLength + dataLength
      if (self.buffer.byteLength < chunkLength) break
      const frame = self.buffer.sublist(lengthLength, chunkLength)
      self.buffer.consume(chunkLength)
      if (frame.byteLength > 0) yield frame
    }
  }
}
