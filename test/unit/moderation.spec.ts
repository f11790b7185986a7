// Moderation without a network: the LABEL and REPORT wire rules, labels in the store (latest
// wins in any order, clear, purge, drop), the mute rules, and the moderation state on a real store.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@noble/hashes/utils.js'
import { Kind } from '../../src/post/murmur.js'
import { createMessage } from '../../src/post/build.js'
import { moderatorKey, oneOffKey } from '../../src/post/keys.js'
import { uniformPolicy, leadingZeroBits } from '../../src/post/pow.js'
import { getPublicKey } from '../../src/post/signature.js'
import { validateEnvelope } from '../../src/post/validate.js'
import { bodyId } from '../../src/post/codec.js'
import { Envelope } from '../../src/post/murmur.js'
import { createStore } from '../../src/store/index.js'
import { createModeration, actionsFrom, hasMutedWord, normalizeMuteWord, strongest, checkFollow, DEFAULT_ACTIONS } from '../../src/moderation/index.js'
import { parseTopic, formatTopic, toGossipTopic, fromGossipTopic } from '../../src/geo/index.js'
import { createConfig } from '../../src/config.js'
import { DAY, NO_POW, NOW, OTHER, OTHER_SECRET, ROOT, SECRET, envelopeOf, hex, postFields } from './post-helpers.js'
import { T0, makeLabel, makePost, makeReply, makeReport, randomHex } from '../fixtures/messages.js'
import type { Body } from '../../src/post/murmur.js'
import type { ValidationCode } from '../../src/post/validate.js'
import type { PostStore } from '../../src/store/index.js'

const MOD = bytesToHex(getPublicKey(SECRET))

function labelFields (overrides: Partial<Body> = {}): Body {
  return postFields({ kind: Kind.LABEL, tags: [], geohash: '', text: '', targets: [hex(ROOT)], label: 'spam', expiresAt: BigInt(NOW + 30 * DAY), ...overrides })
}

function reportFields (overrides: Partial<Body> = {}): Body {
  return postFields({ kind: Kind.REPORT, tags: [], geohash: '', text: 'mean', targets: [hex(ROOT)], label: 'hate', moderator: getPublicKey(OTHER_SECRET), ...overrides })
}

function expectCode (envelope: Uint8Array, code: ValidationCode, topic?: string): void {
  const result = validateEnvelope(envelope, { now: NOW, pow: NO_POW, ...(topic != null ? { topic } : {}) })
  assert.equal(result.ok, false, `expected ${code}`)
  if (!result.ok) assert.equal(result.code, code, result.reason)
}

