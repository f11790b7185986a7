// Binary key layout of the store (see docs/storage.md): fixed-width big-endian fields so that
// LevelDB's byte order is time order, and length-prefixed strings so a prefix never spills into another.

export const ID_LEN = 32
export const TS_LEN = 8

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Lower-case hex digit → its value, −1 otherwise: ids are parsed on every key built, a regex and a Buffer round trip cost more than the key. */
const NIBBLES = new Int8Array(128).fill(-1)
for (const [i, c] of [...'0123456789abcdef'].entries()) NIBBLES[c.charCodeAt(0)] = i

export const EMPTY = new Uint8Array(0)

/**
 * The value of an entry whose key says it all (by-time, by-parent, by-root, expiry, joined),
 * and of a hot entry of a post without a place. One zero byte, never none: classic-level 3.0.0
 * copies each value into `new char[len]` and frees the copy only when it is not empty, so every
 * empty value written is a heap chunk lost for good (32 bytes under glibc's malloc, 8 under
 * jemalloc; docs/upstream.md #15). Hot values are read only in Near's ranges, which hold no
 * post without a place.
 */
export const NO_VALUE = Uint8Array.of(0)

export function isHexId (value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 2 * ID_LEN) return false
  for (let i = 0; i < value.length; i++) if ((NIBBLES[value.charCodeAt(i)] ?? -1) < 0) return false
  return true
}

export function idBytes (hex: string): Uint8Array {
  const out = new Uint8Array(ID_LEN)
  writeId(hex, out, 0)
  return out
}

/** Writes a 64-hex id as its 32 bytes into `out` at `offset`; throws on anything else. */
export function writeId (hex: string, out: Uint8Array, offset: number): void {
  let bad = typeof hex !== 'string' || hex.length !== 2 * ID_LEN
  for (let i = 0; i < ID_LEN && !bad; i++) {
    const high = NIBBLES[hex.charCodeAt(2 * i)] ?? -1
    const low = NIBBLES[hex.charCodeAt(2 * i + 1)] ?? -1
    bad = (high | low) < 0
    out[offset + i] = (high << 4) | low
  }
  if (bad) throw new TypeError(`not a 64-hex id: ${JSON.stringify(hex)}`)
}

/**
 * The keys `prefix ‖ id` for each prefix and each id (all ids under the first prefix, then the
 * second's, …), as views of ONE buffer. For a getMany: LevelDB's binding copies each key out
 * through its typed array's backing store, and V8 keeps arrays this small inside its heap
 * until asked for one, so separate little keys cost an allocation each on the way in.
 */
