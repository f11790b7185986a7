// The cheap defences, without a network: proof-of-work policy per kind in the config and on
// the command line, LOW_POW versus INSUFFICIENT_POW, token buckets and the bounded work queue.

import assert from 'node:assert/strict'
import { createConfig, DEFAULT_POW_POLICY } from '../../src/config.js'
import { configFromFlags, parsePowFlag } from '../../src/cli/args.js'
import { ConfigError } from '../../src/errors.js'
import { TokenBucket, PeerLimiter, WorkLimit } from '../../src/network/limits.js'
import { PEER_SCORE_THRESHOLDS, TOPIC_SCORE_PARAMS, peerScoreParams, halfLife } from '../../src/network/score.js'
import { createPeerScoreParams, createPeerScoreThresholds, validatePeerScoreParams, validatePeerScoreThresholds } from '@libp2p/gossipsub/score'
import { easierPolicy, leadingZeroBits, validateEnvelope, bodyId, uniformPolicy } from '../../src/post/index.js'
import { Body } from '../../src/post/murmur.js'
import { postFields, envelopeOfBody, NOW } from './post-helpers.js'

describe('abuse: proof-of-work policy in the config', () => {
  it('defaults to a post costing more than a reply, more than a reaction or a delete', () => {
    const { pow, powBits } = createConfig({ dataDir: '/tmp/x' })
    assert.deepEqual(pow, DEFAULT_POW_POLICY)
    assert.equal(powBits, undefined)
    assert.ok(pow.post > pow.reply && pow.reply > pow.reaction && pow.reaction >= pow.delete)
    assert.ok(pow.report >= pow.reaction && pow.label >= pow.delete)
  })

  it('merges powBits (every kind) then pow (the kinds named), layer by layer', () => {
    assert.deepEqual(createConfig({ powBits: 3 }).pow, uniformPolicy(3))
    assert.deepEqual(createConfig({ powBits: 8 }, { pow: { post: 20 } as any }).pow, { ...uniformPolicy(8), post: 20 })
    assert.deepEqual(createConfig({ pow: { reaction: 10 } as any }).pow, { ...DEFAULT_POW_POLICY, reaction: 10 })
    // a later powBits resets every kind again
    assert.deepEqual(createConfig({ pow: { post: 20 } as any }, { powBits: 5 }).pow, uniformPolicy(5))
  })

  it('refuses unknown kinds, out-of-range bits and bad limits', () => {
    assert.throws(() => createConfig({ pow: { poll: 3 } as any }), ConfigError)
    assert.throws(() => createConfig({ pow: { post: 33 } as any }), ConfigError)
    assert.throws(() => createConfig({ pow: { post: 1.5 } as any }), ConfigError)
    assert.throws(() => createConfig({ pow: [] as any }), ConfigError)
    assert.throws(() => createConfig({ powBits: -1 }), ConfigError)
    assert.throws(() => createConfig({ gossipRate: 0 }), ConfigError)
    assert.throws(() => createConfig({ gossipBurst: 0.5 }), ConfigError)
    assert.throws(() => createConfig({ syncSessionsPerMinute: 0 }), ConfigError)
  })

  it('parses --pow KIND=BITS,… and refuses anything else', () => {
    assert.deepEqual(parsePowFlag('post=18, reaction=14'), { post: 18, reaction: 14 })
    assert.deepEqual(createConfig(configFromFlags({ pow: 'post=20', 'pow-bits': '6' })).pow, { ...uniformPolicy(6), post: 20 })
    for (const bad of ['post', 'post=', 'post=x', '=3', 'post=3;reply=2']) assert.throws(() => parsePowFlag(bad), ConfigError, bad)
    assert.throws(() => createConfig(configFromFlags({ pow: 'poll=3' })), /unknown kind "poll"/)
  })
})

