// Property-based fuzzing of a history-sync responder over a stream pair: random frame
// sequences, with or without a valid open, end in a sync error or cleanly, never anything
// else, and nothing invalid reaches its store. It still serves an honest session afterwards.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { streamPair } from '@libp2p/utils'
import { FuzzStore, genuineEnvelopes, liveMessages, syncResponderProperty } from '../helpers/fuzz-properties.js'
import { respondSession, initiateSession, newProgress, DEFAULT_LIMITS, type SessionContext } from '../../src/sync/index.js'
import type { Message } from '../../src/post/model.js'

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
    const mine = new FuzzStore(seeds.slice(0, 4))
    const theirs = new FuzzStore(seeds.slice(4))
    const ctx = (s: FuzzStore, role: 'initiator' | 'responder'): SessionContext => ({ store: s, ingestor: s, limits: DEFAULT_LIMITS, progress: newProgress('peer', 'tag:fuzz', role), signal: AbortSignal.timeout(10_000) })
    const [a, b] = await streamPair()
    await Promise.all([respondSession(b, ctx(mine, 'responder'), t => t === 'tag:fuzz'), initiateSession(a, 'tag:fuzz', ctx(theirs, 'initiator'))])
    assert.equal(mine.messages.size, 8)
    assert.equal(theirs.messages.size, 8)
  })
})
