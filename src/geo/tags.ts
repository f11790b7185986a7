// Tag names: the one normalisation, #hashtags found in a text, and tags suggested from its words.
// A tag becomes a topic name, so two spellings of one tag must normalise to one string.

import { BadRequestError } from '../errors.js'

const TAG = /^[\p{L}\p{N}_]{1,32}$/u

/**
 * NFKC, lower case, one leading '#' dropped. NFKC runs again after lower-casing so that the
 * result is a fixed point: normalizeTag(normalizeTag(s)) === normalizeTag(s), which lets
 * fromGossipTopic demand canonical names. Combining marks are not in the alphabet, so scripts
 * that NFKC cannot compose (e.g. Devanagari vowel signs) are refused rather than mangled.
 */
export function normalizeTag (value: string): string {
  let tag = value.normalize('NFKC').toLowerCase().normalize('NFKC')
  if (tag.startsWith('#')) tag = tag.slice(1)
  if (!TAG.test(tag)) {
    throw new BadRequestError(`invalid tag ${JSON.stringify(value)}: 1-32 letters, digits or _`, 'BAD_TAG')
  }
  return tag
}

function tryNormalizeTag (value: string): string | undefined {
  try {
    return normalizeTag(value)
  } catch {
    return undefined
  }
}

/**
 * A '#' that follows a word character, '&' or '/' is part of something else ("C#", "&#39;",
 * "…/#anchor"). Marks are matched so that a tag is refused whole, never cut at a mark.
 */
const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&/#])#([\p{L}\p{M}\p{N}_]+)/gu

/** Normalised, unique, in order of appearance; invalid or over-long hashtags are skipped. */
export function extractHashtags (text: string): string[] {
  const tags = new Set<string>()
  for (const match of text.normalize('NFKC').matchAll(HASHTAG)) {
    const tag = tryNormalizeTag(match[1])
    if (tag !== undefined) tags.add(tag)
  }
  return [...tags]
}

const URL_PATTERN = /\b(?:https?:\/\/|www\.)\S*/gu
const WORD = /[\p{L}\p{M}]+/gu
const MIN_WORD_LETTERS = 4

/** Frequent words of four letters or more in English and French that make poor tags. */
const STOPWORDS = new Set([
  // English
  'about', 'after', 'again', 'also', 'been', 'before', 'being', 'could', 'does', 'doing', 'done',
  'down', 'each', 'even', 'every', 'from', 'going', 'have', 'having', 'here', 'into', 'just',
  'know', 'like', 'made', 'make', 'many', 'more', 'most', 'much', 'must', 'only', 'other', 'over',
  'really', 'should', 'some', 'still', 'such', 'than', 'that', 'their', 'them', 'then', 'there',
  'these', 'they', 'thing', 'think', 'this', 'those', 'very', 'want', 'well', 'were', 'what',
  'when', 'where', 'which', 'while', 'will', 'with', 'would', 'your',
  // French
  'alors', 'après', 'aussi', 'autre', 'avant', 'avec', 'avez', 'avoir', 'avons', 'beaucoup',
  'cela', 'celle', 'celui', 'cette', 'ceux', 'chez', 'comme', 'dans', 'depuis', 'donc', 'elle',
  'elles', 'encore', 'entre', 'était', 'être', 'fait', 'faire', 'leur', 'leurs', 'mais', 'même',
  'moins', 'nous', 'parce', 'peut', 'plus', 'pour', 'quand', 'quoi', 'rien', 'sans', 'sont',
  'sous', 'suis', 'tous', 'tout', 'toute', 'toutes', 'très', 'vous'
])

/**
 * Up to `max` tags from the text's words, as Whisper suggested them: lower-cased words of at
 * least four letters, stopwords, URLs and words already written as #hashtags left out, ranked by
 * frequency then first appearance.
 */
export function suggestTags (text: string, max = 3): string[] {
  if (!Number.isInteger(max) || max < 0) throw new BadRequestError(`invalid max: ${max}`)
  const hashtags = new Set(extractHashtags(text))
  const counts = new Map<string, number>() // insertion order = first appearance
  const words = text.normalize('NFKC').toLowerCase().replace(URL_PATTERN, ' ')
  for (const [word] of words.matchAll(WORD)) {
    if ([...word].length < MIN_WORD_LETTERS || STOPWORDS.has(word)) continue
    const tag = tryNormalizeTag(word)
    if (tag === undefined || hashtags.has(tag)) continue
    counts.set(tag, (counts.get(tag) ?? 0) + 1)
  }
  // Array.prototype.sort is stable, so equal counts keep their first-appearance order
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, max).map(([tag]) => tag)
}
