import assert from 'node:assert/strict'
import { hkdfSync } from 'node:crypto'
import { keyForThread, newMasterSecret, newPostNonce, postKey, threadKey } from '../../src/post/keys.js'
import { pseudonym } from '../../src/post/pseudonym.js'
import { getPublicKey } from '../../src/post/signature.js'
import { OTHER, ROOT, hex } from './post-helpers.js'

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('post/keys', () => {
  const master = newMasterSecret()
  const nonce = newPostNonce()

  it('makes 32-byte master secrets and 16-byte post nonces, fresh each time', () => {
    assert.equal(master.byteLength, 32)
    assert.equal(nonce.byteLength, 16)
    assert.notDeepEqual(newMasterSecret(), master)
    assert.notDeepEqual(newPostNonce(), nonce)
  })

  it('derives a post key with HKDF-SHA256, salt "murmur/v1/post", info = nonce', () => {
    const expected = new Uint8Array(hkdfSync('sha256', master, 'murmur/v1/post', nonce, 32))
    const key = postKey(master, nonce)
    assert.deepEqual(key.secretKey, expected)
    assert.deepEqual(key.publicKey, getPublicKey(expected))
  })

  it('derives a thread key with salt "murmur/v1/thread", info = root id bytes', () => {
    const expected = new Uint8Array(hkdfSync('sha256', master, 'murmur/v1/thread', hex(ROOT), 32))
    assert.deepEqual(threadKey(master, ROOT).secretKey, expected)
  })

  it('recovers a post key from its nonce alone', () => {
    const saved = Uint8Array.from(nonce)
    assert.deepEqual(postKey(master, saved), postKey(master, nonce))
  })

  it('is stable within a thread and different across threads, posts and masters', () => {
    const keys = [
      threadKey(master, ROOT),
      threadKey(master, OTHER),
      postKey(master, nonce),
      postKey(master, newPostNonce()),
      threadKey(newMasterSecret(), ROOT)
    ].map(key => toHex(key.publicKey))
    assert.equal(new Set(keys).size, keys.length)
    assert.equal(toHex(threadKey(master, ROOT).publicKey), keys[0])
  })

  it('signs as OP with the post key in the author\'s own thread, else with the thread key', () => {
    assert.deepEqual(keyForThread(master, ROOT, nonce), postKey(master, nonce))
    assert.deepEqual(keyForThread(master, ROOT), threadKey(master, ROOT))
  })

  it('refuses inputs of the wrong size', () => {
    assert.throws(() => postKey(master.subarray(1), nonce), RangeError)
    assert.throws(() => postKey(master, nonce.subarray(1)), RangeError)
    assert.throws(() => threadKey(master, ROOT.slice(2)), RangeError)
    assert.throws(() => threadKey(master, ROOT.toUpperCase()), RangeError)
  })
})

describe('post/pseudonym', () => {
  const authors = Array.from({ length: 200 }, () => toHex(newMasterSecret()))

  it('is a deterministic "Adjective Animal" and a #rrggbb colour', () => {
    for (const author of authors.slice(0, 20)) {
      const { name, color } = pseudonym(author)
      assert.match(name, /^[A-Z][a-z]+ [A-Z][a-z]+$/)
      assert.match(color, /^#[0-9a-f]{6}$/)
      assert.deepEqual(pseudonym(author), { name, color })
    }
  })

  it('follows the key: the same author in a thread keeps a name, other keys spread out', () => {
    const master = newMasterSecret()
    const inThread = toHex(threadKey(master, ROOT).publicKey)
    assert.deepEqual(pseudonym(inThread), pseudonym(toHex(threadKey(master, ROOT).publicKey)))
    const names = new Set(authors.map(author => pseudonym(author).name))
    assert.ok(names.size > 150, `only ${names.size} names for 200 keys`)
  })

  it('picks colours readable against white (WCAG AA, 4.5:1)', () => {
    for (const author of authors) {
      const rgb = pseudonym(author).color.slice(1).match(/../g)?.map(c => parseInt(c, 16) / 255) ?? []
      const [r, g, b] = rgb.map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      const contrast = 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)
      assert.ok(contrast >= 4.5, `${pseudonym(author).color} has contrast ${contrast.toFixed(2)}`)
    }
  })
})
