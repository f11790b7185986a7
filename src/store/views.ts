// Feeds from memory: for the few feeds (Hot, New or Near me, of a topic, a neighbourhood or of
// everything) a user read lately, the best-ranked posts with their exact keys, kept exact by
// every commit. A page read from LevelDB opens an iterator per index range (two for Hot, about
// nine cells' for Near me) and waits on libuv's pool for each before it knows its first post;
// from a view it is one load of the page's records. A feed's first page is read from LevelDB as
// before, and its view built after it, in the background. The user's place lives only here, in
// memory, as it does in the query that brought it: nothing of it is written to disk.

import { compareKeyed, compareRanked, type Keyed, type Rankable } from '../ranking/index.js'
import type { Merged } from './merge.js'
import type { StoredPost } from './types.js'

/** What a commit did to a root post's place in the feeds: its counters after it, or its removal. */
export interface RankChange {
  id: string
  createdAt: number
  geohash: string
  /** the sources (FeedSpec) whose index ranges hold it */
  sources: readonly string[]
  up: number
  down: number
  replies: number
  removed: boolean
}

/** A feed a view serves. */
export interface FeedSpec {
  /** the query's sort, origin, topic and cells, as one string: a view is reused for exactly these */
  name: string
  /**
   * the index ranges whose root posts it ranks, as the store names them: a topic, a Near-me
   * cell, or '' for every root post
   */
  sources: readonly string[]
  /** the feed's exact sort key of a post (for Near, seen from the query's origin) */
  keyOf: (post: Rankable) => number
}

export interface PageRequest {
  limit: number
  keep: (post: StoredPost | undefined) => post is StoredPost
  load: (ids: string[]) => Promise<Array<StoredPost | undefined>>
}

export interface FeedViewsOptions {
  /** posts a view holds: pages of up to half of it are served from it */
  entries: number
  /** views kept, the least recently read dropped first */
  views: number
}

interface View {
  sources: Set<string>
  keyOf: (post: Rankable) => number
  /** best first */
  entries: Keyed[]
  /** the ids of `entries`: most changes a commit brings are of posts a view does not hold */
  held: Set<string>
  /** every post of its sources that ranks at or before this is in `entries`; undefined: every post is */
  floor?: Keyed
}

/** Changes committed while a view was being built, replayed onto it; `broken` after a failed commit. */
interface Building {
  changes: RankChange[]
  broken: boolean
}

export interface FeedViews {
  /**
   * A page from the feed's view; undefined when there is none, or when it cannot answer (the
   * page's filters left too few of its posts): read the ranges.
   */
  page(where: FeedSpec, request: PageRequest): Promise<StoredPost[] | undefined>
  /**
   * Builds the feed's view with `merge` (of its sources' ranges, keeping every root post, as
   * what ranks them: no more is kept) unless it has one or another is being built; settles when done, never rejects (a failed
   * build leaves no view).
   */
  build(where: FeedSpec, merge: (limit: number) => Promise<Merged<Rankable>>): Promise<void>
  /** Settles once no view is being built. */
  idle(): Promise<void>
  /** After a commit: each changed post moves, enters or leaves the views whose sources hold it. */
  apply(changes: Iterable<RankChange>): void
  /** After a failed commit (which may have written all the same), or at stop: every view goes. */
  clear(): void
}

export function createFeedViews (options: FeedViewsOptions): FeedViews {
  const views = new Map<string, View>()
  // one build at a time (`current`), and what commits did meanwhile (`building`)
  let building: Building | undefined
  let current: Promise<void> | undefined

  function update (view: View, change: RankChange): void {
    if (!change.sources.some(source => view.sources.has(source))) return
    if (view.held.delete(change.id)) view.entries.splice(view.entries.findIndex(e => e.id === change.id), 1)
    if (change.removed) return
    const entry = { key: view.keyOf(change), createdAt: change.createdAt, id: change.id }
    if (view.floor !== undefined && compareKeyed(entry, view.floor) > 0) return
    const after = view.entries.findIndex(e => compareKeyed(entry, e) < 0)
    view.entries.splice(after < 0 ? view.entries.length : after, 0, entry)
    view.held.add(entry.id)
    if (view.entries.length > options.entries) {
      const dropped = view.entries.pop() as Keyed
      view.held.delete(dropped.id)
      view.floor = view.entries[view.entries.length - 1]
    }
  }

  async function open (where: FeedSpec, merge: (limit: number) => Promise<Merged<Rankable>>): Promise<void> {
    const pending: Building = { changes: [], broken: false }
    building = pending
    let merged: Merged<Rankable>
    try {
      // the page that asked goes out first
      await new Promise(resolve => setImmediate(resolve))
      merged = await merge(options.entries)
    } finally {
      building = undefined
    }
    if (pending.broken || !merged.settled) return
    const entries = merged.posts.map(post => ({ key: where.keyOf(post), createdAt: post.createdAt, id: post.id }))
    const view: View = {
      sources: new Set(where.sources),
      keyOf: where.keyOf,
      entries,
      held: new Set(entries.map(e => e.id)),
      ...(entries.length >= options.entries ? { floor: entries[entries.length - 1] } : {})
    }
    // the merge read some of these changes and not others: each sets its post's final place
    for (const change of pending.changes) update(view, change)
    views.set(where.name, view)
    for (const name of views.keys()) {
      if (views.size <= options.views) break
      views.delete(name)
    }
  }

  return {
    async page (where, request) {
      const view = views.get(where.name)
      if (view === undefined || request.limit > options.entries / 2) return undefined
      views.delete(where.name)
      views.set(where.name, view)
      // commits during the loads below change the view, not this page's list of candidates
      const candidates = view.entries.slice()
      const complete = view.floor === undefined
      const picked: Array<{ post: StoredPost, key: number }> = []
      let at = 0
      while (picked.length < request.limit && at < candidates.length) {
        // the page at first; then twice what is missing, since the filters took some
        const ids = candidates.slice(at, at + (at === 0 ? 1 : 2) * (request.limit - picked.length)).map(e => e.id)
        at += ids.length
        for (const post of await request.load(ids)) if (request.keep(post)) picked.push({ post, key: where.keyOf(post) })
      }
      if (picked.length < request.limit && !complete) {
        // removals shrank it (expiry, deletes): built again after the page the ranges serve; a
        // fuller view that the page's filters empty would be built again no better
        if (candidates.length < options.entries / 2) views.delete(where.name)
        return undefined
      }
      // keyed as loaded: a commit between the view's copy and the load may have moved a post
      return picked.sort(compareRanked).slice(0, request.limit).map(({ post }) => post)
    },

    async build (where, merge) {
      if (views.has(where.name) || current !== undefined) return
      current = open(where, merge).catch(() => {}).finally(() => { current = undefined })
      await current
    },

    async idle () {
      await current
    },

    apply (changes) {
      if (views.size === 0 && building === undefined) return
      for (const change of changes) {
        for (const view of views.values()) update(view, change)
        building?.changes.push(change)
      }
    },

    clear () {
      views.clear()
      if (building !== undefined) building.broken = true
    }
  }
}