describe('moderation: wire rules', () => {
  it('a label travels on its author\'s topic, a report on its addressee\'s', () => {
    const label = validateEnvelope(envelopeOf(labelFields()), { now: NOW, pow: NO_POW, topic: `murmur/1/mod/${MOD}` })
    assert.ok(label.ok)
    assert.equal(label.message.kind, 'label')
    assert.deepEqual(label.message.targets, [ROOT])
    assert.equal(label.message.moderator, MOD)
    const other = bytesToHex(getPublicKey(OTHER_SECRET))
    const report = validateEnvelope(envelopeOf(reportFields()), { now: NOW, pow: NO_POW, topic: `murmur/1/mod/${other}` })
    assert.ok(report.ok)
    assert.equal(report.message.moderator, other)
    assert.equal(report.message.label, 'hate')
  })

  it('refuses a forged label: signed by another key, or sent on another moderator\'s topic', () => {
    expectCode(envelopeOf(labelFields(), OTHER_SECRET), 'BAD_SIGNATURE')
    const other = bytesToHex(getPublicKey(OTHER_SECRET))
    expectCode(envelopeOf(labelFields()), 'WRONG_TOPIC', `murmur/1/mod/${other}`)
    expectCode(envelopeOf(labelFields()), 'WRONG_TOPIC', 'murmur/1/tag/cats')
  })

  it('holds labels and reports to their shape', () => {
    expectCode(envelopeOf(labelFields({ label: 'boring' })), 'BAD_LABEL')
    expectCode(envelopeOf(labelFields({ label: 'other' })), 'BAD_LABEL')
    expectCode(envelopeOf(labelFields({ targets: [] })), 'BAD_TARGETS')
    expectCode(envelopeOf(labelFields({ targets: [hex(ROOT), hex(ROOT)] })), 'BAD_TARGETS')
    expectCode(envelopeOf(labelFields({ targets: [hex(ROOT).subarray(1)] })), 'BAD_TARGETS')
    expectCode(envelopeOf(labelFields({ targets: Array.from({ length: 17 }, (_, i) => new Uint8Array(32).fill(i)) })), 'MALFORMED')
    expectCode(envelopeOf(labelFields({ moderator: getPublicKey(OTHER_SECRET) })), 'BAD_MODERATOR')
    expectCode(envelopeOf(labelFields({ tags: ['cats'] })), 'BAD_TAGS')
    expectCode(envelopeOf(labelFields({ geohash: 'u4pr' })), 'BAD_GEOHASH')
    expectCode(envelopeOf(labelFields({ text: 'why' })), 'BAD_TEXT')
    expectCode(envelopeOf(labelFields({ parent: hex(ROOT), root: hex(ROOT) })), 'BAD_PARENT')
    expectCode(envelopeOf(reportFields({ label: 'clear' })), 'BAD_LABEL')
    expectCode(envelopeOf(reportFields({ moderator: new Uint8Array() })), 'BAD_MODERATOR')
    expectCode(envelopeOf(reportFields({ targets: [hex(ROOT), hex(OTHER)] })), 'BAD_TARGETS')
    expectCode(envelopeOf(reportFields({ text: 'x'.repeat(281) })), 'BAD_TEXT')
    // and the other kinds carry none of the moderation fields
    expectCode(envelopeOf(postFields({ targets: [hex(ROOT)] })), 'BAD_TARGETS')
    expectCode(envelopeOf(postFields({ label: 'spam' })), 'BAD_LABEL')
    expectCode(envelopeOf(postFields({ moderator: getPublicKey(OTHER_SECRET) })), 'BAD_MODERATOR')
  })

  it('mines labels and reports, whose fields come after the nonce, into canonical bodies', async () => {
    const pow = uniformPolicy(8)
    const { message, envelope } = await createMessage({
      kind: 'label', targets: [ROOT, OTHER], label: 'nsfw', createdAt: NOW, expiresAt: NOW + DAY
    }, moderatorKey(SECRET).secretKey, { pow, now: NOW })
    assert.ok(leadingZeroBits(bodyId(Envelope.decode(envelope).body)) >= 8)
    assert.deepEqual(message.targets, [ROOT, OTHER])
    const report = await createMessage({
      kind: 'report', targets: [ROOT], label: 'spam', moderator: message.moderator, text: 'ads', createdAt: NOW, expiresAt: NOW + DAY
    }, oneOffKey().secretKey, { pow, now: NOW })
    assert.equal(report.message.moderator, message.moderator)
  })

  it('derives one moderator key per master secret, and one-off keys that never repeat', () => {
    assert.deepEqual(moderatorKey(SECRET).publicKey, moderatorKey(SECRET).publicKey)
    assert.notDeepEqual(moderatorKey(SECRET).publicKey, moderatorKey(OTHER_SECRET).publicKey)
    assert.notDeepEqual(oneOffKey().publicKey, oneOffKey().publicKey)
  })

  it('parses and formats mod: topics strictly', () => {
    const topic = parseTopic(`mod:${MOD}`)
    assert.equal(formatTopic(topic), `mod:${MOD}`)
    assert.equal(toGossipTopic(topic), `murmur/1/mod/${MOD}`)
    assert.deepEqual(fromGossipTopic(`murmur/1/mod/${MOD}`), topic)
    assert.equal(fromGossipTopic(`murmur/1/mod/${MOD.toUpperCase()}`), undefined)
    assert.throws(() => parseTopic(`mod:${MOD.slice(2)}`), /BAD_TOPIC|moderator id/)
    assert.throws(() => parseTopic(`mod:${MOD.toUpperCase()}`), /moderator id/)
  })
})

