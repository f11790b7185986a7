import assert from 'node:assert/strict'
import { syncProgressLine } from '../../src/cli/format.js'
import type { SyncSessionView } from '../../src/sync/index.js'

function session (over: Partial<SyncSessionView>): SyncSessionView {
  return { peer: 'p', topic: 'tag:lyon', role: 'initiator', phase: 'fetch', have: 0, need: 0, received: 0, stored: 0, sent: 0, rounds: 1, roundTrips: 2, bytesIn: 0, bytesOut: 0, durationMs: 10, ...over }
}

describe('cli: sync progress line', () => {
  it('waits for a peer, then compares, then fills a bar of received against needed', () => {
    assert.equal(syncProgressLine('tag:lyon', []), 'tag:lyon  waiting for a peer to sync with…')
    assert.equal(syncProgressLine('tag:lyon', [session({ phase: 'reconcile' })]), 'tag:lyon  comparing histories with 1 peer…')
    const line = syncProgressLine('tag:lyon', [session({ need: 100, received: 50 }), session({ peer: 'q', need: 100, received: 0 })])
    assert.equal(line, `tag:lyon  ${'█'.repeat(6)}${'░'.repeat(18)}  50/200 messages from 2 peers`)
    assert.match(syncProgressLine('tag:lyon', [session({ need: 10, received: 10 })]), /█{24} {2}10\/10/)
  })

  it('counts only this topic\'s sessions that we started', () => {
    const others = [session({ topic: 'tag:paris', need: 5 }), session({ role: 'responder', need: 5 })]
    assert.equal(syncProgressLine('tag:lyon', others), 'tag:lyon  waiting for a peer to sync with…')
  })
})
