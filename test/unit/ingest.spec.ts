import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pWaitFor from 'p-wait-for'
import { Body, Envelope } from '../../src/post/murmur.js'
import { sign } from '../../src/post/signature.js'
import { createMessage, uniformPolicy } from '../../src/post/index.js'
import { createIngestor, type IngestOutcome, type Ingestor } from '../../src/node/ingest.js'
import { createStore } from '../../src/store/index.js'
import { createVerifier, verifyHere, type Verifier } from '../../src/verify/index.js'
import { useTempStore } from '../helpers/temp-store.js'
import { DAY, NOW, OTHER_SECRET, SECRET, envelopeOf, postFields, replyFields } from './post-helpers.js'
import type { SignatureCheck } from '../../src/post/signature.js'

const POW = uniformPolicy(0)

function forged (fields: Body): Uint8Array {
  const body = Body.encode(fields)
  return Envelope.encode({ body, signature: sign(OTHER_SECRET, body) })
}

function summary (outcome: IngestOutcome): string {
  return outcome.status === 'refused' ? `refused ${outcome.code} ${outcome.severity}` : outcome.status === 'known' ? `known ${outcome.code}` : 'stored'
}

async function turn (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/** A verifier that answers only when let go: what waits there is in flight at the verifier. */
function gatedVerifier (): { verifyBatch(checks: readonly SignatureCheck[]): Promise<boolean[]>, open(): void, calls: number } {
  let open: () => void = () => {}
  const gate = new Promise<void>(resolve => { open = resolve })
  const verifier = {
    calls: 0,
    open: () => { open() },
    async verifyBatch (checks: readonly SignatureCheck[]) {
      verifier.calls++
      await gate
      return verifyHere(checks)
    }
  }
  return verifier
}

describe('node/ingest with a signature verifier', function () {
  const temp = useTempStore()
  let pool: Verifier | undefined

  afterEach(async () => {
    await pool?.stop()
    pool = undefined
  })

  it('gives the same outcome codes through the worker pool as on the event loop', async () => {
    const envelopes = [
      envelopeOf(postFields({ text: 'one' })),
      forged(postFields({ text: 'forged' })),
      // both wrong: the signature is checked before the time window, so BAD_SIGNATURE (reject)
      forged(postFields({ text: 'forged and early', createdAt: BigInt(NOW + DAY), expiresAt: BigInt(NOW + 2 * DAY) })),
      envelopeOf(postFields({ text: 'early', createdAt: BigInt(NOW + DAY), expiresAt: BigInt(NOW + 2 * DAY) })),
      envelopeOf(postFields({ text: 'bad expiry', expiresAt: BigInt(NOW) })),
      Uint8Array.from([1, 2, 3]),
      envelopeOf(postFields({ text: 'one' })),
      envelopeOf(replyFields({ text: 'a reply' })),
      envelopeOf(postFields({ text: 'two', tags: ['dogs'] }))
    ]
    async function outcomes (ingestor: Ingestor): Promise<string[]> {
      const results = await Promise.all(envelopes.map(async e => ingestor.submit(e, { now: NOW })))
      const onTopic = await ingestor.submit(envelopeOf(postFields({ text: 'elsewhere' })), { now: NOW, topic: 'murmur/1/tag/dogs' })
      return [...results, onTopic].map(summary)
    }
    pool = createVerifier({ threads: 1 })
    pool.start()
    const pooled = await outcomes(createIngestor({ store: temp.store, pow: () => POW, verifier: pool, verifyHereMax: 0 }))
    const dir = await mkdtemp(join(tmpdir(), 'murmur-ingest-'))
    const store = createStore({ path: dir })
    await store.start()
    let here: string[]
    try {
      here = await outcomes(createIngestor({ store, pow: () => POW }))
    } finally {
      await store.stop()
      await rm(dir, { recursive: true, force: true })
    }
    assert.deepEqual(pooled, here)
    assert.deepEqual(pooled, [
      'stored', 'refused BAD_SIGNATURE reject', 'refused BAD_SIGNATURE reject', 'refused FUTURE ignore', 'refused BAD_EXPIRY reject',
      'refused MALFORMED reject', 'known DUPLICATE', 'stored', 'stored', 'refused WRONG_TOPIC reject'
    ])
    assert.ok(pool.stats().batches >= 1, 'the signatures went to the worker')
  })

  it('stores a burst of valid posts through the pool, refusing only the forged one', async () => {
    pool = createVerifier({ threads: 1, maxBatch: 32 })
    pool.start()
    const ingestor = createIngestor({ store: temp.store, pow: () => POW, verifier: pool })
    const envelopes = Array.from({ length: 400 }, (_, i) => i === 250 ? forged(postFields({ text: `post ${i}` })) : envelopeOf(postFields({ text: `post ${i}` })))
    const outcomes = await Promise.all(envelopes.map(async e => ingestor.submit(e, { now: NOW })))
    assert.deepEqual(outcomes.map((o, i) => [i, summary(o)]).filter(([, s]) => s !== 'stored'), [[250, 'refused BAD_SIGNATURE reject']])
    await ingestor.flush()
    assert.equal(await temp.store.count(), 399)
  })

  it('keeps arrival order when the verifier answers a later slice first', async () => {
    const { message: root } = await createMessage({ kind: 'post', text: 'soon deleted', tags: ['cats'] }, SECRET, { pow: POW })
    const { message: remove } = await createMessage({ kind: 'delete', tags: ['cats'], parent: root.id, root: root.id, expiresAt: root.expiresAt }, SECRET, { pow: POW })
    let call = 0
    const verifier = {
      // the first slice is answered last
      verifyBatch: async (checks: readonly SignatureCheck[]) => {
        const delay = call++ === 0 ? 300 : 0
        await new Promise(resolve => setTimeout(resolve, delay))
        return verifyHere(checks)
      }
    }
    const ingestor = createIngestor({ store: temp.store, pow: () => POW, verifier, verifyHereMax: 0 })
    const first = ingestor.submit(root.envelope)
    await pWaitFor(() => call === 1)
    const second = ingestor.submit(remove.envelope)
    await pWaitFor(() => call === 2)
    // out of order, the delete would arrive first and wait for its target (PENDING_DELETE)
    assert.deepEqual([summary(await first), summary(await second)], ['stored', 'stored'])
    assert.equal(await temp.store.get(root.id), undefined)
  })

  it('counts envelopes at the verifier against the queue: gossip is shed, sync still queued', async () => {
    const verifier = gatedVerifier()
    const ingestor = createIngestor({ store: temp.store, pow: () => POW, verifier, maxQueued: 4, verifyHereMax: 0 })
    const held = Array.from({ length: 4 }, (_, i) => ingestor.submit(envelopeOf(postFields({ text: `held ${i}` })), { now: NOW }))
    await pWaitFor(() => verifier.calls > 0)
    await turn()
    const shed = await ingestor.submit(envelopeOf(postFields({ text: 'one too many' })), { now: NOW })
    assert.equal(summary(shed), 'refused OVERLOADED ignore')
    const synced = ingestor.submitMany([envelopeOf(postFields({ text: 'from sync' }))], { now: NOW })
    let flushed = false
    const flush = ingestor.flush().then(() => { flushed = true })
    await turn()
    assert.equal(flushed, false, 'flush waits for the verifier')
    verifier.open()
    assert.deepEqual((await Promise.all(held)).map(summary), ['stored', 'stored', 'stored', 'stored'])
    assert.deepEqual((await synced).map(summary), ['stored'])
    await flush
    assert.equal(await temp.store.count(), 5)
  })

  it('verifies a lone message on this thread and a backlog at the verifier, in arrival order', async () => {
    const batches: number[] = []
    const verifier = {
      verifyBatch: async (checks: readonly SignatureCheck[]) => {
        batches.push(checks.length)
        return verifyHere(checks)
      }
    }
    const ingestor = createIngestor({ store: temp.store, pow: () => POW, verifier })
    const alone = await ingestor.submit(envelopeOf(postFields({ text: 'alone' })), { now: NOW })
    assert.equal(summary(alone), 'stored')
    assert.deepEqual(batches, [], 'one signature with nothing behind it skips the worker')
    const forgedAlone = await ingestor.submit(forged(postFields({ text: 'forged alone' })), { now: NOW })
    assert.equal(summary(forgedAlone), 'refused BAD_SIGNATURE reject')
    const burst = Array.from({ length: 200 }, (_, i) => i === 150 ? forged(postFields({ text: `burst ${i}` })) : envelopeOf(postFields({ text: `burst ${i}` })))
    const outcomes = await Promise.all(burst.map(async e => ingestor.submit(e, { now: NOW })))
    assert.deepEqual(outcomes.map((o, i) => [i, summary(o)]).filter(([, s]) => s !== 'stored'), [[150, 'refused BAD_SIGNATURE reject']])
    assert.ok(batches.length > 0 && batches.reduce((a, b) => a + b, 0) >= 150, `a backlog goes to the verifier (batches ${batches.join(', ')})`)
  })

  it('validates a backlog in slices, letting timers run between them', async () => {
    const envelopes = await Promise.all(Array.from({ length: 300 }, async (_, i) =>
      (await createMessage({ kind: 'post', text: `backlog ${i}`, tags: ['cats'] }, SECRET, { pow: POW })).message.envelope))
    let ticks = 0
    // timer turns seen as each message passes validation (admit runs right after it)
    const seen: number[] = []
    // no verifier: each signature is checked on the event loop, 300 of them several slices' worth
    const ingestor = createIngestor({ store: temp.store, pow: () => POW, sliceMs: 2, admit: () => { seen.push(ticks); return undefined } })
    const timer = setInterval(() => { ticks++ }, 0)
    try {
      const outcomes = await Promise.all(envelopes.map(async e => ingestor.submit(e)))
      assert.ok(outcomes.every(o => o.status === 'stored'))
    } finally {
      clearInterval(timer)
    }
    assert.equal(seen.length, 300)
    assert.ok(seen[299] - seen[0] >= 3, `timers ran ${seen[299] - seen[0]} times while the backlog was validated`)
  })

  it('verifies on the event loop if the verifier fails or answers the wrong number of verdicts', async () => {
    const verifiers = [
      { verifyBatch: async (): Promise<boolean[]> => { throw new Error('no verifier') } },
      { verifyBatch: async (): Promise<boolean[]> => [] }
    ]
    for (const [n, verifier] of verifiers.entries()) {
      const ingestor = createIngestor({ store: temp.store, pow: () => POW, verifier })
      const outcomes = await Promise.all([envelopeOf(postFields({ text: `fine ${n}` })), forged(postFields({ text: 'forged' }))].map(async e => ingestor.submit(e, { now: NOW })))
      assert.deepEqual(outcomes.map(summary), ['stored', 'refused BAD_SIGNATURE reject'])
    }
  })
})
