// Property-based fuzzing of a history-sync responder over a stream pair: random frame
// sequences, with or without a valid open, end in a sync error or cleanly, never anything
// else, and nothing invalid reaches its store. It still serves an honest session afterwards.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { streamPair } from '@libp2p/utils'
import { genuineEnvelopes, liveMessages, syncResponderProperty } from '../helpers/fuzz-properties.js'
import { respondSession, initiateSession, newProgress, DEFAULT_LIMITS, type SessionContext } from '../../src/sync/index.js'
import { validateEnvelope, uniformPolicy } from '../../src/post/index.js'
import type { Message } from '../../src/post/model.js'
import type { IngestOutcome } from '../../src/node/ingest.js'

describe('fuzz: sync frames at a session responder', function () {
  this.timeout(180_000)
  let seeds: Message[]
  let foreign: Uint8Array[]
  before(async () => {
    seeds = await liveMessages(8)
    foreign = await genuineEnvelopes()
  })

  it('ends every random session with a sync error or cleanly, and stores nothing invalid', async () => {
    await fc.assert(syncResponderProperty(seeds, foreign), { numRuns: 200 })
  })

  it('still reconciles with an honest initiator afterwards', async () => {
    const held = new Map(seeds.slice(0, 4).map(m => [m.id, m]))
    const store = {
      async * topicEntries () { for (const m of held.values()) yield { createdAt: m.createdAt, id: m.id } },
      getEnvelopes: async (ids: string[]) => ids.map(id => held.get(id)?.envelope),
      lacks: async (ids: string[]) => ids.map(id => !held.has(id)),
      submitMany: async (envelopes: Uint8Array[]) => envelopes.map((e): IngestOutcome => {
        const v = validateEnvelope(e, { now: Date.now(), pow: uniformPolicy(0) })
        if (!v.ok) return { status: 'refused', severity: v.severity, code: v.code, reason: v.reason }
        held.set(v.message.id, v.message)
        return { status: 'stored', message: v.message }
      })
    }
    const theirs = new Map(seeds.slice(4).map(m => [m.id, m]))
    const other = { ...store, async * topicEntries () { for (const m of theirs.values()) yield { createdAt: m.createdAt, id: m.id } }, getEnvelopes: async (ids: string[]) => ids.map(id => theirs.get(id)?.envelope), lacks: async (ids: string[]) => ids.map(id => !theirs.has(id)), submitMany: async (envelopes: Uint8Array[]) => envelopes.map((e): IngestOutcome => { const v = validateEnvelope(e, { now: Date.now(), pow: uniformPolicy(0) }); if (!v.ok) return { status: 'refused', severity: v.severity, code: v.code, reason: v.reason }; theirs.set(v.message.id, v.message); return { status: 'stored', message: v.message } }) }
    const ctx = (s: any, role: 'initiator' | 'responder'): SessionContext => ({ store: s, ingestor: s, limits: DEFAULT_LIMITS, progress: newProgress('peer', 'tag:fuzz', role), signal: AbortSignal.timeout(10_000) })
    const [a, b] = await streamPair()
    await Promise.all([respondSession(b, ctx(store, 'responder'), t => t === 'tag:fuzz'), initiateSession(a, 'tag:fuzz', ctx(other, 'initiator'))])
    assert.equal(held.size, 8)
    assert.equal(theirs.size, 8)
  })
})
