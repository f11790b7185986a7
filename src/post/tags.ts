// Wire-side checks of a body's topic fields. Normalising what a user typed is src/geo's job;
// here a tag is only accepted if it is already the fixed point of that normalisation.

import { GEOHASH_ALPHABET, MAX_GEOHASH_CHARS, MIN_GEOHASH_CHARS, TAG_PATTERN } from './constants.js'

const GEOHASH_PATTERN = new RegExp(`^[${GEOHASH_ALPHABET}]{${MIN_GEOHASH_CHARS},${MAX_GEOHASH_CHARS}}$`)

/**
 * Whether a tag is in normal form (NFKC, lower case, NFKC again, within TAG_PATTERN), so one
 * tag has one spelling and one topic. NFKC runs twice because lower-casing can decompose.
 */
export function isNormalTag (tag: string): boolean {
  return TAG_PATTERN.test(tag) && tag.normalize('NFKC').toLowerCase().normalize('NFKC') === tag
}

/** A body's geohash: lower-case base32, precision 4 to 6. */
export function isValidGeohash (geohash: string): boolean {
  return GEOHASH_PATTERN.test(geohash)
}
