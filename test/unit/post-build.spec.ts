import assert from 'node:assert/strict'
import { InvalidMessageError } from '../../src/errors.js'
import { createMessage } from '../../src/post/build.js'
import { DEFAULT_TTL_MS } from '../../src/post/constants.js'
import { postKey, threadKey } from '../../src/post/keys.js'
import { leadingZeroBits, uniformPolicy } from '../../src/post/pow.js'
import { validateEnvelope } from '../../src/post/validate.js'
import { NO_POW, NOW, ROOT } from './post-helpers.js'

const master = new Uint8Array(32).fill(9)
const nonce = new Uint8Array(16).fill(3)
const op = postKey(master, nonce)
const guest = threadKey(master, ROOT)

async function rejects (promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof InvalidMessageError && err.code === code)
}

describe('post/build', () => {
  it('builds a post the pipeline accepts, with defaults filled in', async () => {
    const { message, envelope } = await createMessage(
      { kind: 'post', text: 'Sunny today in #Lisbon', tags: ['weather', 'lisbon'], geohash: 'eyckr' },
      op.secretKey, { pow: NO_POW, now: NOW })
    assert.equal(message.author, Buffer.from(op.publicKey).toString('hex'))
    assert.deepEqual(message.tags, ['weather', 'lisbon'])
    assert.equal(message.createdAt, NOW)
    assert.equal(message.expiresAt, NOW + DEFAULT_TTL_MS)
    assert.deepEqual(message.envelope, envelope)
    const again = validateEnvelope(envelope, { now: NOW, pow: NO_POW, topic: 'murmur/1/geo/eyck' })
    assert.ok(again.ok)
    assert.deepEqual(again.message, message)
  })

  it('builds replies, reactions and deletes', async () => {
    const common = { tags: ['weather'], root: ROOT, parent: ROOT }
    const reply = await createMessage({ kind: 'reply', text: 'Same here', ...common }, guest.secretKey, { pow: NO_POW, now: NOW })
    assert.equal(reply.message.kind, 'reply')
    const reaction = await createMessage({ kind: 'reaction', value: -1, ...common, parent: reply.message.id }, guest.secretKey, { pow: NO_POW, now: NOW })
    assert.deepEqual([reaction.message.value, reaction.message.parent], [-1, reply.message.id])
    const deletion = await createMessage({ kind: 'delete', ...common }, op.secretKey, { pow: NO_POW, now: NOW })
    assert.equal(deletion.message.kind, 'delete')
  })

  it('mines to the policy of the kind', async () => {
    const { message } = await createMessage({ kind: 'post', text: 'mined', tags: ['pow'] }, op.secretKey, { pow: uniformPolicy(8), now: NOW })
    assert.ok(leadingZeroBits(Buffer.from(message.id, 'hex')) >= 8)
  })

  it('refuses a bad message before mining it', async () => {
    // at 32 bits mining would take hours: a prompt refusal shows no work was spent
    const pow = uniformPolicy(32)
    const options = { pow, now: NOW }
    await rejects(createMessage({ kind: 'post', text: '', tags: ['x'] }, op.secretKey, options), 'BAD_TEXT')
    await rejects(createMessage({ kind: 'post', text: 'no topic' }, op.secretKey, options), 'NO_TOPIC')
    await rejects(createMessage({ kind: 'post', text: 'hi', tags: ['not a tag'] }, op.secretKey, options), 'BAD_TAGS')
    // normalising is the caller's job (src/geo): a tag as typed is refused, not fixed
    await rejects(createMessage({ kind: 'post', text: 'hi', tags: ['#Weather'] }, op.secretKey, options), 'BAD_TAGS')
    await rejects(createMessage({ kind: 'post', text: 'hi', tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, op.secretKey, options), 'BAD_TAGS')
    await rejects(createMessage({ kind: 'post', text: 'hi', geohash: 'u4' }, op.secretKey, options), 'BAD_GEOHASH')
    await rejects(createMessage({ kind: 'reaction', value: 2, tags: ['x'], root: ROOT, parent: ROOT }, guest.secretKey, options), 'BAD_VALUE')
    await rejects(createMessage({ kind: 'reply', text: 'hi', tags: ['x'], root: ROOT, parent: 'zz' }, guest.secretKey, options), 'BAD_PARENT')
    await rejects(createMessage({ kind: 'post', text: 'hi', tags: ['x'], expiresAt: NOW + 31 * 86_400_000 }, op.secretKey, options), 'BAD_EXPIRY')
    await rejects(createMessage({ kind: 'post', text: 'hi', tags: ['x'], createdAt: 1.5 }, op.secretKey, options), 'BAD_TIME')
  })

  it('refuses what only the full pipeline catches: an oversized envelope', async () => {
    await rejects(createMessage({ kind: 'post', text: '🙂'.repeat(1000), tags: ['x'] }, op.secretKey, { pow: NO_POW, now: NOW }), 'OVERSIZE')
  })

  it('can be cancelled while mining', async () => {
    const controller = new AbortController()
    const building = createMessage({ kind: 'post', text: 'hi', tags: ['x'] }, op.secretKey, { pow: uniformPolicy(32), now: NOW, signal: controller.signal })
    controller.abort()
    await assert.rejects(building, { name: 'AbortError' })
  })
})
