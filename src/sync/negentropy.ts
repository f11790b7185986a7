// Range-based set reconciliation: Negentropy protocol v1 (byte 0x61), the format of NIP-77.
// Written from the spec (hoytech/negentropy docs/negentropy-protocol-v1.md and its C++
// reference) because no runtime dependency ships both roles: nostr-tools' nip77 is a
// devDependency, is right only as initiator (as responder it diffs an IdList itself instead
// of answering with its own ids, so an initiator holding fewer than 32 items learns nothing)
// and its varints break from 2^31. The unit tests check this code byte for byte against it.

import { sha256 } from '@noble/hashes/sha2.js'
import { equals } from 'uint8arrays/equals'

export const NEGENTROPY_VERSION = 0x61
export const ID_SIZE = 32
const FINGERPRINT_SIZE = 16
/** a range with fewer items than 2 × BUCKETS is sent as an IdList, else split into BUCKETS fingerprints */
const BUCKETS = 16
/**
 * The responder's own split policy (the spec leaves splitting to each side; the initiator keeps
 * the reference's, byte for byte). A small mismatched range is not listed whole: 32 bytes an id
 * dwarf a 20-byte fingerprint, so a range of more than RESPONDER_LIST items is cut into about
 * √(1.5 × count) fingerprinted buckets, and the initiator lists only the few ids of the one that
 * differs. Costs at most one more round trip; at n = 100 000, d = 10 it cuts the bytes by a third.
 */
const RESPONDER_LIST = 6
/**
 * Most bytes besides its ids that one run of an exact answer takes: two bounds (a varint
 * timestamp, a length, up to 32 bytes of prefix), two modes and a count. An exact answer that
 * might not fit the frame falls back to the plain IdList answer, which cuts itself to fit.
 */
const EXACT_RUN_OVERHEAD = 2 * (9 + 1 + ID_SIZE) + 2 + 9
/** the spec's "infinity" upper bound (encoded as timestamp 0) */
const INFINITY = Number.POSITIVE_INFINITY

const enum Mode { Skip = 0, Fingerprint = 1, IdList = 2 }

/** Malformed or unsupported Negentropy input: the peer that sent it is at fault. */
export class NegentropyError extends Error {
  static name = 'NegentropyError'
  name = 'NegentropyError'
}

type Bytes = Uint8Array<ArrayBuffer>

interface Bound {
  timestamp: number
  /** an id prefix of 0–32 bytes; missing trailing bytes count as zeros */
  id: Uint8Array
}

/**
 * A sealed, sorted set of (timestamp, 32-byte id) items: ids packed in one buffer so 200 000
 * items cost 6.4 MB and no per-item objects.
 */
export class NegentropyStorage {
  readonly timestamps: Float64Array
  readonly ids: Bytes

  private constructor (timestamps: Float64Array, ids: Bytes) {
    this.timestamps = timestamps
    this.ids = ids
  }

  /** Sorts by (timestamp, id) and drops exact duplicates. */
  static from (items: Iterable<{ timestamp: number, id: Uint8Array }>): NegentropyStorage {
    const builder = new StorageBuilder()
    for (const item of items) builder.add(item.timestamp, item.id)
    return builder.build()
  }

  /** @internal the builder's packed, sorted, de-duplicated arrays */
  static sealed (timestamps: Float64Array, ids: Bytes): NegentropyStorage {
    return new NegentropyStorage(timestamps, ids)
  }

  size (): number {
    return this.timestamps.length
  }

  id (i: number): Bytes {
    return this.ids.subarray(i * ID_SIZE, (i + 1) * ID_SIZE)
  }

  /** Whether the set holds the item (timestamp, id): a binary search, as the set is sorted. */
  has (timestamp: number, id: Uint8Array): boolean {
    const i = this.lowerBound(0, this.size(), { timestamp, id })
    return i < this.size() && this.timestamps[i] === timestamp && equals(this.id(i), id)
  }

  /** The first index in [begin, end) whose item is ≥ bound, or end. */
  lowerBound (begin: number, end: number, bound: Bound): number {
    let count = end - begin
    while (count > 0) {
      const step = count >> 1
      const i = begin + step
      if (this.compareToBound(i, bound) < 0) {
        begin = i + 1
        count -= step + 1
      } else {
        count = step
      }
    }
    return begin
  }