describe('abuse: a message short of the local policy', () => {
  /** A body whose id has exactly `bits` leading zero bits. */
  function bodyWithWork (bits: number): Uint8Array<ArrayBuffer> {
    const fields = postFields()
    for (let nonce = 0n; ; nonce++) {
      const body = Body.encode({ ...fields, nonce })
      if (leadingZeroBits(bodyId(body)) === bits) return body
    }
  }

  it('is ignored (LOW_POW) within the slack and rejected (INSUFFICIENT_POW) below it', () => {
    const pow = uniformPolicy(8)
    const powFloor = easierPolicy(pow, 4)
    assert.deepEqual(powFloor, uniformPolicy(4))
    const low = validateEnvelope(envelopeOfBody(bodyWithWork(5)), { now: NOW, pow, powFloor })
    assert.ok(!low.ok && low.code === 'LOW_POW' && low.severity === 'ignore', JSON.stringify(low))
    const none = validateEnvelope(envelopeOfBody(bodyWithWork(2)), { now: NOW, pow, powFloor })
    assert.ok(!none.ok && none.code === 'INSUFFICIENT_POW' && none.severity === 'reject', JSON.stringify(none))
    // without a floor the policy is strict, as before
    const strict = validateEnvelope(envelopeOfBody(bodyWithWork(5)), { now: NOW, pow })
    assert.ok(!strict.ok && strict.code === 'INSUFFICIENT_POW')
    assert.ok(validateEnvelope(envelopeOfBody(bodyWithWork(9)), { now: NOW, pow, powFloor }).ok)
  })

  it('easierPolicy never goes below zero', () => {
    assert.deepEqual(easierPolicy({ ...uniformPolicy(3), post: 2, reply: 0, reaction: 5, delete: 4 }, 4), { ...uniformPolicy(0), reaction: 1 })
  })
})

describe('abuse: token buckets', () => {
  it('gives a burst, then the rate, and refills with time', () => {
    const bucket = new TokenBucket(10, 5, 0)
    for (let i = 0; i < 5; i++) assert.ok(bucket.take(1, 0))
    assert.equal(bucket.take(1, 0), false)
    assert.equal(bucket.take(1, 50), false, 'half a token after 50 ms')
    assert.ok(bucket.take(1, 100))
    assert.equal(bucket.take(1, 100), false)
    assert.ok(bucket.isFull(10_000))
    assert.ok(bucket.take(5, 10_000), 'refilled to the burst, not beyond')
    assert.equal(bucket.take(1, 10_000), false)
  })

  it('keeps one bucket per peer and, past maxPeers, forgets the refilled ones first', () => {
    const limiter = new PeerLimiter({ rate: 1, burst: 2, maxPeers: 2 })
    assert.ok(limiter.take('a', 1, 0) && limiter.take('a', 1, 0))
    assert.equal(limiter.take('a', 1, 0), false, 'a is out')
    assert.ok(limiter.take('b', 1, 0), 'b has its own budget')
    // at 1 s b is full again and a has one token: c's arrival evicts b, not the indebted a
    assert.ok(limiter.take('c', 1, 1000))
    assert.ok(limiter.take('a', 1, 1000))
    assert.equal(limiter.take('a', 1, 1000), false, 'a was not reset to a full bucket')
  })
})

describe('abuse: the bound on validations in progress', () => {
  it('refuses past maxPending and starts everything it accepted at once, in order', async () => {
    const limit = new WorkLimit(3)
    const order: number[] = []
    const jobs = [1, 2, 3].map(i => limit.submit(async () => { order.push(i); return i * 10 }))
    assert.deepEqual(order, [1, 2, 3], 'started before submit returned')
    assert.equal(limit.submit(async () => 0), undefined, 'the fourth is refused')
    assert.deepEqual(await Promise.all(jobs), [10, 20, 30])
    assert.equal(limit.pending, 0)
    assert.notEqual(limit.submit(async () => 0), undefined, 'room again')
  })

  it('counts a task until its asynchronous tail settles, and passes on failures', async () => {
    const limit = new WorkLimit(1)
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    const slow = limit.submit(async () => { await gate; throw new Error('boom') })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(limit.submit(async () => 0), undefined, 'still running')
    release()
    await assert.rejects(slow as Promise<unknown>, /boom/)
    assert.equal(limit.pending, 0)
    // a task that throws before its first await is counted out too
    await assert.rejects(limit.submit(() => { throw new Error('at once') }) as Promise<unknown>, /at once/)
    assert.equal(limit.pending, 0)
  })
})

describe('abuse: peer-score parameters', () => {
  it('pass gossipsub\'s own validation', () => {
    const params = createPeerScoreParams({ ...peerScoreParams(), topics: { 'murmur/1/tag/x': TOPIC_SCORE_PARAMS } })
    validatePeerScoreParams(params)
    validatePeerScoreThresholds(createPeerScoreThresholds(PEER_SCORE_THRESHOLDS))
  })

  it('graylist a peer at its 9th invalid message on one topic, not its 8th', () => {
    const w = TOPIC_SCORE_PARAMS.invalidMessageDeliveriesWeight * TOPIC_SCORE_PARAMS.topicWeight
    assert.ok(8 * 8 * w > PEER_SCORE_THRESHOLDS.graylistThreshold)
    assert.ok(9 * 9 * w < PEER_SCORE_THRESHOLDS.graylistThreshold)
    assert.ok(Math.abs(halfLife(600) ** 600 - 0.5) < 1e-9)
  })
})