describe('moderation: rules', () => {
  it('matches muted words whole, case-insensitively, after NFKC', () => {
    const muted = [normalizeMuteWord('Broccoli'), normalizeMuteWord('bad  DAY')]
    assert.deepEqual(muted, ['broccoli', 'bad day'])
    assert.equal(hasMutedWord('I love ＢＲＯＣＣＯＬＩ!', muted), true)
    assert.equal(hasMutedWord('#broccoli season', muted), true)
    assert.equal(hasMutedWord('broccolini is different', muted), false)
    assert.equal(hasMutedWord('what a Bad Day.', muted), true)
    assert.equal(hasMutedWord('bad days ahead', muted), false)
    assert.throws(() => normalizeMuteWord('!!!'), /at least one letter/)
  })

  it('turns per-action label lists into actions; no list means the defaults', () => {
    assert.deepEqual(actionsFrom({}), DEFAULT_ACTIONS)
    assert.deepEqual(actionsFrom({ hide: ['spam'], drop: ['hate'] }), { spam: 'hide', hate: 'drop' })
    assert.throws(() => actionsFrom({ hide: ['spam'], warn: ['spam'] }), /two actions/)
    assert.throws(() => actionsFrom({ hide: ['boring'] }), /BAD_LABEL|a label is one of/)
    assert.equal(strongest(['warn', 'hide']), 'hide')
    assert.equal(strongest(['warn', 'drop', 'hide']), 'drop')
    assert.equal(strongest([]), undefined)
    assert.deepEqual(checkFollow({ id: MOD, actions: { nsfw: 'warn' } }), { id: MOD, actions: { nsfw: 'warn' } })
    assert.throws(() => checkFollow({ id: 'nope' }), /moderator id/)
  })

  it('reads followed moderators from a config, in either shape, and refuses bad ones', () => {
    const config = createConfig({ moderators: [{ id: MOD, drop: ['spam'] } as any, { id: 'ab'.repeat(32), actions: { hate: 'hide' } }] })
    assert.deepEqual(config.moderators, [{ id: MOD, actions: { spam: 'drop' } }, { id: 'ab'.repeat(32), actions: { hate: 'hide' } }])
    assert.throws(() => createConfig({ moderators: [{ id: 'x' } as any] }), (err: any) => err.code === 'BAD_CONFIG' && /moderators:/.test(err.message))
    assert.throws(() => createConfig({ moderators: [{ id: MOD, drop: ['boring'] } as any] }), /moderators:/)
  })
})

