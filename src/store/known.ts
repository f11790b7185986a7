// What the store knows without reading LevelDB: which message ids it may hold (its records,
// tombstones and awaited marks, in a filter with no false negatives) and the counts a new post
// updates (per topic, and the store's totals). With both, a new root post — most of what
// gossip and the local user bring — is checked and written with no read before its write: one
// trip through libuv's thread pool instead of two. On a busy node each trip waited 4–6 ms for
// a thread and a core, and the next batch waited for both (docs/performance.md, "Known ids").
//
// The filter is kept by generation of expiry, so that the ids of purged messages leave it, and
// is saved now and then with a journal of the ids written since, so that a start (after a
// crash too) reads both instead of listing the store (docs/storage.md, "The saved id filter").

import { ID_LEN, u64, readU64 } from './keys.js'
import { mapKey, type Table, type Tx } from './tx.js'

/**
 * At least 10 bits an id (a power of two: 16 with these capacities) and 7 probes: under 0.1 %
 * of absent ids look present in a full filter, and those are read as before.
 */
const BITS_PER_ID = 10
const PROBES = 7
/**
 * A generation's first filter's capacity (16 KiB of bits); each next one holds twice as many.
 * Small, since a store with posts of every lifetime keeps eight or nine generations. A lookup
 * asks every filter of every generation: with a million ids, 0.8 % of absent ids look present
 * in two generations and 2.2 % in eight (0.43 % in one), and those are read as before.
 */
const FIRST_CAPACITY = 1 << 13
/**
 * The span of expiry times a generation holds. A generation goes once the purge has removed
 * everything that expires in it, so the filter holds the ids of at most this long of expired
 * messages besides those the store holds; and since messages live up to 30 days, a lookup
 * reads at most nine generations' filters.
 */
export const GENERATION_MS = 4 * 24 * 3600 * 1000
/** Keys read a step while the filter is filled from the store. */
const LOAD_CHUNK = 1024
/** A saved filter's first words: its format, and the parameters its bits were set with. */
const SAVED_HEADER = [3, BITS_PER_ID, PROBES, FIRST_CAPACITY, GENERATION_MS / 1000]
/** A journal entry's items: a generation (4 bytes) and an id. */
const JOURNAL_ITEM = 4 + ID_LEN
/**
 * A checkpoint is due once the journal holds this many ids, or a quarter of the filter's if
 * more: a start after a crash then reads at most that many from the journal, and each id
 * costs the checkpoints about 16 bytes written (the filter is ≈ 4 bytes an id).
 */
const CHECKPOINT_IDS = 1 << 16

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

/** Big-endian 32-bit words read in order, undefined past the end. */
interface Words { next: () => number | undefined, left: () => number }

function words (bytes: Uint8Array): Words {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength - bytes.byteLength % 4)
  let at = 0
  return {
    next: () => {
      if (at + 4 > view.byteLength) return undefined
      at += 4
      return view.getUint32(at - 4)
    },
    left: () => (view.byteLength - at) / 4
  }
}

/** A number below 2⁵³ as two words, high first. */
function u64Words (n: number): [number, number] {
  return [Math.floor(n / 2 ** 32), n % 2 ** 32]
}

function u64Read (input: Words): number | undefined {
  const [high, low] = [input.next(), input.next()]
  return high === undefined || low === undefined ? undefined : high * 2 ** 32 + low
}

/** Big-endian 32-bit words written in order into bytes of a known length. */
interface WordWriter { put: (word: number) => void, bytes: Uint8Array }

