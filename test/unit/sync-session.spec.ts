// Sync sessions over an in-memory stream pair, against stub stores: a nostr-tools initiator
// driven by hand through murmur's frames, two murmur sides learning each other's posts, and
// the responder's refusals.

import assert from 'node:assert/strict'
import { nip77 } from 'nostr-tools'
import { pbStream, streamPair } from '@libp2p/utils'
import pWaitFor from 'p-wait-for'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { createMessage, decodeEnvelope, encodeEnvelope, uniformPolicy, validateEnvelope } from '../../src/post/index.js'
import { Negentropy, NegentropyStorage } from '../../src/sync/negentropy.js'
import { initiateSession, respondSession, newProgress, DEFAULT_LIMITS, SyncFrame, SyncRemoteError, type SessionContext } from '../../src/sync/index.js'
import type { Ingestor, IngestOutcome } from '../../src/node/ingest.js'
import type { PostStore, TopicEntry } from '../../src/store/index.js'
import type { Message } from '../../src/post/model.js'

const pow = uniformPolicy(0)

/** Just what a session reads and writes, in memory; ingest runs the real validation pipeline. */
class StubStore {
  readonly messages = new Map<string, Message>()

  async * topicEntries (topic: string, from: number, to: number, options: { now?: number } = {}): AsyncGenerator<TopicEntry> {
    const tag = topic.slice('tag:'.length)
    const entries = [...this.messages.values()]
      .filter(m => m.tags.includes(tag) && m.createdAt >= from && m.createdAt < to && (options.now == null || m.expiresAt > options.now))
      .sort((a, b) => a.createdAt - b.createdAt)
    for (const m of entries) yield { createdAt: m.createdAt, id: m.id }
  }

  async getEnvelopes (ids: string[]): Promise<Array<Uint8Array | undefined>> { return ids.map(id => this.messages.get(id)?.envelope) }
  async lacking (ids: string[]): Promise<string[]> { return ids.filter(id => !this.messages.has(id)) }

  readonly ingestor: Pick<Ingestor, 'submitMany'> = {
    submitMany: async (envelopes, options = {}) => envelopes.map((envelope): IngestOutcome => {
      const verdict = validateEnvelope(envelope, { now: Date.now(), pow, ...(options.topic != null ? { topic: options.topic } : {}) })
      if (!verdict.ok) return { status: 'refused', severity: verdict.severity, code: verdict.code, reason: verdict.reason }
      if (this.messages.has(verdict.message.id)) return { status: 'known', message: verdict.message, code: 'DUPLICATE' }
      this.messages.set(verdict.message.id, verdict.message)
      return { status: 'stored', message: verdict.message }
    })
  }

  ids (): Set<string> { return new Set(this.messages.keys()) }
}

function context (store: StubStore, role: 'initiator' | 'responder'): SessionContext {
  return {
    store: store as unknown as Pick<PostStore, 'topicEntries' | 'getEnvelopes' | 'lacking'>,
    ingestor: store.ingestor,
    limits: { ...DEFAULT_LIMITS, frameTimeoutMs: 2_000, negFrameBytes: 4_096 },
    progress: newProgress('peer', 'tag:unit', role),
    signal: AbortSignal.timeout(30_000)
  }
}

/**
 * Holds every batch `store`'s pipeline is handed until released, and notes whether the first
 * 256 envelopes (batches 1–4, frames of 64) had settled when the ninth batch came.
 */
function gated (store: StubStore): { batches: () => number, release: () => void, firstSettled: () => boolean, firstSettledAtThird: () => boolean | undefined } {
  const submit = store.ingestor.submitMany
  let letGo: () => void = () => {}
  const gate = new Promise<void>(resolve => { letGo = resolve })
  let batches = 0
  let firstSettled = false
  let atThird: boolean | undefined
  store.ingestor.submitMany = async (envelopes, options) => {
    const batch = ++batches
    if (batch === 9) atThird = firstSettled
    await gate
    const outcomes = await submit(envelopes, options)
    if (batch === 4) firstSettled = true
    return outcomes
  }
  return { batches: () => batches, release: letGo, firstSettled: () => firstSettled, firstSettledAtThird: () => atThird }
}

/** A Negentropy v1 message for an empty set: an initiator holding nothing. */
const EMPTY_SET = Uint8Array.of(0x61, 0x00, 0x00, 0x02, 0x00)

/**
 * A responder on `store`, and an initiator driven by hand that has opened tag:unit and
 * reconciled holding nothing: its frames are ready for the turns.
 */
