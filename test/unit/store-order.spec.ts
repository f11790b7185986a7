import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { createStore } from '../../src/store/index.js'
import { T0, makeDelete, makeLabel, makePost, makeReaction, makeReply, makeReport, randomHex } from '../fixtures/messages.js'
import type { Message } from '../../src/post/model.js'
import type { PostStore } from '../../src/store/index.js'

/**
 * Gossip and sync deliver in any order, in any batches, and sync offers again what a peer
 * has. Whatever the order, after offering everything again until nothing new is stored (what
 * sync converges to), two nodes must hold the same messages with the same counters.
 */

interface Universe {
  messages: Message[]
  /** (target, author) pairs whose myReaction is compared */
  pairs: Array<[string, string]>
  /** ids whose labels are compared, and the moderators' topics */
  labelled: string[]
  mods: string[]
}

function universe (): Universe {
  const x = randomHex()
  const y = randomHex()
  const p1 = makePost({ createdAt: T0, tags: ['lyon'], geohash: 'u05kq' })
  const p2 = makePost({ createdAt: T0 + 1, tags: ['food'], geohash: '' })
  const r1 = makeReply(p1, { createdAt: T0 + 10 })
  const r2 = makeReply(p1, { createdAt: T0 + 11 })
  const r3 = makeReply(p2, { createdAt: T0 + 12 })
  const rBadTopics = makeReply(p1, { createdAt: T0 + 13, tags: ['paris'] })
  const rBogusRoot = makeReply(p1, { createdAt: T0 + 14, parent: r1.id, root: r1.id })
  const xLike = makeReaction(p1, 1, { author: x, createdAt: T0 + 20 })
  const xDislike = makeReaction(p1, -1, { author: x, createdAt: T0 + 21 })
  const yDislike = makeReaction(p1, -1, { author: y, createdAt: T0 + 20 })
  const xOnR1 = makeReaction(r1, 1, { author: x, createdAt: T0 + 22 })
  const yOnR1 = makeReaction(r1, -1, { author: y, createdAt: T0 + 23 })
  const yOnR1Later = makeReaction(r1, 1, { author: y, createdAt: T0 + 24 })
  const xOnR3 = makeReaction(r3, 1, { author: x, createdAt: T0 + 25 })
  const yOnBad = makeReaction(rBadTopics, 1, { author: y, createdAt: T0 + 26, tags: ['lyon'] })
  const xOnBad = makeReaction(rBadTopics, 1, { author: x, createdAt: T0 + 27 })
  const onReaction = makeReaction(xLike, 1, { author: y, createdAt: T0 + 28 })
  const wrongRoot = makeReaction(r1, 1, { createdAt: T0 + 29, root: p2.id, tags: ['food'], geohash: '' })
  const delR1 = makeDelete(r1, { createdAt: T0 + 30 })
  const delXDislike = makeDelete(xDislike, { createdAt: T0 + 31 })
  const forgedDelP1 = makeDelete(p1, { createdAt: T0 + 32, author: y })
  const delR3WrongRoot = makeDelete(r3, { createdAt: T0 + 33, root: p1.id, tags: ['lyon'], geohash: 'u05kq' })
  const delP2 = makeDelete(p2, { createdAt: T0 + 34 })
  const delYOnR1Later = makeDelete(yOnR1Later, { createdAt: T0 + 35 })
  const xTie = makeReaction(p1, 1, { author: x, createdAt: T0 + 21 }) // same time as xDislike: the larger id wins
  const delXLike = makeDelete(xLike, { createdAt: T0 + 36 }) // a reaction that a newer one may have replaced
  const delP1 = makeDelete(p1, { createdAt: T0 + 37 })
  // labels: the latest per (target, moderator) wins, a clear included; equal times, the larger id
  const modA = randomHex()
  const modB = randomHex()
  const aSpam = makeLabel(modA, [p1.id], 'spam', { createdAt: T0 + 40 })
  const aClear = makeLabel(modA, [p1.id, r1.id], 'clear', { createdAt: T0 + 41 })
  const aHate = makeLabel(modA, [p1.id], 'hate', { createdAt: T0 + 41 })
  const bNsfw = makeLabel(modB, [p1.id, r3.id], 'nsfw', { createdAt: T0 + 42 })
  const report = makeReport(modA, p2.id, 'spam', { createdAt: T0 + 43 })
  return {
    messages: [
      p1, p2, r1, r2, r3, rBadTopics, rBogusRoot, xLike, xDislike, yDislike, xOnR1, yOnR1, yOnR1Later,
      xOnR3, yOnBad, xOnBad, onReaction, wrongRoot, delR1, delXDislike, forgedDelP1, delR3WrongRoot, delP2, delYOnR1Later,
      xTie, delXLike, delP1, aSpam, aClear, aHate, bNsfw, report
    ],
    pairs: [[p1.id, x], [p1.id, y], [r1.id, x], [r1.id, y], [r3.id, x]],
    labelled: [p1.id, r1.id, r3.id],
    mods: [modA, modB]
  }
}

