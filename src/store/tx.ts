// A write transaction over several sublevels: reads see the transaction's own pending writes,
// and everything commits as ONE atomic LevelDB batch (or not at all).

import { compareBytes, prefixRange, utf8 } from './keys.js'
import type { AbstractChainedBatchWriteOptions, AbstractLevel, AbstractReadOptions, AbstractSublevel } from 'abstract-level'

export type RootDb = AbstractLevel<string | Buffer | Uint8Array, Uint8Array, Uint8Array>

export interface Table<V> {
  /** the sublevel name (its key prefix, `!name!`) */
  readonly name: string
  readonly sub: AbstractSublevel<RootDb, string | Buffer | Uint8Array, Uint8Array, V>
  /**
   * For tables scanned inside a transaction: the byte length of the scan group a key belongs
   * to (e.g. the 32-byte root id of a by-parent key). `Tx.scan` takes exactly such a prefix.
   */
  readonly group?: (key: Uint8Array) => number
}

const DELETED: unique symbol = Symbol('deleted')

/**
 * The values of `keys`, read on the event loop (`getSync`) while that stays quick, the rest in
 * one getMany on libuv's pool. Blocks that LevelDB or the OS hold answer in microseconds, and
 * the pool's round trip (waking a thread, which on two cores often takes the loop's core, then
 * waiting for the loop's next turn) cost more than the reads: Hot and New pages 18–28 % faster
 * (docs/performance.md). A cold store's reads go to disk: past `budgetMs` the loop stops
 * reading, so it is held for that long and one read at most, whatever the store's size.
 */
export async function readKeys (db: RootDb, keys: Uint8Array[], budgetMs: number, options: AbstractReadOptions = {}): Promise<Array<Uint8Array | undefined>> {
  const read = { keyEncoding: 'view', valueEncoding: 'view', ...options }
  const values = new Array<Uint8Array | undefined>(keys.length)
  const until = performance.now() + budgetMs
  let i = 0
  for (; i < keys.length && performance.now() < until; i++) values[i] = db.getSync(keys[i], read)
  if (i < keys.length) {
    const rest = await db.getMany(keys.slice(i), read)
    for (let j = 0; j < rest.length; j++) values[i + j] = rest[j]
  }
  return values
}