  /** sha256(Σ ids as 256-bit little-endian integers mod 2^256 ‖ varint(count))[0..16] */
  fingerprint (begin: number, end: number): Uint8Array {
    const sum = new Uint32Array(8)
    const view = new DataView(this.ids.buffer, this.ids.byteOffset, this.ids.byteLength)
    for (let i = begin; i < end; i++) {
      let carry = 0
      for (let w = 0; w < 8; w++) {
        const next = sum[w] + view.getUint32(i * ID_SIZE + w * 4, true) + carry
        sum[w] = next >>> 0
        carry = next > 0xffffffff ? 1 : 0
      }
    }
    const acc = new Uint8Array(ID_SIZE)
    const out = new DataView(acc.buffer)
    for (let w = 0; w < 8; w++) out.setUint32(w * 4, sum[w], true)
    const count = encodeVarint(end - begin)
    const input = new Uint8Array(ID_SIZE + count.length)
    input.set(acc)
    input.set(count, ID_SIZE)
    return sha256(input).subarray(0, FINGERPRINT_SIZE)
  }

  private compareToBound (i: number, bound: Bound): number {
    const t = this.timestamps[i]
    if (t !== bound.timestamp) return t < bound.timestamp ? -1 : 1
    const id = this.id(i)
    for (let k = 0; k < bound.id.length; k++) {
      if (id[k] !== bound.id[k]) return id[k] < bound.id[k] ? -1 : 1
    }
    // equal on the prefix: the bound's missing bytes are zeros, so the item is ≥ the bound
    return id.subarray(bound.id.length).every(b => b === 0) ? 0 : 1
  }
}

/**
 * Collects items into packed arrays; with a cap, keeps only the last `cap` added (a ring), so
 * a caller adding oldest first keeps the newest without ever holding more than `cap`.
 */
export class StorageBuilder {
  private readonly cap: number
  private timestamps = new Float64Array(256)
  private ids = new Uint8Array(256 * ID_SIZE)
  private added = 0

  constructor (cap = Number.POSITIVE_INFINITY) {
    if (!(cap >= 1)) throw new RangeError('cap must be ≥ 1')
    this.cap = cap
  }

  /** timestamp: a non-negative integer < 2^53; id: 32 bytes */
  add (timestamp: number, id: Uint8Array): void {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`bad timestamp ${timestamp}`)
    if (id.length !== ID_SIZE) throw new RangeError('an id is 32 bytes')
    const slot = this.added % this.cap
    if (slot >= this.timestamps.length) this.grow()
    this.timestamps[slot] = timestamp
    this.ids.set(id, slot * ID_SIZE)
    this.added++
  }

  private grow (): void {
    const size = Math.min(this.timestamps.length * 2, this.cap)
    const timestamps = new Float64Array(size)
    timestamps.set(this.timestamps)
    const ids = new Uint8Array(size * ID_SIZE)
    ids.set(this.ids)
    this.timestamps = timestamps
    this.ids = ids
  }

  build (): NegentropyStorage {
    const n = Math.min(this.added, this.cap)
    const { timestamps, ids } = this
    const order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => timestamps[a] !== timestamps[b]
      ? timestamps[a] - timestamps[b]
      : compareBytes(ids.subarray(a * ID_SIZE, (a + 1) * ID_SIZE), ids.subarray(b * ID_SIZE, (b + 1) * ID_SIZE)))
    const outT = new Float64Array(n)
    const outIds = new Uint8Array(n * ID_SIZE)
    let m = 0
    for (const i of order) {
      const id = ids.subarray(i * ID_SIZE, (i + 1) * ID_SIZE)
      if (m > 0 && outT[m - 1] === timestamps[i] && compareBytes(outIds.subarray((m - 1) * ID_SIZE, m * ID_SIZE), id) === 0) continue
      outT[m] = timestamps[i]
      outIds.set(id, m * ID_SIZE)
      m++
    }
    return NegentropyStorage.sealed(outT.slice(0, m), outIds.slice(0, m * ID_SIZE))
  }
}

export interface ReconcileResult {
  /** the next message to send; null (initiator only) when reconciliation is complete */
  output: Bytes | null
  /** initiator only: ids we hold that the peer lacks, and ids the peer holds that we lack */
  have: Bytes[]
  need: Bytes[]
}