describe('moderation: labels in the store and the moderation state', () => {
  let dir: string
  let store: PostStore

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-mod-'))
    store = createStore({ path: join(dir, 'db') })
    await store.start()
  })

  afterEach(async () => {
    await store.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps each moderator\'s latest label per target, whatever the arrival order', async () => {
    const target = randomHex()
    const mod = randomHex()
    const older = makeLabel(mod, [target], 'spam', { createdAt: T0 })
    const newer = makeLabel(mod, [target], 'clear', { createdAt: T0 + 1000 })
    const another = makeLabel(randomHex(), [target], 'hate')
    await store.ingest([newer])
    await store.ingest([older, another])
    const labels = await store.labelsOf([target])
    assert.deepEqual(labels.map(l => [l.moderator, l.label]).sort(), [[another.author, 'hate'], [mod, 'clear']].sort())
    assert.equal((await store.stats()).labels, 3)
    // purging the moderator's labels leaves no stale entry; the other moderator's, expiring later, stays
    await store.purge(newer.expiresAt)
    assert.deepEqual((await store.labelsOf([target])).map(l => [l.moderator, l.label]), [[another.author, 'hate']])
    assert.equal((await store.stats()).labels, 1)
  })

  it('lists a moderator\'s reports newest first, and only theirs', async () => {
    const mod = randomHex()
    const a = makeReport(mod, randomHex(), 'spam', { createdAt: T0 })
    const b = makeReport(mod, randomHex(), 'hate', { createdAt: T0 + 10 })
    const elsewhere = makeReport(randomHex(), randomHex(), 'spam')
    assert.deepEqual((await store.ingest([a, b, elsewhere])).map(r => r.status), ['stored', 'stored', 'stored'])
    assert.deepEqual((await store.moderationLog(mod, { kind: 'report' })).map(r => r.id), [b.id, a.id])
    assert.deepEqual((await store.moderationLog(mod, { kind: 'label' })), [])
    assert.equal((await store.stats()).reports, 3)
  })

  it('drop removes a post with its thread and tombstones it', async () => {
    const post = makePost()
    const reply = makeReply(post)
    await store.ingest([post, reply])
    assert.deepEqual(await store.drop([post.id, randomHex()]), [post.id])
    assert.equal(await store.get(post.id), undefined)
    assert.equal(await store.get(reply.id), undefined)
    assert.ok(await store.isTombstoned(post.id))
    assert.deepEqual((await store.ingest([post])).map(r => r.status), ['deleted'])
  })

  it('hides for followed moderators only, drops what they label drop, and persists mutes', async () => {
    const mod = randomHex()
    const stranger = randomHex()
    const post = makePost({ text: 'cheap pills' })
    const other = makePost({ text: 'quiet evening', tags: ['lyon', 'night'] })
    const stored = async (id: string): Promise<NonNullable<Awaited<ReturnType<PostStore['get']>>>> => {
      const p = await store.get(id)
      assert.ok(p != null)
      return p
    }
    await store.ingest([post, other, makeLabel(stranger, [post.id], 'spam')])
    const moderation = createModeration({ store })
    await moderation.start()
    assert.equal(moderation.isExcluded(await stored(post.id)), false, 'nobody followed yet')
    await moderation.follow({ id: mod, actions: { spam: 'hide', nsfw: 'warn' } })
    const label = makeLabel(mod, [post.id, other.id], 'nsfw')
    await store.ingest([label])
    // as a label the user gives: the node's callback starts onStored, the API waits on applied
    const running = moderation.onStored(label)
    await moderation.applied(label.id)
    assert.deepEqual(moderation.warnings(post.id), ['nsfw'])
    await running
    assert.equal(moderation.isExcluded(await stored(post.id)), false)
    const spam = makeLabel(mod, [post.id], 'spam', { createdAt: label.createdAt + 1 })
    await store.ingest([spam])
    await moderation.onStored(spam)
    assert.equal(moderation.isExcluded(await stored(post.id)), true, 'a followed moderator\'s spam label hides it')
    assert.equal(moderation.admit({ ...post, id: randomHex(), kind: 'reply', parent: post.id, root: post.id }), undefined, 'hide does not refuse')

    await moderation.follow({ id: mod, actions: { spam: 'drop' } })
    assert.equal(await store.get(post.id), undefined, 'changing hide to drop removes what is already labelled')
    const lateReply = { ...post, id: randomHex(), kind: 'reply' as const, parent: post.id, root: post.id }
    assert.equal(moderation.admit(lateReply), 'DROPPED')
    await store.tombstone([lateReply])
    assert.ok(await store.isTombstoned(lateReply.id))
    assert.equal(moderation.droppedCount(), 1)

    await moderation.mute('tag', 'Night')
    await moderation.mute('word', 'Evening')
    assert.equal(moderation.isExcluded(await stored(other.id)), true)
    const again = createModeration({ store })
    await again.start()
    assert.deepEqual(again.settings().mutes, { words: ['evening'], tags: ['night'], pseudonyms: [] })
    assert.deepEqual(again.settings().moderators, [{ id: mod, actions: { spam: 'drop' } }])
    assert.equal(await again.unfollow(mod), true)
    assert.deepEqual(again.followed(), [])
  })
})