/** A byte string as a Map key: one char per byte (faster than hex, and a prefix stays a prefix). */
export function mapKey (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** What a table's values are written and read as on the root database, its key prefix bytes: worked out once per table. */
interface Raw {
  prefix: Uint8Array
  format: 'utf8' | 'view' | 'buffer'
  encode: (value: unknown) => string | Uint8Array
  decode: (data: unknown) => unknown
}
const raws = new WeakMap<Table<any>, Raw>()
const utf8Decoder = new TextDecoder()

function rawOf (table: Table<any>): Raw {
  let raw = raws.get(table)
  if (raw === undefined) {
    const encoding = table.sub.valueEncoding() as unknown as Raw
    raw = { prefix: utf8(table.sub.prefix), format: encoding.format, encode: v => encoding.encode(v), decode: d => encoding.decode(d) }
    raws.set(table, raw)
  }
  return raw
}

/** The stored bytes of a value read from the root database as a view, decoded by its table's encoding. */
function decodeRaw (raw: Raw, bytes: Uint8Array | undefined): unknown {
  if (bytes === undefined) return undefined
  switch (raw.format) {
    case 'utf8': return raw.decode(utf8Decoder.decode(bytes))
    case 'buffer': return raw.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    default: return raw.decode(bytes)
  }
}

/**
 * Arrays this small live inside V8's heap, and LevelDB's binding asks for each one's backing
 * store: V8 then moves it out, an allocation and a copy per key. Keys and small values are
 * therefore written into one larger buffer first, whose views cost nothing to hand over.
 */
const IN_HEAP_BYTES = 64

/** Views of byte strings written one after another into one buffer, which holds `size` bytes. */
function packer (size: number): (parts: Uint8Array[]) => Uint8Array {
  const buf = Buffer.allocUnsafe(Math.max(size, IN_HEAP_BYTES + 1))
  let at = 0
  return parts => {
    const start = at
    for (const part of parts) {
      buf.set(part, at)
      at += part.byteLength
    }
    return new Uint8Array(buf.buffer, buf.byteOffset + start, at - start)
  }
}

// keys and values already encoded as the root database stores them
const PUT_VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const
const PUT_UTF8 = { keyEncoding: 'view', valueEncoding: 'utf8' } as const
const DEL_OPTIONS = { keyEncoding: 'view' } as const

interface Slot {
  key: Uint8Array
  value: unknown
}

class Overlay {
  readonly slots = new Map<string, Slot>()
  readonly groups = new Map<string, Set<string>>()
}

export class Tx {
  private readonly overlays = new Map<Table<any>, Overlay>()
  /** committed values read so far (undefined: absent), so each key is read from disk once */
  private readonly cache = new Map<Table<any>, Map<string, unknown>>()

  /** `syncReadMs`: how long a prefetch may read on the event loop (`readKeys`) */
  constructor (private readonly db: RootDb, private readonly syncReadMs: number) {}

  put<V>(table: Table<V>, key: Uint8Array, value: V): void {
    this.set(table, key, value)
  }

  del<V>(table: Table<V>, key: Uint8Array): void {
    this.set(table, key, DELETED)
  }

  private set<V>(table: Table<V>, key: Uint8Array, value: unknown): void {
    let overlay = this.overlays.get(table)
    if (overlay === undefined) {
      overlay = new Overlay()
      this.overlays.set(table, overlay)
    }
    const mk = mapKey(key)
    overlay.slots.set(mk, { key, value })
    if (table.group !== undefined) {
      const group = mk.slice(0, table.group(key))
      let members = overlay.groups.get(group)
      if (members === undefined) {
        members = new Set()
        overlay.groups.set(group, members)
      }
      members.add(mk)
    }
  }

  /**
   * A key's committed value, known without reading it (undefined: absent): what a store keeps
   * in memory (store/known.ts) saves the read, and a prefetch of only such keys reads nothing.
   */
  know<V>(table: Table<V>, key: Uint8Array, value: V | undefined): void {
    this.cacheOf(table).set(mapKey(key), value)
  }

  private cacheOf (table: Table<any>): Map<string, unknown> {
    let cache = this.cache.get(table)
    if (cache === undefined) {
      cache = new Map()
      this.cache.set(table, cache)
    }
    return cache
  }

  /** This transaction's writes, table by table: the value written, or undefined for a delete. */
  * writes (): Generator<[Table<any>, Uint8Array, unknown]> {
    for (const [table, overlay] of this.overlays) {
      for (const { key, value } of overlay.slots.values()) yield [table, key, value === DELETED ? undefined : value]
    }
  }

  async get<V>(table: Table<V>, key: Uint8Array): Promise<V | undefined> {
    const mk = mapKey(key)
    const slot = this.overlays.get(table)?.slots.get(mk)
    if (slot !== undefined) return slot.value === DELETED ? undefined : slot.value as V
    const cache = this.cacheOf(table)
    if (cache.has(mk)) return cache.get(mk) as V | undefined
    const value = await table.sub.get(key)
    cache.set(mk, value)
    return value
  }

  /** Reads many keys in one round trip ahead of the get() calls that will need them. */
  async prefetch<V>(table: Table<V>, keys: Iterable<Uint8Array>): Promise<void> {
    await this.prefetchMany([[table, keys]])
  }

  /**
   * prefetch for several tables at once: one read of the root database however many tables
   * (on the event loop within `syncReadMs`, then at most one trip through libuv's thread pool),
   * with the keys built in one buffer. No other write runs meanwhile (the store serialises
   * them), so the loop's reads and the pool's see the same state.
   */
  async prefetchMany (requests: Array<[Table<any>, Iterable<Uint8Array>]>): Promise<void> {
    const wanted: Array<{ cache: Map<string, unknown>, raw: Raw, mk: string, key: Uint8Array }> = []
    const askedFor = new Map<Table<any>, Set<string>>()
    let size = 0
    for (const [table, keys] of requests) {
      const cache = this.cacheOf(table)
      const slots = this.overlays.get(table)?.slots
      const raw = rawOf(table)
      let asked = askedFor.get(table)
      if (asked === undefined) {
        asked = new Set()
        askedFor.set(table, asked)
      }
      for (const key of keys) {
        const mk = mapKey(key)
        if (cache.has(mk) || slots?.has(mk) === true || asked.has(mk)) continue
        asked.add(mk)
        wanted.push({ cache, raw, mk, key })
        size += raw.prefix.length + key.length
      }
    }
    if (wanted.length === 0) return
    const pack = packer(size)
    const rootKeys = wanted.map(({ raw, key }) => pack([raw.prefix, key]))
    const values = await readKeys(this.db, rootKeys, this.syncReadMs)
    wanted.forEach(({ cache, raw, mk }, i) => { cache.set(mk, decodeRaw(raw, values[i])) })
  }

  /**
   * Entries whose key starts with `prefix` (one scan group of the table), in key order, as
   * committed data merged with this transaction's writes made before the call.
   */
  async * scan<V>(table: Table<V>, prefix: Uint8Array): AsyncGenerator<[Uint8Array, V]> {
    if (table.group === undefined) throw new Error(`table ${table.name} has no scan groups`)
    const overlay = this.overlays.get(table)
    const local: Slot[] = []
    for (const mk of overlay?.groups.get(mapKey(prefix)) ?? []) {
      const slot = overlay?.slots.get(mk)
      if (slot !== undefined) local.push({ key: slot.key, value: slot.value })
    }
    local.sort((a, b) => compareBytes(a.key, b.key))

    const it = table.sub.iterator(prefixRange(prefix))
    try {
      let chunk: Array<[Uint8Array, V]> = []
      let at = 0
      let exhausted = false
      let li = 0
      while (true) {
        if (at >= chunk.length && !exhausted) {
          chunk = await it.nextv(128)
          at = 0
          if (chunk.length === 0) exhausted = true
        }
        const stored = at < chunk.length ? chunk[at] : undefined
        const pending = local[li]
        if (stored === undefined && pending === undefined) return
        const order = stored === undefined ? -1 : pending === undefined ? 1 : compareBytes(pending.key, stored[0])
        if (order <= 0 && pending !== undefined) {
          li++
          if (order === 0) at++
          if (pending.value !== DELETED) yield [pending.key, pending.value as V]
        } else if (stored !== undefined) {
          at++
          yield stored
        }
      }
    } finally {
      await it.close()
    }
  }

  /** `sync` waits for the OS to put the write on disk (the local user's own posts). */
  async commit (options: { sync?: boolean } = {}): Promise<void> {
    // Written to the root database with each table's prefix and encoding applied here: keys
    // (and small values) in one buffer, and no sublevel to prefix each key into a new array.
    const encoded: Array<string | Uint8Array | undefined> = []
    let size = 0
    for (const [table, overlay] of this.overlays) {
      const raw = rawOf(table)
      for (const { key, value } of overlay.slots.values()) {
        size += raw.prefix.length + key.length
        const data = value === DELETED ? undefined : raw.encode(value)
        if (data instanceof Uint8Array && data.byteLength <= IN_HEAP_BYTES) size += data.byteLength
        encoded.push(data)
      }
    }
    if (encoded.length === 0) return
    const view = packer(size)
    // One atomic write, as a chained batch. The two forms cost the same at 9 puts a batch, but
    // at the 512 posts a batch of a burst the array form cost 5 % more at ingest and 13 % at
    // storage (2026-12-01). A chained batch keeps its copy of the writes until V8 collects it,
    // which the array form does not (docs/upstream.md #14).
    const batch = this.db.batch()
    try {
      let i = 0
      for (const [table, overlay] of this.overlays) {
        const raw = rawOf(table)
        for (const { key } of overlay.slots.values()) {
          const data = encoded[i++]
          const rootKey = view([raw.prefix, key])
          if (data === undefined) batch.del(rootKey, DEL_OPTIONS)
          else if (typeof data === 'string') batch.put(rootKey, data as any, PUT_UTF8)
          else batch.put(rootKey, data.byteLength <= IN_HEAP_BYTES ? view([data]) : data, PUT_VIEW)
        }
      }
    } catch (err) {
      await batch.close()
      throw err
    }
    // `sync` is classic-level's (LevelDB's) option, beyond abstract-level's generic type
    await batch.write({ sync: options.sync === true } as unknown as AbstractChainedBatchWriteOptions)
  }
}
