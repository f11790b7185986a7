// What the store knows without reading LevelDB: which message ids it may hold (its records,
// tombstones and awaited marks, in a filter with no false negatives) and the counts a new post
// updates (per topic, and the store's totals). With both, a new root post — most of what
// gossip and the local user bring — is checked and written with no read before its write: one
// trip through libuv's thread pool instead of two. On a busy node each trip waited 4–6 ms for
// a thread and a core, and the next batch waited for both (docs/performance.md, "Known ids").
// The ids are listed once, in the background; a clean stop saves the filter for the next start.

import { ID_LEN } from './keys.js'
import { mapKey, type Table, type Tx } from './tx.js'

/**
 * At least 10 bits an id (a power of two: 16 with these capacities) and 7 probes: under 0.1 %
 * of absent ids look present in a full filter, and those are read as before.
 */
const BITS_PER_ID = 10
const PROBES = 7
/** The first filter's capacity (128 KiB of bits); each next one holds twice as many: ≈ 4 MB for a million ids. */
const FIRST_CAPACITY = 1 << 16
/** Keys read a step while the filter is filled from the store. */
const LOAD_CHUNK = 1024
/** A saved filter's first words: its format, and the parameters its bits were set with. */
const SAVED_HEADER = [1, BITS_PER_ID, PROBES]

interface Bloom { bits: Uint32Array, mask: number, capacity: number, size: number }

function bloom (capacity: number): Bloom {
  // a power of two of bits, so that a probe's bit is its word masked
  let bits = 32
  while (bits < capacity * BITS_PER_ID) bits *= 2
  return { bits: new Uint32Array(bits / 32), mask: bits - 1, capacity, size: 0 }
}

/** The probe-th 32-bit word of an id, from byte 4 on: the leading bytes hold proof-of-work zeros. */
function probe (id: Uint8Array, i: number): number {
  const at = 4 + 4 * i
  return ((id[at] << 24) | (id[at + 1] << 16) | (id[at + 2] << 8) | id[at + 3]) >>> 0
}

/**
 * A Bloom filter of message ids. Ids are SHA-256 hashes, so their own bytes serve as the
 * filter's independent hashes; a filter that reaches its capacity is followed by one twice as
 * large, so false positives stay rare however many ids come. (The filters of
 * @libp2p/utils hash each item again: its Bloom filter ran 7 µs an add with 10 % false
 * positives at a 1 % setting, its scalable cuckoo filter 31 µs and 440 MB for a million ids,
 * and lost some of them.)
 */
export class IdFilter {
  private readonly filters: Bloom[] = [bloom(FIRST_CAPACITY)]

  add (id: Uint8Array): void {
    if (id.byteLength !== ID_LEN || this.has(id)) return
    let last = this.filters[this.filters.length - 1]
    if (last.size >= last.capacity) {
      last = bloom(last.capacity * 2)
      this.filters.push(last)
    }
    for (let i = 0; i < PROBES; i++) {
      const bit = probe(id, i) & last.mask
      last.bits[bit >>> 5] |= 1 << (bit & 31)
    }
    last.size++
  }

  /** The filter as bytes (big-endian words), for `IdFilter.from`. */
  bytes (): Uint8Array {
    const words = SAVED_HEADER.length + 1 + this.filters.reduce((n, f) => n + 3 + f.bits.length, 0)
    const view = new DataView(new ArrayBuffer(4 * words))
    let at = 0
    const put = (word: number): void => { view.setUint32(at, word); at += 4 }
    for (const word of SAVED_HEADER) put(word)
    put(this.filters.length)
    for (const f of this.filters) {
      put(f.capacity)
      put(f.size)
      put(f.bits.length)
      for (const word of f.bits) put(word)
    }
    return new Uint8Array(view.buffer)
  }

  /** The filter `bytes` gave, or undefined for bytes of another format, other parameters, or not whole. */
  static from (bytes: Uint8Array): IdFilter | undefined {
    if (bytes.byteLength % 4 !== 0) return undefined
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let at = 0
    const next = (): number | undefined => {
      if (at + 4 > view.byteLength) return undefined
      at += 4
      return view.getUint32(at - 4)
    }
    if (!SAVED_HEADER.every(word => next() === word)) return undefined
    const count = next() ?? 0
    const filters: Bloom[] = []
    for (let i = 0; i < count; i++) {
      const [capacity, size, length] = [next(), next(), next()]
      // the capacities add() makes, each twice the last, and the size bloom() gives each
      if (capacity !== FIRST_CAPACITY * 2 ** i || size === undefined || size > capacity || length === undefined) return undefined
      // what the bytes hold bounds what is allocated
      if (at + 4 * length > view.byteLength || capacity * BITS_PER_ID > 32 * length) return undefined
      const f = bloom(capacity)
      if (length !== f.bits.length) return undefined
      for (let w = 0; w < length; w++) f.bits[w] = next() ?? 0
      f.size = size
      filters.push(f)
    }
    if (count === 0 || at !== view.byteLength) return undefined
    const filter = new IdFilter()
    filter.filters.splice(0, 1, ...filters)
    return filter
  }

