// A write transaction over several sublevels: reads see the transaction's own pending writes,
// and everything commits as ONE atomic LevelDB batch (or not at all).

import { compareBytes, prefixRange } from './keys.js'
import type { AbstractBatchOptions, AbstractLevel, AbstractSublevel } from 'abstract-level'

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

/** A byte string as a Map key: one char per byte (faster than hex, and a prefix stays a prefix). */
function mapKey (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

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

  constructor (private readonly db: RootDb) {}

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

  async get<V>(table: Table<V>, key: Uint8Array): Promise<V | undefined> {
    const mk = mapKey(key)
    const slot = this.overlays.get(table)?.slots.get(mk)
    if (slot !== undefined) return slot.value === DELETED ? undefined : slot.value as V
    let cache = this.cache.get(table)
    if (cache?.has(mk) === true) return cache.get(mk) as V | undefined
    const value = await table.sub.get(key)
    if (cache === undefined) {
      cache = new Map()
      this.cache.set(table, cache)
    }
    cache.set(mk, value)
    return value
  }

  /** Reads many keys in one round trip ahead of the get() calls that will need them. */
  async prefetch<V>(table: Table<V>, keys: Iterable<Uint8Array>): Promise<void> {
    let cache = this.cache.get(table)
    if (cache === undefined) {
      cache = new Map()
      this.cache.set(table, cache)
    }
    const overlay = this.overlays.get(table)
    const wanted = new Map<string, Uint8Array>()
    for (const key of keys) {
      const mk = mapKey(key)
      if (!cache.has(mk) && overlay?.slots.has(mk) !== true) wanted.set(mk, key)
    }
    if (wanted.size === 0) return
    const values = await table.sub.getMany([...wanted.values()])
    let i = 0
    for (const mk of wanted.keys()) cache.set(mk, values[i++])
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
    const ops: any[] = []
    for (const [table, overlay] of this.overlays) {
      for (const { key, value } of overlay.slots.values()) {
        ops.push(value === DELETED
          ? { type: 'del', sublevel: table.sub, key }
          : { type: 'put', sublevel: table.sub, key, value })
      }
    }
    // `sync` is classic-level's (LevelDB's) option, beyond abstract-level's generic type
    const batchOptions = { sync: options.sync === true } as unknown as AbstractBatchOptions<Uint8Array, Uint8Array>
    if (ops.length > 0) await this.db.batch(ops, batchOptions)
  }
}