export function keysOf (prefixes: Uint8Array[], ids: string[]): Uint8Array[] {
  let size = 0
  for (const prefix of prefixes) size += (prefix.length + ID_LEN) * ids.length
  const buf = Buffer.allocUnsafe(size)
  const out: Uint8Array[] = []
  let at = 0
  for (const [p, prefix] of prefixes.entries()) {
    for (const [i, id] of ids.entries()) {
      for (let k = 0; k < prefix.length; k++) buf[at + k] = prefix[k] ?? 0
      if (p === 0) {
        // Node's own hex parser, once per id: a JavaScript loop over 64 characters cost more than the rest of the key
        if (typeof id !== 'string' || id.length !== 2 * ID_LEN || buf.write(id, at + prefix.length, 'hex') !== ID_LEN) {
          throw new TypeError(`not a 64-hex id: ${JSON.stringify(id)}`)
        }
      } else {
        const first = i * ((prefixes[0]?.length ?? 0) + ID_LEN) + (prefixes[0]?.length ?? 0)
        buf.copyWithin(at + prefix.length, first, first + ID_LEN)
      }
      // the constructor, not subarray(): V8's subarray is a slow path, measurable at a hundred keys a page
      out.push(new Uint8Array(buf.buffer, buf.byteOffset + at, prefix.length + ID_LEN))
      at += prefix.length + ID_LEN
    }
  }
  return out
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** ms timestamp as 8 big-endian bytes; negatives and NaN clamp to 0. */
export function u64 (ms: number): Uint8Array {
  const out = new Uint8Array(TS_LEN)
  const v = Number.isFinite(ms) && ms > 0 ? Math.min(Math.floor(ms), Number.MAX_SAFE_INTEGER) : 0
  const view = new DataView(out.buffer)
  view.setUint32(0, Math.floor(v / 2 ** 32))
  view.setUint32(4, v >>> 0)
  return out
}

export function readU64 (bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(offset) * 2 ** 32 + view.getUint32(offset + 4)
}

/**
 * A number as 8 bytes whose byte order is numeric order, negatives and fractions included: the
 * IEEE 754 bits with the sign bit flipped for positives and every bit flipped for negatives.
 */
export function f64 (value: number): Uint8Array {
  const out = new Uint8Array(TS_LEN)
  new DataView(out.buffer).setFloat64(0, value === 0 ? 0 : value)
  if (((out[0] ?? 0) & 0x80) === 0) out[0] = (out[0] ?? 0) | 0x80
  else for (let i = 0; i < TS_LEN; i++) out[i] = ~(out[i] ?? 0) & 0xff
  return out
}

export function readF64 (bytes: Uint8Array, offset: number): number {
  // a copy (a Buffer's slice would be a view into its pool)
  const raw = new Uint8Array(TS_LEN)
  raw.set(bytes.subarray(offset, offset + TS_LEN))
  if (((raw[0] ?? 0) & 0x80) !== 0) raw[0] = (raw[0] ?? 0) & 0x7f
  else for (let i = 0; i < TS_LEN; i++) raw[i] = ~(raw[i] ?? 0) & 0xff
  return new DataView(raw.buffer).getFloat64(0)
}

/** Encoded topics and prefixes: a batch names the same few hundreds of times. Nothing writes into a key. */
const lstrCache = new Map<string, Uint8Array>()
const LSTR_CACHE_SIZE = 4_096

/** A string as 1 length byte + utf8 bytes (topics and geohash prefixes are far below 255 bytes). */
export function lstr (value: string): Uint8Array {
  let out = lstrCache.get(value)
  if (out === undefined) {
    const bytes = encoder.encode(value)
    if (bytes.length > 255) throw new RangeError(`key string too long: ${value.length}`)
    out = concat(Uint8Array.of(bytes.length), bytes)
    if (lstrCache.size >= LSTR_CACHE_SIZE) lstrCache.clear()
    lstrCache.set(value, out)
  }
  return out
}

/** The length of a leading length-prefixed string, its length byte included. */
export function lstrLen (key: Uint8Array): number {
  return 1 + (key[0] ?? 0)
}

export function readLstr (key: Uint8Array): string {
  return decoder.decode(key.subarray(1, lstrLen(key)))
}

export function utf8 (value: string): Uint8Array {
  return encoder.encode(value)
}

export function fromUtf8 (bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

/**
 * The smallest key greater than every key starting with `prefix`, or undefined when there is
 * none (a prefix of only 0xff bytes).
 */
export function prefixEnd (prefix: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(prefix)
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i] = (out[i] ?? 0) + 1
      return out.subarray(0, i + 1)
    }
  }
  return undefined
}

/** Range options covering every key that starts with `prefix`. */
export function prefixRange (prefix: Uint8Array): { gte: Uint8Array, lt?: Uint8Array } {
  const end = prefixEnd(prefix)
  return end === undefined ? { gte: prefix } : { gte: prefix, lt: end }
}

/** The trailing (createdAt, id) of an index key, whatever precedes them. */
export function tailEntry (key: Uint8Array): { createdAt: number, id: string } {
  const idStart = key.length - ID_LEN
  return { createdAt: readU64(key, idStart - TS_LEN), id: toHex(key.subarray(idStart)) }
}

/** The trailing (key, id) of a hot index key (f64 then id), whatever precedes them. */
export function tailHot (key: Uint8Array): { key: number, id: string } {
  const idStart = key.length - ID_LEN
  return { key: readF64(key, idStart - TS_LEN), id: toHex(key.subarray(idStart)) }
}

// Expiry entry types: the byte after expiresAt in the expiry key.
export const EXP_MESSAGE = 1
export const EXP_TOMBSTONE = 2
export const EXP_PENDING = 3
export const EXP_AWAITED = 4

/**
 * Iterator option: the bytes a LevelDB read may hand over at once (classic-level stops a
 * `nextv` at 16 KiB by default, e.g. at ≈ 330 index keys, whatever size was asked for), for
 * reads of up to `entries` entries of index keys and small values.
 */
export function readAhead (entries: number): { highWaterMarkBytes: number } {
  return { highWaterMarkBytes: Math.max(16 * 1024, entries * 128) }
}