async function reconciledByHand (store: StubStore): Promise<{ frames: ReturnType<ReturnType<typeof pbStream>['pb']>, serving: Promise<void> }> {
  const [outbound, inbound] = await streamPair()
  const serving = respondSession(inbound, context(store, 'responder'), () => true)
  const frames = pbStream(outbound).pb(SyncFrame)
  await frames.write({ open: { topic: 'tag:unit', since: BigInt(Date.now() - DEFAULT_LIMITS.windowMs) } })
  await frames.write({ neg: EMPTY_SET })
  await frames.read()
  return { frames, serving }
}

const key = crypto.getRandomValues(new Uint8Array(32))
let made: Message[] = []

/** `count` posts on tag:unit, created a second apart (few enough to build with the real builder). */
async function posts (count: number): Promise<Message[]> {
  while (made.length < count) {
    const now = Date.now()
    const { message } = await createMessage({ kind: 'post', text: `unit ${made.length}`, tags: ['unit'], createdAt: now - made.length * 1_000, expiresAt: now + 86_400_000 }, key, { pow })
    made.push(message)
  }
  return made.slice(0, count)
}

describe('sync: sessions over a stream pair', function () {
  this.timeout(60_000)
  after(() => { made = [] })

  it('lets a nostr-tools initiator, driven by hand, reconcile and fetch through murmur frames', async () => {
    const all = await posts(120)
    const responder = new StubStore()
    for (const m of all.slice(0, 100)) responder.messages.set(m.id, m)
    // the initiator holds 40 of them, 20 of which the responder lacks
    const mine = all.slice(80, 120)
    const [outbound, inbound] = await streamPair()
    const serving = respondSession(inbound, context(responder, 'responder'), topic => topic === 'tag:unit')

    const vector = new nip77.NegentropyStorageVector()
    for (const m of mine) vector.insert(Math.floor(m.createdAt / 1000), m.id)
    vector.seal()
    const neg = new nip77.Negentropy(vector, 4_096)
    const frames = pbStream(outbound).pb(SyncFrame)
    const have: string[] = []
    const need: string[] = []
    await frames.write({ open: { topic: 'tag:unit', since: BigInt(Date.now() - DEFAULT_LIMITS.windowMs) } })
    await frames.write({ neg: hexToBytes(neg.initiate()) })
    while (true) {
      const answer = await frames.read()
      assert.ok(answer.neg != null)
      const next = neg.reconcile(bytesToHex(answer.neg), id => have.push(id), id => need.push(id))
      if (next == null) break
      await frames.write({ neg: hexToBytes(next) })
    }
    assert.deepEqual(new Set(need), new Set(all.slice(0, 80).map(m => m.id)))
    assert.deepEqual(new Set(have), new Set(all.slice(100, 120).map(m => m.id)))

    // fetch what we lack: each want is answered by envelopes frames up to the one marked end
    const received: string[] = []
    for (let i = 0; i < need.length; i += 50) {
      await frames.write({ want: { ids: need.slice(i, i + 50).map(hexToBytes) } })
      while (true) {
        const answer = await frames.read()
        assert.ok(answer.envelopes != null)
        for (const envelope of answer.envelopes.items) {
          const verdict = validateEnvelope(envelope, { now: Date.now(), pow })
          assert.ok(verdict.ok)
          received.push(verdict.message.id)
        }
        if (answer.envelopes.end) break
      }
    }
    assert.deepEqual(received.sort(), [...need].sort())
    await frames.write({ done: true })
    assert.equal((await frames.read()).done, true)
    await serving
  })

  it('leaves both murmur sides with the union, in one session', async () => {
    const all = await posts(150)
    const a = new StubStore()
    const b = new StubStore()
    all.forEach((m, i) => {
      if (i % 3 !== 0) a.messages.set(m.id, m)
      if (i % 3 !== 1) b.messages.set(m.id, m)
    })
    const [outbound, inbound] = await streamPair()
    const ctxA = context(a, 'initiator')
    const ctxB = context(b, 'responder')
    await Promise.all([
      initiateSession(outbound, 'tag:unit', ctxA),
      respondSession(inbound, ctxB, () => true)
    ])
    const union = new Set(all.map(m => m.id))
    assert.deepEqual(a.ids(), union)
    assert.deepEqual(b.ids(), union)
    assert.deepEqual({ need: ctxA.progress.need, have: ctxA.progress.have, stored: ctxA.progress.stored }, { need: 50, have: 50, stored: 50 })
    assert.equal(ctxB.progress.stored, 50)
    assert.ok(ctxA.progress.bytesOut > 0 && ctxA.progress.bytesIn > 0)
    // pushing the 50 and fetching the other 50 took one round trip after the reconciliation
    assert.equal(ctxA.progress.roundTrips, ctxA.progress.rounds + 1)
  })

  it('takes a round trip per two turns of 256 each way, and one for done alone when nothing differs', async () => {
    const all = await posts(1_200)
    const a = new StubStore()
    const b = new StubStore()
    // a lacks 80 (one turn of wants), b lacks 1 120 (five turns of pushes): turns 1 and 2 go at
    // once, turns 3 and 4 once the answers to 1 and 2 are read, turn 5 after the answer to 3
    all.forEach((m, i) => {
      if (i >= 80) a.messages.set(m.id, m)
      if (i < 80) b.messages.set(m.id, m)
    })
    for (const expected of [{ roundTrips: 3, stored: 80 }, { roundTrips: 1, stored: 0 }]) {
      const [outbound, inbound] = await streamPair()
      const ctxA = context(a, 'initiator')
      const ctxB = context(b, 'responder')
      await Promise.all([initiateSession(outbound, 'tag:unit', ctxA), respondSession(inbound, ctxB, () => true)])
      assert.equal(ctxA.progress.roundTrips, ctxA.progress.rounds + expected.roundTrips)
      assert.equal(ctxA.progress.stored, expected.stored)
      assert.deepEqual(a.ids(), b.ids())
    }
  })

  it('sends done at once when the turns left come to nothing, not after the answers', async () => {
    const all = await posts(300)
    const a = new StubStore()
    const b = new StubStore()
    for (const m of all) b.messages.set(m.id, m)
    // a lacks 300, but gossip brings the last 44 before their turn is built
    const lacking = a.lacking.bind(a)
    let calls = 0
    a.lacking = async ids => ++calls === 2 ? [] : await lacking(ids)
    const [outbound, inbound] = await streamPair()
    const ctxA = context(a, 'initiator')
    await Promise.all([initiateSession(outbound, 'tag:unit', ctxA), respondSession(inbound, context(b, 'responder'), () => true)])
    assert.equal(ctxA.progress.stored, 256)
    assert.equal(ctxA.progress.roundTrips, ctxA.progress.rounds + 1)
  })

  it('reads the next turn while the last one\'s pushes settle, never a third', async () => {
    const all = await posts(520)
    const initiator = new StubStore()
    for (const m of all) initiator.messages.set(m.id, m)
    // the responder's pipeline holds every batch until let go
    // a turn pushes 256 envelopes in frames of 64: batches 1–4 are the first turn, 9 starts the third
    const responder = new StubStore()
    const pipeline = gated(responder)
    const [outbound, inbound] = await streamPair()
    const ctx = context(responder, 'responder')
    const session = initiateSession(outbound, 'tag:unit', context(initiator, 'initiator'))
    const serving = respondSession(inbound, ctx, () => true)
    // the second turn's pushes are in the pipeline beside the first's
    await pWaitFor(() => pipeline.batches() === 8, { timeout: 20_000 })
    pipeline.release()
    await Promise.all([session, serving])
    assert.equal(pipeline.firstSettledAtThird(), true, 'the third turn waited for the first to settle')
    assert.deepEqual(responder.ids(), initiator.ids())
    assert.equal(ctx.progress.stored, 520)
  })

  it('refuses pushes an honest initiator would not send', async () => {
    const all = await posts(300)
    const held = all[0]
    const mine = all.slice(1)
    const one = (m: Message): SyncFrame => ({ envelopes: { items: [m.envelope as Uint8Array<ArrayBuffer>], end: false } })
    const ends: SyncFrame = { want: { ids: [] } }
    const cases: Array<[string, SyncFrame[], RegExp]> = [
      ['an envelope the responder holds', [one(held), ends], /pushed an envelope we hold/],
      ['the same envelope twice in a turn', [{ envelopes: { items: [mine[0].envelope, mine[0].envelope] as Array<Uint8Array<ArrayBuffer>>, end: false } }, ends], /twice in a turn/],
      ['an envelope that does not decode', [{ envelopes: { items: [Uint8Array.of(1, 2, 3)], end: false } }, ends], /does not decode/],
      ['an empty push frame', [{ envelopes: { items: [], end: false } }, ends], /pushed no envelopes/],
      ['a turn with nothing in it', [ends], /an empty turn/],
      ['more than 256 in a turn', [...mine.slice(0, 257).map(one), ends], /more than a turn/],
      ['done before the want that ends a turn', [one(mine[2]), { done: true }], /done before the want/],
      ['a neg frame in a turn', [one(mine[2]), { neg: EMPTY_SET }], /a neg frame after/],
      ['a neg frame after a turn', [one(mine[2]), ends, { neg: EMPTY_SET }], /a neg frame after/]
    ]
    for (const [name, turn, reason] of cases) {
      const responder = new StubStore()
      responder.messages.set(held.id, held)
      const { frames, serving } = await reconciledByHand(responder)
      for (const frame of turn) await frames.write(frame)
      await assert.rejects(serving, (err: Error) => err.name === 'SyncProtocolError' && reason.test(err.message), name)
    }
  })

  it('keeps two wants ahead of the answer settling, and never reads a third answer before the first settled', async () => {
    const all = await posts(900)
    const responder = new StubStore()
    for (const m of all) responder.messages.set(m.id, m)
    // each want's answer is served by one getEnvelopes; count them as they come
    let served = 0
    let firstSettledAtFourth: boolean | undefined
    const getEnvelopes = responder.getEnvelopes.bind(responder)
    responder.getEnvelopes = async ids => {
      if (++served === 4) firstSettledAtFourth = pipeline.firstSettled()
      return await getEnvelopes(ids)
    }
    // each answer of 256 envelopes comes in frames of 64: batches 1–4 are the first, 9 starts the third
    const initiator = new StubStore()
    const pipeline = gated(initiator)
    const [outbound, inbound] = await streamPair()
    const ctx = context(initiator, 'initiator')
    const session = initiateSession(outbound, 'tag:unit', ctx)
    const serving = respondSession(inbound, context(responder, 'responder'), () => true)
    // wants 1 and 2 at once, want 3 once answer 1 is read: two answers settling, one on its way
    await pWaitFor(() => served === 3 && pipeline.batches() === 8, { timeout: 20_000 })
    pipeline.release()
    await Promise.all([session, serving])
    assert.equal(firstSettledAtFourth, true, 'the fourth want waited for the first answer to settle')
    assert.equal(pipeline.firstSettledAtThird(), true, 'the third answer was read before the first settled')
    assert.deepEqual(initiator.ids(), responder.ids())
    assert.equal(ctx.progress.stored, 900)
  })

  it('ends the session as soon as a pushed or fetched envelope is judged invalid, without waiting for the peer', async () => {
    const [post] = await posts(1)
    const envelope = decodeEnvelope(post.envelope)
    const forged = encodeEnvelope({ ...envelope, signature: envelope.signature.map((b, i) => i === 0 ? b ^ 1 : b) })

    // an initiator that pushes it and then says nothing (no want ends the turn)
    const { frames, serving } = await reconciledByHand(new StubStore())
    await frames.write({ envelopes: { items: [forged], end: false } })
    // the frame timeout is 2 s: a session waiting for the want would end with SyncTimeoutError
    await assert.rejects(serving, (err: Error) => err.name === 'SyncProtocolError' && /invalid envelope: BAD_SIGNATURE/.test(err.message))

    // a responder that lists it, sends it in a frame not marked end, then says nothing
    const [out2, in2] = await streamPair()
    const session = initiateSession(out2, 'tag:unit', context(new StubStore(), 'initiator'))
    const peer = pbStream(in2).pb(SyncFrame)
    await peer.read()
    const query = await peer.read()
    const theirs = new Negentropy(NegentropyStorage.from([{ timestamp: Math.floor(post.createdAt / 1000), id: hexToBytes(post.id) }]), 4_096)
    await peer.write({ neg: theirs.reconcile(query.neg as Uint8Array).output ?? Uint8Array.of(0x61) })
    assert.deepEqual((await peer.read()).want?.ids.map(bytesToHex), [post.id])
    await peer.write({ envelopes: { items: [forged], end: false } })
    await assert.rejects(session, (err: Error) => err.name === 'SyncProtocolError' && /invalid envelope: BAD_SIGNATURE/.test(err.message))
  })

  it('drops pushes of posts it holds outside its reconciled set without verifying them again', async () => {
    // posts 0–99 are 0–99 s old; both sides hold them all, but the responder reconciles only
    // its last 50 s, so the initiator finds 50 to push
    const all = await posts(100)
    const a = new StubStore()
    const b = new StubStore()
    for (const m of all) { a.messages.set(m.id, m); b.messages.set(m.id, m) }
    let submitted = 0
    const submit = b.ingestor.submitMany
    b.ingestor.submitMany = async (envelopes, options) => { submitted += envelopes.length; return await submit(envelopes, options) }
    const [outbound, inbound] = await streamPair()
    const ctxA = context(a, 'initiator')
    const ctxB = { ...context(b, 'responder'), limits: { ...context(b, 'responder').limits, windowMs: 50_000 } }
    await Promise.all([initiateSession(outbound, 'tag:unit', ctxA), respondSession(inbound, ctxB, () => true)])
    assert.ok(ctxA.progress.sent >= 45, `pushed ${ctxA.progress.sent}`)
    assert.equal(ctxB.progress.need, ctxA.progress.sent)
    assert.equal(submitted, 0)
  })

  it('refuses a topic the responder has not joined', async () => {
    const [outbound, inbound] = await streamPair()
    const serving = respondSession(inbound, context(new StubStore(), 'responder'), () => false)
    await assert.rejects(initiateSession(outbound, 'tag:unit', context(new StubStore(), 'initiator')),
      (err: any) => err instanceof SyncRemoteError && err.code === 'NOT_JOINED')
    await serving
  })
})