function wordWriter (count: number): WordWriter {
  const bytes = new Uint8Array(4 * count)
  const view = new DataView(bytes.buffer)
  let at = 0
  return {
    put: word => { view.setUint32(at, word); at += 4 },
    bytes
  }
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

  get size (): number {
    return this.filters.reduce((n, f) => n + f.size, 0)
  }

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

  /** The number of words `write` writes. */
  wordCount (): number {
    return 1 + this.filters.reduce((n, f) => n + 3 + f.bits.length, 0)
  }

  /** Writes the filter's words, for `read`. */
  write (output: WordWriter): void {
    output.put(this.filters.length)
    for (const f of this.filters) {
      output.put(f.capacity)
      output.put(f.size)
      output.put(f.bits.length)
      for (const word of f.bits) output.put(word)
    }
  }

  /** The filter `write` wrote, or undefined for words that are not one. */
  static read (input: Words): IdFilter | undefined {
    const count = input.next() ?? 0
    const filters: Bloom[] = []
    for (let i = 0; i < count; i++) {
      const [capacity, size, length] = [input.next(), input.next(), input.next()]
      // the capacities add() makes, each twice the last, and the size bloom() gives each
      if (capacity !== FIRST_CAPACITY * 2 ** i || size === undefined || size > capacity || length === undefined) return undefined
      // what the bytes hold bounds what is allocated
      if (length > input.left() || capacity * BITS_PER_ID > 32 * length) return undefined
      const f = bloom(capacity)
      if (length !== f.bits.length) return undefined
      for (let w = 0; w < length; w++) f.bits[w] = input.next() ?? 0
      f.size = size
      filters.push(f)
    }
    if (count === 0) return undefined
    const filter = new IdFilter()
    filter.filters.splice(0, 1, ...filters)
    return filter
  }
}

/** The generation of an expiry time. */
export function generationOf (expiresAt: number): number {
  return Math.floor(expiresAt / GENERATION_MS)
}

/** Ids by the generation of their expiry; an id may be in several (a record's, then its tombstone's). */
export class Generations {
  private readonly filters = new Map<number, IdFilter>()

  get size (): number {
    let n = 0
    for (const filter of this.filters.values()) n += filter.size
    return n
  }

  add (generation: number, id: Uint8Array): void {
    let filter = this.filters.get(generation)
    if (filter === undefined) this.filters.set(generation, filter = new IdFilter())
    filter.add(id)
  }

  has (id: Uint8Array): boolean {
    for (const filter of this.filters.values()) if (filter.has(id)) return true
    return false
  }

  /** Drops the generations in which everything expires at or before `now`. */
  expire (now: number): void {
    for (const generation of this.filters.keys()) {
      if ((generation + 1) * GENERATION_MS - 1 <= now) this.filters.delete(generation)
    }
  }

  /**
   * The generations as bytes, for `Generations.from`: saved as of journal entry `seq`, with
   * the journal cleared up to entry `cleared` (the entries between are cleared once they are saved).
   */
  bytes (seq: number, cleared: number): Uint8Array {
    let count = SAVED_HEADER.length + 5
    for (const filter of this.filters.values()) count += 1 + filter.wordCount()
    const output = wordWriter(count)
    for (const word of [...SAVED_HEADER, ...u64Words(seq), ...u64Words(cleared), this.filters.size]) output.put(word)
    for (const [generation, filter] of this.filters) {
      output.put(generation)
      filter.write(output)
    }
    return output.bytes
  }

  /** What `bytes` saved, or undefined for bytes of another format, other parameters, or not whole. */
  static from (bytes: Uint8Array): { generations: Generations, seq: number, cleared: number } | undefined {
    if (bytes.byteLength % 4 !== 0) return undefined
    const input = words(bytes)
    if (!SAVED_HEADER.every(word => input.next() === word)) return undefined
    const [seq, cleared, count] = [u64Read(input), u64Read(input), input.next()]
    if (seq === undefined || cleared === undefined || count === undefined) return undefined
    const generations = new Generations()
    for (let i = 0; i < count; i++) {
      const generation = input.next()
      const filter = generation === undefined ? undefined : IdFilter.read(input)
      if (generation === undefined || filter === undefined) return undefined
      generations.filters.set(generation, filter)
    }
    return input.left() === 0 ? { generations, seq, cleared } : undefined
  }
}

