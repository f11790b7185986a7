import assert from 'node:assert/strict'
import { isNormalTag, isValidGeohash } from '../../src/post/tags.js'
import { gossipTopicsOf } from '../../src/post/topics.js'

describe('post/tags', () => {
  it('accepts on the wire only tags already in normal form', () => {
    for (const good of ['cats', 'caf\u00e9', 'snake_case_2', '東京', 'a'.repeat(32)]) assert.equal(isNormalTag(good), true, good)
    for (const bad of ['Cats', '#cats', 'cafe\u0301', 'ｃａｔｓ', 'ﬁsh', '', 'two words', 'dash-ed', 'a'.repeat(33), 'emoji🙂']) {
      assert.equal(isNormalTag(bad), false, bad)
    }
  })

  it('accepts geohashes of precision 4 to 6 in lower-case base32', () => {
    for (const good of ['u4pr', 'u4pru', 'u4pruy', '0000']) assert.equal(isValidGeohash(good), true, good)
    for (const bad of ['', 'u4p', 'u4pruyd', 'U4PR', 'u4pa', 'ilo0']) assert.equal(isValidGeohash(bad), false, bad)
  })
})

describe('post/topics', () => {
  it('names a tag topic per tag and the 4-character geo cell', () => {
    assert.deepEqual(gossipTopicsOf({ tags: ['cats', 'dogs'], geohash: 'u4pru' }), [
      'murmur/1/tag/cats', 'murmur/1/tag/dogs', 'murmur/1/geo/u4pr'
    ])
    assert.deepEqual(gossipTopicsOf({ tags: [], geohash: 'u4pr' }), ['murmur/1/geo/u4pr'])
    assert.deepEqual(gossipTopicsOf({ tags: ['x'], geohash: '' }), ['murmur/1/tag/x'])
  })
})
