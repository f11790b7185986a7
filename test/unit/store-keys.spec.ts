import assert from 'node:assert/strict'
import { concat, idBytes, keysOf } from '../../src/store/keys.js'
import { randomHex } from '../fixtures/messages.js'

describe('store keys: keysOf', () => {
  it('builds prefix ‖ id for each prefix and each id, in that order, as separate views', () => {
    const ids = [randomHex(), randomHex(), randomHex()]
    const prefixes = [Uint8Array.of(33, 101, 33), Uint8Array.of(33, 99, 33), Uint8Array.of(7)]
    const keys = keysOf(prefixes, ids)
    assert.deepEqual(keys.map(k => Buffer.from(k).toString('hex')), prefixes.flatMap(p => ids.map(id => Buffer.from(concat(p, idBytes(id))).toString('hex'))))
    // each key its own view: LevelDB's binding copies a key by its offset and length
    assert.equal(new Set(keys.map(k => `${k.byteOffset}:${k.byteLength}`)).size, keys.length)
    assert.deepEqual(keysOf(prefixes, []), [])
  })

  it('refuses what is not a 64-hex id', () => {
    for (const bad of ['ab'.repeat(31) + 'zz', 'ab'.repeat(32) + '0', 'ab'.repeat(31), 'g'.repeat(64)]) {
      assert.throws(() => keysOf([Uint8Array.of(1)], [randomHex(), bad]), TypeError, bad)
    }
  })
})
