// The gossipsub message id is part of the wire protocol (docs/protocol.md): every node must
// compute the same bytes, whichever SHA-256 it uses. Checked against noble's SHA-256 of the
// documented input, for topics with non-ASCII tags and payloads of every size up to a post's.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { gossipMessageId } from '../../src/network/libp2p.js'

function documented (topic: string, data: Uint8Array): Uint8Array {
  const t = new TextEncoder().encode(topic)
  const input = new Uint8Array(t.length + 1 + data.length)
  input.set(t, 0)
  input.set(data, t.length + 1)
  return sha256(input)
}

describe('network: gossip message id', () => {
  it('is sha256(topic ‖ 0x00 ‖ data), byte for byte', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 4096 }), (tag, data) => {
      const topic = `murmur/1/tag/${tag}`
      assert.deepEqual(gossipMessageId({ type: 'unsigned', topic, data }), documented(topic, data))
    }), { numRuns: 300 })
  })

  it('differs between topics for the same data', () => {
    const data = Uint8Array.of(1, 2, 3)
    assert.notDeepEqual(gossipMessageId({ type: 'unsigned', topic: 'murmur/1/tag/a', data }), gossipMessageId({ type: 'unsigned', topic: 'murmur/1/tag/b', data }))
  })
})
