import assert from 'node:assert/strict'
import fc from 'fast-check'
import { extractHashtags, normalizeTag, suggestTags } from '../../src/geo/index.js'
import { BadRequestError } from '../../src/errors.js'

function rejects (fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof BadRequestError && err.code === code)
}

describe('geo/tags', () => {
  describe('normalizeTag', () => {
    it('lower-cases, applies NFKC and drops one leading #', () => {
      assert.equal(normalizeTag('Lyon'), 'lyon')
      assert.equal(normalizeTag('#Lyon'), 'lyon')
      assert.equal(normalizeTag('ＬＹＯＮ'), 'lyon') // full-width
      assert.equal(normalizeTag('＃lyon'), 'lyon') // full-width number sign
      assert.equal(normalizeTag('cafe\u0301'), 'café') // decomposed accent composes
      assert.equal(normalizeTag('ﬁre'), 'fire') // ligature
      assert.equal(normalizeTag('①'), '1')
      assert.equal(normalizeTag('snake_case_2'), 'snake_case_2')
      assert.equal(normalizeTag('Москва'), 'москва')
      assert.equal(normalizeTag('東京'), '東京')
      assert.equal(normalizeTag('x'.repeat(32)), 'x'.repeat(32))
    })

    it('rejects everything outside 1-32 letters, digits and _ with BAD_TAG', () => {
      const bad = [
        '', '#', '##lyon', 'a b', 'a-b', 'a.b', 'lyon!', 'x'.repeat(33), 'emoji🙂', ' lyon', 'lyon\n',
        'नमस्ते' // a vowel sign (combining mark) that NFKC does not compose
      ]
      for (const value of bad) rejects(() => normalizeTag(value), 'BAD_TAG')
    })

    it('is idempotent (property)', () => {
      fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), value => {
        let tag: string
        try {
          tag = normalizeTag(value)
        } catch {
          return true
        }
        return normalizeTag(tag) === tag
      }))
    })
  })

  describe('extractHashtags', () => {
    it('finds #hashtags, normalised, unique, in order of appearance', () => {
      assert.deepEqual(extractHashtags('Soirée #Lyon ce soir #food #LYON #ＬＹＯＮ, et #café!'), ['lyon', 'food', 'café'])
    })

    it('ignores a # inside a word, an entity or a URL fragment', () => {
      assert.deepEqual(extractHashtags('I like C# and foo#bar &#39; see https://x.org/#anchor'), [])
    })

    it('skips over-long hashtags and those with combining marks rather than cutting them', () => {
      assert.deepEqual(extractHashtags(`#${'x'.repeat(33)} #नमस्ते #ok`), ['ok'])
    })

    it('returns nothing for text without hashtags', () => {
      assert.deepEqual(extractHashtags(''), [])
      assert.deepEqual(extractHashtags('# alone ## #'), [])
    })
  })

  describe('suggestTags', () => {
    it('ranks words of 4+ letters by frequency, then first appearance', () => {
      assert.deepEqual(
        suggestTags('Rain in Lyon. The market is closed, rain again, market tomorrow, rain.'),
        ['rain', 'market', 'lyon']
      )
    })

    it('leaves out stopwords (English and French), short words, numbers and URLs', () => {
      assert.deepEqual(suggestTags('This would have been that with them, see https://example.com/page 2024'), [])
      assert.deepEqual(suggestTags('Nous sommes avec vous dans cette soirée'), ['sommes', 'soirée'])
    })

    it('leaves out words already written as #hashtags', () => {
      assert.deepEqual(suggestTags('#lyon lyon lyon concert'), ['concert'])
    })

    it('respects max', () => {
      const text = 'alpha bravo charlie delta echo'
      assert.deepEqual(suggestTags(text), ['alpha', 'bravo', 'charlie'])
      assert.deepEqual(suggestTags(text, 5), ['alpha', 'bravo', 'charlie', 'delta', 'echo'])
      assert.deepEqual(suggestTags(text, 0), [])
      rejects(() => suggestTags(text, -1), 'BAD_REQUEST')
      rejects(() => suggestTags(text, 1.5), 'BAD_REQUEST')
    })

    it('returns normalised tags', () => {
      assert.deepEqual(suggestTags('ＬＹＯＮ Café'), ['lyon', 'café'])
    })
  })
})
