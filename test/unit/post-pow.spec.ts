import assert from 'node:assert/strict'
import { InvalidMessageError } from '../../src/errors.js'
import { bodyId, decodeBody, encodeBody } from '../../src/post/codec.js'
import { leadingZeroBits, meetsDifficulty, mine, uniformPolicy } from '../../src/post/pow.js'
import { postFields } from './post-helpers.js'

describe('post/pow', () => {
  it('counts leading zero bits', () => {
    assert.equal(leadingZeroBits(Uint8Array.from([0x80])), 0)
    assert.equal(leadingZeroBits(Uint8Array.from([0x01, 0xff])), 7)
    assert.equal(leadingZeroBits(Uint8Array.from([0x00, 0x00, 0x10])), 19)
    assert.equal(leadingZeroBits(new Uint8Array(32)), 256)
  })

  it('meets a difficulty with at least that many zero bits', () => {
    const id = Uint8Array.from([0x00, 0x3f])
    assert.equal(meetsDifficulty(id, 10), true)
    assert.equal(meetsDifficulty(id, 11), false)
    assert.equal(meetsDifficulty(id, 0), true)
  })

  it('mines a canonical body whose id meets the difficulty', async () => {
    const fields = postFields()
    const mined = await mine(fields, 8)
    assert.ok(leadingZeroBits(mined.id) >= 8)
    assert.deepEqual(mined.id, bodyId(mined.body))
    assert.deepEqual(mined.body, encodeBody({ ...fields, nonce: mined.nonce }))
    assert.deepEqual(decodeBody(mined.body), { ...fields, nonce: mined.nonce })
  })

  it('appends multi-byte nonces exactly as the encoder would', async () => {
    // mining is deterministic: these fields first reach 14 bits at a nonce needing a 3-byte varint
    const fields = postFields({ text: 'nonce a' })
    const mined = await mine(fields, 14)
    assert.ok(mined.nonce > 16383n, `nonce ${mined.nonce}`)
    assert.deepEqual(mined.body, encodeBody({ ...fields, nonce: mined.nonce }))
  })

  it('needs no work at difficulty 0', async () => {
    const mined = await mine(postFields(), 0)
    assert.equal(mined.nonce, 0n)
  })

  it('stops when aborted', async () => {
    const controller = new AbortController()
    const mining = mine(postFields(), 32, { signal: controller.signal })
    controller.abort()
    await assert.rejects(mining, { name: 'AbortError' })
  })

  it('refuses silly difficulties', async () => {
    for (const bits of [-1, 33, 1.5, Number.NaN]) {
      assert.throws(() => uniformPolicy(bits), InvalidMessageError)
      await assert.rejects(mine(postFields(), bits), InvalidMessageError)
    }
  })

  it('a uniform policy asks every kind for the same bits', () => {
    assert.deepEqual(uniformPolicy(5), { post: 5, reply: 5, reaction: 5, delete: 5, label: 5, report: 5 })
  })
})