/** An expiry entry's id and time; undefined for an entry of something else than an id. */
export type ExpiryEntryOf = (key: Uint8Array) => { id: Uint8Array, expiresAt: number } | undefined

export interface KnownTables {
  /** tables keyed by message id that the filter answers for: an id it lacks is absent from each (a record's table under each of its names) */
  ids: Array<Table<any>>
  /**
   * The expiry index, which names every id those tables hold with its expiry (`entryOf`): the
   * filter learns ids from its writes, and is filled by listing it (not the tables: the
   * records' own keys sit between their envelopes, and LevelDB maps the table files it reads,
   * so listing them put every envelope's pages in the node's RSS, ≈ 230 MB at a million posts).
   */
  expiry: { table: Table<any>, entryOf: ExpiryEntryOf }
  /**
   * where the filter is saved (under `savedKey`, and under `clearedKey` the journal entry it
   * was last cleared up to), and the journal of ids written since (by sequence number)
   */
  saved: Table<Uint8Array>
  savedKey: Uint8Array
  clearedKey: Uint8Array
  journal: Table<Uint8Array>
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
  private ids = new Generations()
  /** the journal's next sequence number (from 1), and the ids it holds past the last checkpoint */
  private seq = 1
  private journaled = 0
  /**
   * The journal's entries up to this one are cleared. The next clear starts past it: LevelDB
   * reads through the entries a range covers that were cleared before, and the values under
   * them, until compaction drops them (≈ 35 MB of pages mapped after a million posts written
   * in one run, cleared at its stop and read through at the next stop's clear).
   */
  private cleared = 0
  /** committed topic counts by key, undefined for none; learnt from commits only */
  private readonly topicCounts = new Map<string, number | undefined>()
  private totals?: { value: unknown }
  /** the totals' key as the transaction keys its cache */
  private readonly countsKey: string

  constructor (private readonly t: KnownTables) {
    this.countsKey = mapKey(t.countsKey)
  }

  /**
   * Reads the saved filter and the journal after it; when they are not whole, lists the ids
   * from the expiry index instead, telling `listing` how many so far after each step. Resolves
   * to how many ids it listed, undefined when restored.
   */
  async open (listing?: (listed: number) => void): Promise<number | undefined> {
    const bytes = await this.t.saved.sub.get(this.t.savedKey)
    const saved = bytes === undefined ? undefined : Generations.from(bytes)
    if (saved === undefined) {
      // numbered past the entries of an earlier run, which the first checkpoint clears
      const [last] = await this.t.journal.sub.keys({ reverse: true, limit: 1 }).all()
      this.seq = (last === undefined ? 0 : readU64(last, 0)) + 1
      return await this.load(listing)
    }
    const journal = await this.t.journal.sub.iterator({ gt: u64(saved.seq) }).all()
    const last = journal[journal.length - 1]?.[0]
    this.seq = (last === undefined ? saved.seq : readU64(last, 0)) + 1
    // the save's own clearing, when it ended before the process did (a mark past the save is an earlier run's)
    const mark = await this.t.saved.sub.get(this.t.clearedKey)
    const cleared = mark === undefined || mark.byteLength !== 8 ? 0 : readU64(mark, 0)
    this.cleared = cleared <= saved.seq ? Math.max(saved.cleared, cleared) : saved.cleared
    if (journal.some(([, items]) => items.byteLength % JOURNAL_ITEM !== 0)) return await this.load(listing)
    this.ids = saved.generations
    for (const [, items] of journal) {
      const view = new DataView(items.buffer, items.byteOffset, items.byteLength)
      for (let at = 0; at < items.byteLength; at += JOURNAL_ITEM) this.ids.add(view.getUint32(at), items.subarray(at + 4, at + JOURNAL_ITEM))
      this.journaled += items.byteLength / JOURNAL_ITEM
    }
    return undefined
  }

