// Brings a store written by an older schema to the current key layout when it opens: in
// batches, each step safe to run again after a crash, the schema version written last.

import { TS_LEN, concat, idBytes, tailEntry, u64, utf8 } from './keys.js'
import type { RootDb, Table } from './tx.js'
import type { MessageRecord } from './store.js'
import type { UpgradeProgress } from './types.js'

const BATCH = 1_000

export interface V1Tables {
  records: Table<MessageRecord>
  byTopic: Table<Uint8Array>
  byTopicAll: Table<Uint8Array>
  byGeo: Table<Uint8Array>
}

export type Report = (step: UpgradeProgress['step'], done: number) => void

/**
 * Calls `each` with the table's entries, BATCH at a time in key order (`each` may write to the
 * table), and reports the entries done after each batch.
 */
async function forEachBatch<V> (table: Table<V>, each: (entries: Array<[Uint8Array, V]>) => Promise<void>, report: (done: number) => void): Promise<void> {
  let after: Uint8Array | undefined
  let done = 0
  while (true) {
    const entries = await table.sub.iterator({ ...(after === undefined ? {} : { gt: after }), limit: BATCH }).all()
    if (entries.length === 0) return
    await each(entries)
    report(done += entries.length)
    after = entries[entries.length - 1]?.[0]
  }
}

/** The records of the posts these index keys (…, id) name, in order: undefined where none is stored. */
async function recordsOf (t: V1Tables, keys: Uint8Array[]): Promise<Array<MessageRecord | undefined>> {
  return await t.records.sub.getMany(keys.map(key => idBytes(tailEntry(key).id)))
}

/**
 * Schema 1 → 2: (1) a root post's by-topic entry takes its expiry and its geohash as value,
 * the expiry from the by-topic-all twin it replaces; (2) by-geo keeps the Near-me precisions
 * above the geo cell's (5 and 6), each entry with the geohash as value; (3) the JSON records
 * go, records are read from the envelopes.
 */
export async function migrateFromV1 (db: RootDb, t: V1Tables, minGeo: number, maxGeo: number, report: Report): Promise<void> {
  await forEachBatch(t.byTopic, async entries => {
    // an entry of 8 bytes has its expiry from a run of this step that stopped before the geohash was written
    const stale = entries.filter(([, value]) => value.byteLength <= TS_LEN).map(([key]) => key)
    if (stale.length === 0) return
    const [twins, records] = await Promise.all([t.byTopicAll.sub.getMany(stale), recordsOf(t, stale)])
    const ops: any[] = []
    for (const [i, key] of stale.entries()) {
      // every root post had its twin; the record is the fallback so no entry is left without expiry
      const expiry = twins[i] ?? u64(records[i]?.expiresAt ?? 0)
      ops.push({ type: 'put', sublevel: t.byTopic.sub, key, value: concat(expiry, utf8(records[i]?.geohash ?? '')) }, { type: 'del', sublevel: t.byTopicAll.sub, key })
    }
    await db.batch(ops)
  }, done => { report('topic index', done) })
  await forEachBatch(t.byGeo, async entries => {
    // a by-geo key starts with its prefix's length byte
    const kept = (key: Uint8Array): boolean => (key[0] ?? 0) >= minGeo && (key[0] ?? 0) <= maxGeo
    const ops: any[] = entries.filter(([key]) => !kept(key)).map(([key]) => ({ type: 'del' as const, sublevel: t.byGeo.sub, key }))
    const unplaced = entries.filter(([key, value]) => kept(key) && value.byteLength === 0).map(([key]) => key)
    const records = unplaced.length > 0 ? await recordsOf(t, unplaced) : []
    for (const [i, key] of unplaced.entries()) ops.push({ type: 'put', sublevel: t.byGeo.sub, key, value: utf8(records[i]?.geohash ?? '') })
    if (ops.length > 0) await db.batch(ops)
  }, done => { report('geo index', done) })
  report('old records', 0)
  await db.sublevel<Uint8Array, Uint8Array>('m', { keyEncoding: 'view', valueEncoding: 'view' }).clear()
  report('compaction', 0)
  await compact(db, ['a', 'g', 'm'])
}

/**
 * LevelDB keeps a deleted key's tombstone until a compaction reaches its file, and an
 * iterator steps over tombstones one by one even past its own upper bound: after the
 * migration of a 1 000 000-post store, listing the two joined topics (`j`, just before `m`)
 * read through a million deleted records, 210 MB of table files pulled into the process's
 * RSS on every start. Compacting the emptied ranges once drops them (3 s there, and the
 * database shrank from 769 to 555 MB). classic-level has compactRange; other levels skip it.
 */
async function compact (db: RootDb, sublevels: string[]): Promise<void> {
  const compactRange = (db as unknown as { compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void> }).compactRange
  if (typeof compactRange !== 'function') return
  for (const name of sublevels) await compactRange.call(db, utf8(`!${name}!`), utf8(`!${name}"`))
}