  /** False only for an id never added (anything but an id is taken as possibly held). */
  has (id: Uint8Array): boolean {
    if (id.byteLength !== ID_LEN) return true
    return this.filters.some(f => {
      for (let i = 0; i < PROBES; i++) {
        const bit = probe(id, i) & f.mask
        if ((f.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false
      }
      return true
    })
  }
}

export interface KnownTables {
  /** tables keyed by message id whose keys the filter holds (a record's table under each of its names) */
  ids: Array<Table<any>>
  /**
   * A table whose keys name every id those tables hold (`idOf`; undefined: a key of something
   * else), listed at start instead of them: the records' own keys sit between their envelopes,
   * and LevelDB maps the table files it reads, so listing them put every envelope's pages in
   * the node's RSS (≈ 230 MB at a million posts).
   */
  listing: { table: Table<any>, idOf: (key: Uint8Array) => Uint8Array | undefined }
  topicCounts: Table<number>
  /** the table of the store's totals, and their key in it */
  meta: Table<unknown>
  countsKey: Uint8Array
}

/**
 * The totals are one flat object of counts (StoreStats), so a shallow copy is a whole one:
 * structuredClone, twice a commit, was ≈ 3 % of a gossip node's event loop at a paced rate.
 */
function copyTotals (value: unknown): unknown {
  return typeof value === 'object' && value !== null ? { ...value } : value
}

export class Known {
  private ids = new IdFilter()
  private readonly idTables: Set<string>
  /** the totals' key as the transaction keys its cache */
  private readonly countsKey: string
  private loaded = false
  /** committed topic counts by key, undefined for none; learnt from commits only */
  private readonly topicCounts = new Map<string, number | undefined>()
  private totals?: { value: unknown }

  constructor (private readonly t: KnownTables) {
    this.idTables = new Set(t.ids.map(table => table.name))
    this.countsKey = mapKey(t.countsKey)
  }

  /**
   * Fills the filter with the ids the store holds. Until it is done no id is told absent;
   * commits meanwhile add theirs (learn), so none is missed either side of the scan.
   */
  async load (stopped: () => boolean): Promise<void> {
    const { table, idOf } = this.t.listing
    const it = table.sub.keys({ keyEncoding: 'view' })
    try {
      while (!stopped()) {
        const keys = await it.nextv(LOAD_CHUNK)
        if (keys.length === 0) break
        for (const key of keys) {
          const id = idOf(key as Uint8Array)
          if (id !== undefined) this.ids.add(id)
        }
      }
    } finally {
      await it.close()
    }
    if (!stopped()) this.loaded = true
  }

  /**
   * The filter a clean stop saved (`saved`), in place of the listing: false, and nothing
   * changed, when the bytes are not a whole filter of this format.
   */
  restore (bytes: Uint8Array): boolean {
    const ids = IdFilter.from(bytes)
    if (ids === undefined) return false
    this.ids = ids
    this.loaded = true
    return true
  }

  /** The filter's bytes once it holds every id the store may hold (listed or restored), else undefined. */
  saved (): Uint8Array | undefined {
    return this.loaded ? this.ids.bytes() : undefined
  }

  /**
   * Tells a transaction what is known of these message ids (absent unless the filter may hold
   * them) and of these topic-count keys and the totals, so that its prefetch reads only the rest.
   */
  tell (tx: Tx, ids: Uint8Array[], topicKeys: Uint8Array[]): void {
    for (const id of ids) {
      if (!this.lacks(id)) continue
      for (const table of this.t.ids) tx.know(table, id, undefined)
    }
    for (const key of topicKeys) {
      const k = mapKey(key)
      if (this.topicCounts.has(k)) tx.know(this.t.topicCounts, key, this.topicCounts.get(k))
    }
    // a copy: a transaction may change the object it read before writing it back
    if (this.totals !== undefined) tx.know(this.t.meta, this.t.countsKey, copyTotals(this.totals.value))
  }

  /** True when the store surely holds no record, tombstone or awaited mark of this id; false when it may. */
  lacks (id: Uint8Array): boolean {
    return this.loaded && !this.ids.has(id)
  }

  /** After a commit: the ids it wrote may be held, the counts it wrote are current. */
  learn (tx: Tx): void {
    for (const [table, key, value] of tx.writes()) {
      if (this.idTables.has(table.name)) this.ids.add(key)
      else if (table === this.t.topicCounts) this.topicCounts.set(mapKey(key), value as number | undefined)
      else if (table === this.t.meta && mapKey(key) === this.countsKey) this.totals = { value: copyTotals(value) }
    }
  }

  /** After a failed commit, which may have written all the same: its ids may be held, and every count is read again. */
  failed (tx: Tx): void {
    for (const [table, key] of tx.writes()) if (this.idTables.has(table.name)) this.ids.add(key)
    this.topicCounts.clear()
    this.totals = undefined
  }
}