  /** Fills the filter from the expiry index, before the store takes any write; gives back how many ids it read. */
  private async load (listing?: (listed: number) => void): Promise<number> {
    const { table, entryOf } = this.t.expiry
    const it = table.sub.keys({ keyEncoding: 'view' })
    let listed = 0
    try {
      while (true) {
        const keys = await it.nextv(LOAD_CHUNK)
        if (keys.length === 0) break
        for (const key of keys) {
          const entry = entryOf(key as Uint8Array)
          if (entry === undefined) continue
          this.ids.add(generationOf(entry.expiresAt), entry.id)
          listed++
        }
        listing?.(listed)
      }
    } finally {
      await it.close()
    }
    return listed
  }

  /**
   * Before a transaction commits: its journal entry, the ids its expiry entries add (and their
   * generations), written in the same batch so the journal holds every id since the last checkpoint.
   */
  stage (tx: Tx): void {
    const items: Array<{ id: Uint8Array, expiresAt: number }> = []
    for (const [table, key, value] of tx.writes()) {
      if (table !== this.t.expiry.table || value === undefined) continue
      const entry = this.t.expiry.entryOf(key)
      if (entry !== undefined) items.push(entry)
    }
    if (items.length === 0) return
    const value = new Uint8Array(items.length * JOURNAL_ITEM)
    const view = new DataView(value.buffer)
    items.forEach(({ id, expiresAt }, i) => {
      view.setUint32(i * JOURNAL_ITEM, generationOf(expiresAt))
      value.set(id, i * JOURNAL_ITEM + 4)
    })
    tx.put(this.t.journal, u64(this.seq++), value)
    this.journaled += items.length
  }

  /**
   * Puts the filter into `tx` as of the journal's last entry, when a checkpoint is due (`force`:
   * now); gives back that entry's number, for `checkpointed` once
   * `tx` has committed. Call it with no other write under way, so every entry has been learnt.
   */
  checkpoint (tx: Tx, force = false): number | undefined {
    if (!force && this.journaled < Math.max(CHECKPOINT_IDS, this.ids.size / 4)) return undefined
    const seq = this.seq - 1
    tx.put(this.t.saved, this.t.savedKey, this.ids.bytes(seq, this.cleared))
    return seq
  }

  /** After a checkpoint as of entry `seq` committed: the journal's entries up to it are not read again. */
  async checkpointed (seq: number): Promise<void> {
    this.journaled = 0
    await this.t.journal.sub.clear({ gt: u64(this.cleared), lte: u64(seq) })
    await this.t.saved.sub.put(this.t.clearedKey, u64(seq))
    this.cleared = seq
  }

  /**
   * Drops the generations in which everything expires at or before `now`: call it only when
   * the store holds no expiry entry that old (the purge has just removed the last of them).
   */
  expire (now: number): void {
    this.ids.expire(now)
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
    return !this.ids.has(id)
  }

  /** After a commit: the ids it wrote may be held, the counts it wrote are current. */
  learn (tx: Tx): void {
    for (const [table, key, value] of tx.writes()) {
      if (table === this.t.expiry.table) this.add(key, value)
      else if (table === this.t.topicCounts) this.topicCounts.set(mapKey(key), value as number | undefined)
      else if (table === this.t.meta && mapKey(key) === this.countsKey) this.totals = { value: copyTotals(value) }
    }
  }

  /** After a failed commit, which may have written all the same: its ids may be held, and every count is read again. */
  failed (tx: Tx): void {
    for (const [table, key, value] of tx.writes()) if (table === this.t.expiry.table) this.add(key, value)
    this.topicCounts.clear()
    this.totals = undefined
  }

  /** The id of an expiry entry written (value undefined: deleted), in its generation. */
  private add (key: Uint8Array, value: unknown): void {
    const entry = value === undefined ? undefined : this.t.expiry.entryOf(key)
    if (entry !== undefined) this.ids.add(generationOf(entry.expiresAt), entry.id)
  }
}
