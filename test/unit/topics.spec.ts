import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  GEO_CELL_PRECISION, formatTopic, fromGossipTopic, parseTopic, toGossipTopic, topicCidKey, topicsOfPost
} from '../../src/geo/index.js'
import type { Topic } from '../../src/geo/index.js'
import { BadRequestError } from '../../src/errors.js'

function rejects (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof BadRequestError && err.code === code)
}

describe('geo/topics', () => {
  describe('parseTopic', () => {
    it('parses tag and geo topics', () => {
      assert.deepEqual(parseTopic('tag:lyon'), { kind: 'tag', tag: 'lyon' })
      assert.deepEqual(parseTopic('geo:u05k'), { kind: 'geo', cell: 'u05k' })
    })

    it("accepts '#tag' and normalises the tag", () => {
      assert.deepEqual(parseTopic('#lyon'), { kind: 'tag', tag: 'lyon' })
      assert.deepEqual(parseTopic('tag:Lyon'), { kind: 'tag', tag: 'lyon' })
      assert.deepEqual(parseTopic('#Ｃafé'), { kind: 'tag', tag: 'café' })
    })

    it('rejects every malformed topic with BAD_TOPIC', () => {
      const bad = [
        '', 'lyon', 'tag:', '#', 'tag:#lyon', '##lyon', 'tag:a b', 'tag:a-b', 'tag:' + 'x'.repeat(33),
        'TAG:lyon', ' tag:lyon', 'geo:', 'geo:u05', 'geo:u05kq', 'geo:u05a', 'geo:U05K', 'geo:u05k ',
        'hashtag:lyon', 'murmur/1/tag/lyon'
      ]
      for (const value of bad) rejects(() => parseTopic(value), 'BAD_TOPIC')
    })

    it('accepts a 32-character tag', () => {
      assert.equal(parseTopic('tag:' + 'x'.repeat(32)).kind, 'tag')
    })
  })

  describe('formats', () => {
    const tag: Topic = { kind: 'tag', tag: 'lyon' }
    const geo: Topic = { kind: 'geo', cell: 'u05k' }

    it('formats the API form', () => {
      assert.equal(formatTopic(tag), 'tag:lyon')
      assert.equal(formatTopic(geo), 'geo:u05k')
    })

    it('formats gossipsub names', () => {
      assert.equal(toGossipTopic(tag), 'murmur/1/tag/lyon')
      assert.equal(toGossipTopic(geo), 'murmur/1/geo/u05k')
    })

    it('formats the DHT key', () => {
      assert.equal(topicCidKey(tag), 'murmur/1/topic/tag:lyon')
      assert.equal(topicCidKey(geo), 'murmur/1/topic/geo:u05k')
    })

    it('refuses to format hand-built topics that are not canonical', () => {
      const bad: Topic[] = [
        { kind: 'tag', tag: 'Lyon' }, { kind: 'tag', tag: '' }, { kind: 'tag', tag: '#lyon' },
        { kind: 'geo', cell: 'u05kq' }, { kind: 'geo', cell: 'u05a' }
      ]
      for (const topic of bad) {
        rejects(() => formatTopic(topic), 'BAD_TOPIC')
        rejects(() => toGossipTopic(topic), 'BAD_TOPIC')
        rejects(() => topicCidKey(topic), 'BAD_TOPIC')
      }
    })
  })

  describe('fromGossipTopic', () => {
    it('parses canonical gossipsub names', () => {
      assert.deepEqual(fromGossipTopic('murmur/1/tag/lyon'), { kind: 'tag', tag: 'lyon' })
      assert.deepEqual(fromGossipTopic('murmur/1/geo/u05k'), { kind: 'geo', cell: 'u05k' })
      assert.deepEqual(fromGossipTopic('murmur/1/tag/café'), { kind: 'tag', tag: 'café' })
    })

    it('returns undefined for anything else, including non-canonical spellings', () => {
      const bad = [
        '', 'murmur/1/tag/', 'murmur/1/tag/Lyon', 'murmur/1/tag/#lyon', 'murmur/1/tag/lyon/x',
        'murmur/1/tag/cafe\u0301', 'murmur/1/geo/u05', 'murmur/1/geo/u05kq', 'murmur/1/geo/U05K',
        'murmur/2/tag/lyon', 'murmur/1/topic/tag:lyon', 'tag:lyon', '/murmur/1/tag/lyon'
      ]
      for (const name of bad) assert.equal(fromGossipTopic(name), undefined, name)
    })

    it('round-trips API form → topic → gossip name → topic → API form (property)', () => {
      const tagChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_éßж語'.split(''))
      const cellChar = fc.constantFrom(...'0123456789bcdefghjkmnpqrstuvwxyz'.split(''))
      const api = fc.oneof(
        fc.array(tagChar, { minLength: 1, maxLength: 32 }).map(cs => `tag:${cs.join('')}`),
        fc.array(cellChar, { minLength: 4, maxLength: 4 }).map(cs => `geo:${cs.join('')}`)
      )
      fc.assert(fc.property(api, value => {
        const topic = parseTopic(value)
        const back = fromGossipTopic(toGossipTopic(topic))
        return back !== undefined && formatTopic(back) === value
      }))
    })
  })

  describe('topicsOfPost', () => {
    it('gives each tag, then the geo cell of the geohash', () => {
      assert.deepEqual(topicsOfPost({ tags: ['lyon', 'food'], geohash: 'u05kqh' }), [
        { kind: 'tag', tag: 'lyon' }, { kind: 'tag', tag: 'food' }, { kind: 'geo', cell: 'u05k' }
      ])
      assert.equal(GEO_CELL_PRECISION, 4)
      assert.deepEqual(topicsOfPost({ tags: [], geohash: 'u05k' }), [{ kind: 'geo', cell: 'u05k' }])
    })

    it('gives no geo topic without a geohash or with one coarser than a cell', () => {
      assert.deepEqual(topicsOfPost({ tags: ['lyon'], geohash: '' }), [{ kind: 'tag', tag: 'lyon' }])
      assert.deepEqual(topicsOfPost({ tags: ['lyon'], geohash: 'u05' }), [{ kind: 'tag', tag: 'lyon' }])
      assert.deepEqual(topicsOfPost({ tags: [], geohash: '' }), [])
    })

    it('lists a repeated tag once', () => {
      assert.deepEqual(topicsOfPost({ tags: ['lyon', 'lyon'], geohash: '' }), [{ kind: 'tag', tag: 'lyon' }])
    })

    it('rejects tags that are not normalised and invalid geohashes', () => {
      rejects(() => topicsOfPost({ tags: ['Lyon'], geohash: '' }), 'BAD_TAG')
      rejects(() => topicsOfPost({ tags: ['#lyon'], geohash: '' }), 'BAD_TAG')
      rejects(() => topicsOfPost({ tags: [''], geohash: '' }), 'BAD_TAG')
      rejects(() => topicsOfPost({ tags: [], geohash: 'u05a' }), 'BAD_GEOHASH')
      rejects(() => topicsOfPost({ tags: [], geohash: 'U05K' }), 'BAD_GEOHASH')
    })
  })
})