/**
 * One side of a reconciliation. The initiator calls initiate() once, then reconcile() on each
 * answer until it returns null; the responder calls reconcile() on each query. frameSizeLimit
 * (0 = none, else ≥ 4096) caps each output message; the rest is carried by later rounds.
 */
export class Negentropy {
  private readonly storage: NegentropyStorage
  private readonly frameSizeLimit: number
  private isInitiator = false
  /** queries answered, as responder */
  private answered = 0
  private lastTimestampIn = 0
  private lastTimestampOut = 0

  constructor (storage: NegentropyStorage, frameSizeLimit = 0) {
    if (frameSizeLimit !== 0 && frameSizeLimit < 4096) throw new RangeError('frameSizeLimit too small')
    this.storage = storage
    this.frameSizeLimit = frameSizeLimit
  }

  /** items reconciled on this side */
  size (): number {
    return this.storage.size()
  }

  /** Whether this side's set holds the item. */
  has (timestamp: number, id: Uint8Array): boolean {
    return this.storage.has(timestamp, id)
  }

  initiate (): Bytes {
    if (this.isInitiator) throw new Error('already initiated')
    this.isInitiator = true
    const out = new ByteWriter()
    out.byte(NEGENTROPY_VERSION)
    this.lastTimestampOut = 0
    this.splitRange(0, this.storage.size(), { timestamp: INFINITY, id: EMPTY }, out)
    return out.bytes()
  }

  /** Throws NegentropyError on malformed input. */
  reconcile (query: Uint8Array): ReconcileResult {
    const have: Bytes[] = []
    const need: Bytes[] = []
    const input = new ByteReader(query)
    this.lastTimestampIn = 0
    this.lastTimestampOut = 0
    const full = new ByteWriter()
    full.byte(NEGENTROPY_VERSION)

    const version = input.byte()
    if (version < 0x60 || version > 0x6f) throw new NegentropyError('invalid negentropy protocol version byte')
    if (version !== NEGENTROPY_VERSION) {
      if (this.isInitiator) throw new NegentropyError(`unsupported negentropy protocol version ${version - 0x60}`)
      // the spec: answer with the one version byte we support, so the initiator can downgrade
      return { output: full.bytes(), have, need }
    }

    const size = this.storage.size()
    if (!this.isInitiator) this.answered++
    let prevBound: Bound = { timestamp: 0, id: EMPTY }
    let prevIndex = 0
    let skip = false

    while (!input.done()) {
      const o = new ByteWriter()
      const doSkip = (): void => {
        if (!skip) return
        skip = false
        this.encodeBound(prevBound, o)
        o.varint(Mode.Skip)
      }

      const currBound = this.decodeBound(input)
      const mode = input.varint()
      const lower = prevIndex
      let upper = this.storage.lowerBound(prevIndex, size, currBound)

      if (mode === Mode.Skip) {
        skip = true
      } else if (mode === Mode.Fingerprint) {
        const theirs = input.take(FINGERPRINT_SIZE)
        if (compareBytes(theirs, this.storage.fingerprint(lower, upper)) !== 0) {
          doSkip()
          this.splitRange(lower, upper, currBound, o, this.isInitiator ? bucketsOf(upper - lower) : this.responderBuckets(upper - lower, size))
        } else {
          skip = true
        }
      } else if (mode === Mode.IdList) {
        const count = input.varint()
        // each id takes 32 bytes of the message: a count the message cannot hold is a lie
        if (count * ID_SIZE > input.remaining()) throw new NegentropyError('IdList longer than the message')
        const theirs = new Map<string, Bytes>()
        for (let i = 0; i < count; i++) {
          // a copy: the ids outlive this (up to 256 KiB) message
          const id = input.take(ID_SIZE).slice()
          theirs.set(hex(id), id)
        }
        // indexes of our items in the range that they did not list
        const onlyOurs: number[] = []
        for (let i = lower; i < upper; i++) {
          const id = this.storage.id(i)
          const key = hex(id)
          if (theirs.has(key)) theirs.delete(key)
          else if (this.isInitiator) have.push(id)
          else onlyOurs.push(i)
        }
        if (this.isInitiator) {
          skip = true
          need.push(...theirs.values())
        } else if (theirs.size === 0 && !this.exceeded(full.length + o.length + onlyOurs.length * (ID_SIZE + EXACT_RUN_OVERHEAD))) {
          // every id they listed is ours too, so we know the union's order: answer with only the
          // ids they lack, each run in its own tight range, and skip the ranges that agree
          if (onlyOurs.length === 0) {
            skip = true
          } else {
            doSkip()
            skip = this.answerExactly(lower, upper, prevBound, currBound, onlyOurs, o)
          }
        } else {
          // the responder answers an IdList with its own ids in the range, so the initiator can diff
          doSkip()
          const ids = new ByteWriter()
          let n = 0
          let endBound = currBound
          for (let i = lower; i < upper; i++) {
            if (this.exceeded(full.length + ids.length)) {
              endBound = { timestamp: this.storage.timestamps[i], id: this.storage.id(i) }
              upper = i
              break
            }
            ids.append(this.storage.id(i))
            n++
          }
          this.encodeBound(endBound, o)
          o.varint(Mode.IdList)
          o.varint(n)
          o.append(ids.bytes())
          full.append(o.bytes())
          o.reset()
        }
      } else {
        throw new NegentropyError(`unexpected mode ${mode}`)
      }

      if (this.exceeded(full.length + o.length)) {
        // frame full: one fingerprint for everything left, the peer splits it next round
        this.encodeBound({ timestamp: INFINITY, id: EMPTY }, full)
        full.varint(Mode.Fingerprint)
        full.append(this.storage.fingerprint(upper, size))
        break
      }
      full.append(o.bytes())
      prevIndex = upper
      prevBound = currBound
    }

    const output = full.bytes()
    return { output: this.isInitiator && output.length === 1 ? null : output, have, need }
  }

