// Protocol constants of wire format v1. Every node must use the same values, or nodes disagree
// on which messages are valid and the network splits: change them only with a version bump.

export const PROTOCOL_VERSION = 1

/** Prefixed to the body before signing, so a murmur signature can never be replayed as another protocol's. */
export const SIGNING_DOMAIN: Uint8Array = new TextEncoder().encode('murmur/v1')

export const MAX_ENVELOPE_BYTES = 4096
/** Counted in Unicode code points, not UTF-16 units, so every implementation counts alike. */
export const MAX_TEXT_CHARS = 1000
export const MAX_TAGS = 5
/**
 * A normalised tag: NFKC, lower case, 1–32 code points of letters, digits and `_`. The same
 * rule as src/geo/tags.ts, which normalises what users type; this is the wire-side check.
 */
export const TAG_PATTERN = /^[\p{L}\p{N}_]{1,32}$/u

export const MAX_FUTURE_SKEW_MS = 5 * 60_000
export const DEFAULT_TTL_MS = 7 * 24 * 3_600_000
export const MAX_TTL_MS = 30 * 24 * 3_600_000

/** A body's geohash precision. Coarser than the 4-character gossip cell could not be routed to a cell topic. */
export const MIN_GEOHASH_CHARS = 4
export const MAX_GEOHASH_CHARS = 6
/** The geohash length that names a gossip cell topic. */
export const GEO_CELL_CHARS = 4
export const GEOHASH_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz'

/** Ids, parents and roots are sha256 digests; authors are ed25519 public keys. */
export const ID_BYTES = 32
export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

/** Ids one LABEL may carry: a moderator clearing a spam wave labels many posts, one message each 16. */
export const MAX_LABEL_TARGETS = 16
/** The labels a moderator can give, and `clear`, which withdraws that moderator's earlier label. */
export const LABELS = ['spam', 'harassment', 'hate', 'nsfw'] as const
export const CLEAR_LABEL = 'clear'
/** Why a post is reported: a label's word, or `other` (the note says more). */
export const REPORT_REASONS = [...LABELS, 'other'] as const
/** A report's optional note, in code points: enough to say why, too short to carry a post of its own. */
export const MAX_REPORT_NOTE_CHARS = 280

/** Mining beyond this is hours of CPU on a phone: a policy asking for more is a configuration mistake. */
export const MAX_POW_BITS = 32
