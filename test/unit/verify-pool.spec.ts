import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { ed25519 } from '@noble/curves/ed25519.js'
import pWaitFor from 'p-wait-for'
import { getPublicKey, sign, signedBytes, verify, verifyReference } from '../../src/post/signature.js'
import { packBatch, unpackBatch } from '../../src/verify/batch.js'
import { createVerifier, sharedVerifier, type Verifier } from '../../src/verify/index.js'
import { hex } from './post-helpers.js'
import type { SignatureCheck } from '../../src/post/signature.js'

interface Vector { message: string, pub_key: string, signature: string }

// the ed25519-speccheck cases (vectors/ed25519-edge-cases.json), as in post-signature.spec
const VECTORS: Vector[] = JSON.parse(readFileSync(new URL('../../../test/fixtures/ed25519-edge-cases.json', import.meta.url), 'utf8'))
const EXPECTED = [false, false, false, true, false, false, false, false, false, false]

function randomBytes (length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

function goodCheck (size = 120): SignatureCheck {
  const secretKey = randomBytes(32)
  const body = randomBytes(size)
  return { publicKey: getPublicKey(secretKey), message: signedBytes(body), signature: sign(secretKey, body) }
}

function flipBit (bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice()
  copy[bit >> 3] ^= 1 << (bit & 7)
  return copy
}

/** The edge cases of post-signature.spec: non-canonical and small-order encodings, S + L, short parts. */
function edgeChecks (): SignatureCheck[] {
  const secretKey = randomBytes(32)
  const publicKey = ed25519.getPublicKey(secretKey)
  const message = randomBytes(40)
  const signature = ed25519.sign(message, secretKey)
  const L = ed25519.Point.Fn.ORDER
  const s = BigInt('0x' + Buffer.from(signature.subarray(32)).reverse().toString('hex')) + L
  const sPlusL = signature.slice()
  for (let i = 0; i < 32; i++) sPlusL[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn)
  const cases: Array<[Uint8Array, Uint8Array]> = [
    [publicKey, sPlusL],
    [hex('01' + '00'.repeat(31)), signature],
    [hex('01' + '00'.repeat(30) + '80'), signature],
    [hex('ed' + 'ff'.repeat(30) + '7f'), signature],
    [hex('02' + '00'.repeat(31)), signature],
    [publicKey, signature.subarray(0, 63)],
    [publicKey.subarray(0, 31), signature],
    [publicKey, new Uint8Array()],
    [publicKey, signature]
  ]
  return cases.map(([key, sig]) => ({ publicKey: key, message, signature: sig }))
}

/** What the node's rule says on this thread: the answer the pool must give. */
function expected (checks: SignatureCheck[]): boolean[] {
  return checks.map(c => verify(c.publicKey, c.message, c.signature))
}

describe('verify: the signature worker pool', function () {
  let pool: Verifier | undefined

  afterEach(async () => {
    await pool?.stop()
    pool = undefined
  })

  it('packs a batch into one buffer and back, and refuses a layout that does not add up', () => {
    const checks = [...edgeChecks(), goodCheck()]
    const unpacked = unpackBatch(packBatch(checks))
    assert.deepEqual(unpacked.map(c => [Buffer.from(c.publicKey), Buffer.from(c.message), Buffer.from(c.signature)]),
      checks.map(c => [Buffer.from(c.publicKey), Buffer.from(c.message), Buffer.from(c.signature)]))
    const buffer = packBatch(checks)
    assert.throws(() => unpackBatch(buffer.slice(0, buffer.byteLength - 1)), RangeError)
    assert.throws(() => unpackBatch(new ArrayBuffer(2)), RangeError)
    const padded = new Uint8Array(buffer.byteLength + 1)
    padded.set(new Uint8Array(buffer))
    assert.throws(() => unpackBatch(padded.buffer), RangeError)
  })

  it('gives the murmur rule on the ten edge-case vectors, as both verifiers do', async () => {
    pool = createVerifier({ threads: 1 })
    pool.start()
    const checks = VECTORS.map(v => ({ publicKey: hex(v.pub_key), message: hex(v.message), signature: hex(v.signature) }))
    assert.deepEqual(await pool.verifyBatch(checks), EXPECTED)
    assert.deepEqual(checks.map(c => verifyReference(c.publicKey, c.message, c.signature)), EXPECTED)
    assert.equal(pool.stats().batches, 1, 'answered by the worker, not the main thread')
    assert.equal(pool.stats().failedOver, 0)
  })

  it('agrees with verify and verifyReference on the non-canonical, small-order and bit-flip cases', async () => {
    pool = createVerifier({ threads: 2 })
    pool.start()
    const checks = edgeChecks()
    for (let n = 0; n < 20; n++) {
      const good = goodCheck(1 + n * 7)
      checks.push(good)
      checks.push({ ...good, signature: flipBit(good.signature, Math.floor(Math.random() * 512)) })
      checks.push({ ...good, publicKey: flipBit(good.publicKey, Math.floor(Math.random() * 256)) })
      checks.push({ ...good, message: flipBit(good.message, Math.floor(Math.random() * good.message.byteLength * 8)) })
    }
    const verdicts = await pool.verifyBatch(checks)
    assert.deepEqual(verdicts, expected(checks))
    assert.deepEqual(verdicts, checks.map(c => verifyReference(c.publicKey, c.message, c.signature)))
    assert.equal(verdicts.filter(v => v).length, 21, 'the untouched edge case and the 20 genuine signatures')
  })

  it('finds the one bad signature in a batch of good ones, across the batch size', async () => {
    pool = createVerifier({ threads: 1, maxBatch: 64 })
    pool.start()
    const checks = Array.from({ length: 300 }, () => goodCheck())
    checks[171] = { ...checks[171], signature: checks[170].signature }
    const verdicts = await pool.verifyBatch(checks)
    assert.deepEqual(verdicts, checks.map((_, i) => i !== 171))
    assert.ok(pool.stats().batches >= 5, 'split into batches of at most 64')
  })

  it('answers requests sent together in order, coalescing what waits into one batch', async () => {
    pool = createVerifier({ threads: 1 })
    pool.start()
    const requests = Array.from({ length: 12 }, (_, r) => {
      const checks = Array.from({ length: 10 }, () => goodCheck())
      checks[r % 10] = { ...checks[r % 10], message: flipBit(checks[r % 10].message, 3) }
      return checks
    })
    const answers = await Promise.all(requests.map(async checks => pool?.verifyBatch(checks)))
    answers.forEach((verdicts, r) => { assert.deepEqual(verdicts, requests[r].map((_, i) => i !== r % 10)) })
    // two batches go at once; the other ten requests wait and leave together
    assert.ok((pool.stats().batches) < 12, `${pool.stats().batches} batches for 12 requests`)
  })

  it('answers a batch whose worker dies holding it, and restarts the worker', async () => {
    pool = createVerifier({ threads: 1, maxBatch: 50, workerUrl: new URL('../helpers/verify-crash-worker.js', import.meta.url) })
    pool.start()
    const checks = Array.from({ length: 200 }, () => goodCheck())
    checks[7] = { ...checks[7], signature: flipBit(checks[7].signature, 100) }
    checks[120] = { ...checks[120], publicKey: checks[121].publicKey }
    assert.deepEqual(await pool.verifyBatch(checks), expected(checks))
    assert.ok(pool.stats().failedOver > 0, 'the main thread took over')
    // the worker is restarted and serves again (it crashes again on its second batch)
    await pWaitFor(() => (pool as Verifier).stats().restarts >= 1, { timeout: 10_000 })
    const again = Array.from({ length: 30 }, () => goodCheck())
    again[29] = { ...again[29], signature: new Uint8Array(64) }
    assert.deepEqual(await pool.verifyBatch(again), expected(again))
  })

  it('answers the batches of a worker that holds them without answering, and replaces it', async () => {
    pool = createVerifier({ threads: 1, maxBatch: 20, answerTimeoutMs: 300, workerUrl: new URL('../helpers/verify-silent-worker.js', import.meta.url) })
    pool.start()
    const checks = Array.from({ length: 50 }, () => goodCheck())
    checks[33] = { ...checks[33], message: flipBit(checks[33].message, 9) }
    assert.deepEqual(await pool.verifyBatch(checks), expected(checks))
    assert.equal(pool.stats().failedOver, 50)
    assert.equal(pool.stats().batches, 0)
    await pWaitFor(() => (pool as Verifier).stats().restarts >= 1, { timeout: 10_000 })
  })

  it('never takes a reply that does not match its batch, nor a worker that throws', async () => {
    for (const fixture of ['verify-liar-worker.js', 'verify-throwing-worker.js']) {
      const liar = createVerifier({ threads: 1, workerUrl: new URL(`../helpers/${fixture}`, import.meta.url) })
      liar.start()
      try {
        const checks = Array.from({ length: 40 }, () => goodCheck())
        checks[3] = { ...checks[3], signature: flipBit(checks[3].signature, 1) }
        assert.deepEqual(await liar.verifyBatch(checks), expected(checks), fixture)
        assert.equal(liar.stats().failedOver, 40, fixture)
        assert.equal(liar.stats().batches, 0, fixture)
      } finally {
        await liar.stop()
      }
    }
  })

  it('verifies on the calling thread before start, after stop and with 0 threads, and starts again', async () => {
    pool = createVerifier({ threads: 1 })
    const checks = [goodCheck(), { ...goodCheck(), signature: new Uint8Array(64) }]
    assert.deepEqual(await pool.verifyBatch(checks), [true, false])
    pool.start()
    assert.deepEqual(await pool.verifyBatch(checks), [true, false])
    assert.equal(pool.stats().batches, 1)
    await pool.stop()
    assert.deepEqual(await pool.verifyBatch(checks), [true, false])
    pool.start()
    assert.deepEqual(await pool.verifyBatch(checks), [true, false])
    assert.equal(pool.stats().batches, 2)
    const none = createVerifier({ threads: 0 })
    none.start()
    assert.deepEqual(await none.verifyBatch(checks), [true, false])
    assert.equal(none.stats().batches, 0)
    await none.stop()
  })

  it('answers what it holds when stopped mid-batch', async () => {
    pool = createVerifier({ threads: 1, maxBatch: 32 })
    pool.start()
    const checks = Array.from({ length: 400 }, () => goodCheck())
    checks[399] = { ...checks[399], signature: checks[0].signature }
    const answer = pool.verifyBatch(checks)
    await pool.stop()
    assert.deepEqual(await answer, checks.map((_, i) => i !== 399))
  })

  it('is one pool per process: the first holder starts it, the last one stops it', async () => {
    const a = sharedVerifier({ threads: 1 })
    const b = sharedVerifier({ threads: 1 })
    a.start()
    b.start()
    b.start()
    const checks = [goodCheck()]
    await a.verifyBatch(checks)
    await b.verifyBatch(checks)
    assert.equal(a.stats().batches, 2, 'both handles reach the same workers')
    await a.stop()
    await b.verifyBatch(checks)
    assert.equal(b.stats().batches, 3, 'still running for b')
    await b.stop()
    await b.stop()
    const c = sharedVerifier({ threads: 1 })
    c.start()
    await c.verifyBatch(checks)
    assert.equal(c.stats().batches, 1, 'a new pool after the last holder stopped')
    await c.stop()
  })

  it('does not keep a process alive while idle, even if never stopped', async () => {
    const pool = new URL('../../src/verify/index.js', import.meta.url).href
    const signature = new URL('../../src/post/signature.js', import.meta.url).href
    const script = `
      import { createVerifier } from '${pool}'
      import { getPublicKey, sign, signedBytes } from '${signature}'
      const key = new Uint8Array(32).fill(7)
      const v = createVerifier({ threads: 2 })
      v.start()
      const verdicts = await v.verifyBatch([{ publicKey: getPublicKey(key), message: signedBytes(new Uint8Array(3)), signature: sign(key, new Uint8Array(3)) }])
      console.log(JSON.stringify(verdicts))
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 })
    assert.equal(stdout.trim(), '[true]')
  })
})