  /**
   * Answers an IdList whose ids are all among ours[lower, upper): our ids they lack go out in
   * IdLists bounded tightly around each run of them, the common stretches between as Skips.
   * Ranges must tile [lowerBound, upperBound) in order, so every gap is closed by a Skip; the
   * last one is left to the caller's pending skip (true when one is due), dropped at the end.
   */
  private answerExactly (lower: number, upper: number, lowerBound: Bound, upperBound: Bound, onlyOurs: number[], o: ByteWriter): boolean {
    let emitted = lowerBound
    let k = 0
    while (k < onlyOurs.length) {
      let end = k
      while (end + 1 < onlyOurs.length && onlyOurs[end + 1] === onlyOurs[end] + 1) end++
      const first = onlyOurs[k]
      const last = onlyOurs[end]
      const before = first === lower ? emitted : this.minimalBound(first - 1, first)
      if (before !== emitted) {
        this.encodeBound(before, o)
        o.varint(Mode.Skip)
      }
      const after = last + 1 === upper ? upperBound : this.minimalBound(last, last + 1)
      this.encodeBound(after, o)
      o.varint(Mode.IdList)
      o.varint(last - first + 1)
      for (let i = first; i <= last; i++) o.append(this.storage.id(i))
      emitted = after
      k = end + 1
    }
    return emitted !== upperBound
  }

  /**
   * The responder's split of a mismatched range (see RESPONDER_LIST), except in the last round
   * a set of `size` needs, ⌈log₁₆ size / 2⌉ (each round splits by 16 on both sides): there a
   * range small enough for the initiator to list (under 2 × BUCKETS) is listed rather than
   * split, since a split would only be settled a round later. Dense differences reach that
   * round with ranges of 7–31 items: n = 10 000, d = 3 000 took 3 rounds every time, now 2.
   */
  private responderBuckets (count: number, size: number): number {
    const rounds = Math.max(1, Math.ceil(Math.log(size) / Math.log(BUCKETS) / 2))
    return this.answered >= rounds && count < BUCKETS * 2 ? 0 : responderBucketsOf(count)
  }

  private splitRange (lower: number, upper: number, upperBound: Bound, o: ByteWriter, buckets = bucketsOf(upper - lower)): void {
    const count = upper - lower
    if (buckets === 0) {
      this.encodeBound(upperBound, o)
      o.varint(Mode.IdList)
      o.varint(count)
      for (let i = lower; i < upper; i++) o.append(this.storage.id(i))
      return
    }
    const perBucket = Math.floor(count / buckets)
    const withExtra = count % buckets
    let curr = lower
    for (let b = 0; b < buckets; b++) {
      const bucketSize = perBucket + (b < withExtra ? 1 : 0)
      const fingerprint = this.storage.fingerprint(curr, curr + bucketSize)
      curr += bucketSize
      this.encodeBound(curr === upper ? upperBound : this.minimalBound(curr - 1, curr), o)
      o.varint(Mode.Fingerprint)
      o.append(fingerprint)
    }
  }