/** Offers everything again, in order, until nothing new is stored. */
async function settle (store: PostStore, messages: Message[]): Promise<void> {
  const rounds: string[][] = []
  for (let round = 0; round < 5; round++) {
    const results = await store.ingest(messages)
    if (!results.some(r => r.status === 'stored')) return
    rounds.push(results.map((r, i) => `${messages[i]?.kind ?? ''} ${r.status}${r.code === undefined ? '' : ':' + r.code}`))
  }
  assert.fail(`re-offering messages did not reach a fixed point:\n${rounds.map(r => r.join(', ')).join('\n')}`)
}

async function snapshot (store: PostStore, u: Universe): Promise<unknown> {
  const messages: Record<string, unknown> = {}
  for (const [i, m] of u.messages.entries()) {
    const got = await store.get(m.id)
    messages[`${i} ${m.kind}`] = got === undefined ? null : [got.up, got.down, got.replies]
  }
  const reactions = await Promise.all(u.pairs.map(async ([target, author]) => await store.myReaction(target, author) ?? null))
  const { tombstones, ...stats } = await store.stats()
  const entries: string[] = []
  for (const topic of ['tag:lyon', 'tag:food', 'tag:paris', 'geo:u05k', ...u.mods.map(m => `mod:${m}`)]) {
    for await (const e of store.topicEntries(topic, 0, Number.MAX_SAFE_INTEGER)) entries.push(`${topic} ${e.id}`)
  }
  const labels = (await store.labelsOf(u.labelled)).map(l => `${l.target} ${l.moderator} ${l.label} ${l.id}`).sort()
  return { messages, reactions, stats, entries: entries.sort(), labels }
}

const SIZE = universe().messages.length

describe('store: arrival order does not matter', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-store-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('any order and batching converges to the state of in-order delivery', async function () {
    this.timeout(120_000)
    let run = 0
    await fc.assert(fc.asyncProperty(
      fc.shuffledSubarray([...Array(SIZE).keys()], { minLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: SIZE, maxLength: SIZE }),
      async (picked, sizes) => {
        const u = universe()
        const chosen = picked.map(i => u.messages[i] as Message)
        const inOrder = [...picked].sort((a, b) => a - b).map(i => u.messages[i] as Message)
        const a = createStore({ path: join(dir, `a${run}`) })
        const b = createStore({ path: join(dir, `b${run}`) })
        run++
        await Promise.all([a.start(), b.start()])
        try {
          for (const m of inOrder) await a.ingest([m])
          await settle(a, inOrder)
          let at = 0
          for (const size of sizes) {
            if (at >= chosen.length) break
            await b.ingest(chosen.slice(at, at + size))
            at += size
          }
          if (at < chosen.length) await b.ingest(chosen.slice(at))
          await settle(b, chosen)
          assert.deepEqual(await snapshot(b, u), await snapshot(a, u))
        } finally {
          await Promise.all([a.stop(), b.stop()])
        }
      }
    ), { numRuns: 60 })
  })
})