  /** The shortest bound separating item prev from item curr (curr > prev). */
  private minimalBound (prev: number, curr: number): Bound {
    const t = this.storage.timestamps[curr]
    if (t !== this.storage.timestamps[prev]) return { timestamp: t, id: EMPTY }
    const a = this.storage.id(prev)
    const b = this.storage.id(curr)
    let shared = 0
    while (shared < ID_SIZE && a[shared] === b[shared]) shared++
    return { timestamp: t, id: b.subarray(0, shared + 1) }
  }

  private exceeded (n: number): boolean {
    return this.frameSizeLimit !== 0 && n > this.frameSizeLimit - 200
  }

  private decodeBound (input: ByteReader): Bound {
    const encoded = input.varint()
    let timestamp: number
    if (encoded === 0 || this.lastTimestampIn === INFINITY) {
      timestamp = INFINITY
    } else {
      timestamp = this.lastTimestampIn + encoded - 1
      // saturate like the reference's u64 arithmetic
      if (!Number.isSafeInteger(timestamp)) timestamp = INFINITY
    }
    this.lastTimestampIn = timestamp
    const length = input.varint()
    if (length > ID_SIZE) throw new NegentropyError('bound key too long')
    return { timestamp, id: input.take(length) }
  }

  private encodeBound (bound: Bound, o: ByteWriter): void {
    if (bound.timestamp === INFINITY) {
      this.lastTimestampOut = INFINITY
      o.varint(0)
    } else {
      const delta = bound.timestamp - this.lastTimestampOut
      this.lastTimestampOut = bound.timestamp
      o.varint(delta + 1)
    }
    o.varint(bound.id.length)
    o.append(bound.id)
  }
}

const EMPTY = new Uint8Array(0)

/** The reference's split: an IdList (0) below 2 × BUCKETS items, else BUCKETS fingerprints. */
function bucketsOf (count: number): number {
  return count < BUCKETS * 2 ? 0 : BUCKETS
}

/** The responder's split (see RESPONDER_LIST). */
function responderBucketsOf (count: number): number {
  if (count <= RESPONDER_LIST) return 0
  if (count >= BUCKETS * 2) return BUCKETS
  return Math.min(count, Math.round(Math.sqrt(1.5 * count)))
}

/** Unsigned base-128, most significant digit first (the spec's Varint, not protobuf's). */
export function encodeVarint (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`)
  const digits = [n % 128]
  n = Math.floor(n / 128)
  while (n > 0) {
    digits.unshift((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  return Uint8Array.from(digits)
}

class ByteWriter {
  private buf = new Uint8Array(256)
  length = 0

  private ensure (extra: number): void {
    if (this.length + extra <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  byte (b: number): void {
    this.ensure(1)
    this.buf[this.length++] = b
  }

  varint (n: number): void {
    this.append(encodeVarint(n))
  }

  append (bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.length)
    this.length += bytes.length
  }

  reset (): void {
    this.length = 0
  }

  bytes (): Bytes {
    return this.buf.slice(0, this.length)
  }
}

class ByteReader {
  private pos = 0
  constructor (private readonly buf: Uint8Array) {}

  done (): boolean {
    return this.pos >= this.buf.length
  }

  remaining (): number {
    return this.buf.length - this.pos
  }

  byte (): number {
    if (this.pos >= this.buf.length) throw new NegentropyError('parse ends prematurely')
    return this.buf[this.pos++]
  }

  take (n: number): Uint8Array {
    if (this.remaining() < n) throw new NegentropyError('parse ends prematurely')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  varint (): number {
    let n = 0
    while (true) {
      const b = this.byte()
      n = n * 128 + (b & 0x7f)
      if (!Number.isSafeInteger(n)) throw new NegentropyError('varint too large')
      if ((b & 0x80) === 0) return n
    }
  }
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1
  }
  return a.length - b.length
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function hex (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += HEX[b]
  return s
}
