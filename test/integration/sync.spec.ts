// History sync between in-memory nodes with real LevelDB stores: a late joiner gets 10 000
// posts, a healed partition converges, deleted and expired posts stay gone.

import assert from 'node:assert/strict'
import { generateKeyPairSync, sign as edSign, createHash, type KeyObject } from 'node:crypto'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { defaultLogger } from '@libp2p/logger'
import { memory } from '@libp2p/memory'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream, type ProtobufMessageStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { hexToBytes } from '@noble/hashes/utils.js'
import { createLibp2p } from 'libp2p'
import { encodeBody, encodeEnvelope, decodeEnvelope, signedBytes, Kind, PROTOCOL_VERSION, uniformPolicy } from '../../src/post/index.js'
import { createIngestor } from '../../src/node/ingest.js'
import { createSync, SyncFrame, SYNC_PROTOCOL, NEGENTROPY_VERSION, type Sync, type SyncOptions } from '../../src/sync/index.js'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'
import type { MurmurNode } from '../../src/index.js'
import type { Libp2p, Stream } from '@libp2p/interface'

interface SyncNode { node: TestNode, sync: Sync }

/** A test node with a sync service of our options (replacing the node's own, if it has one), connecting to `onlyPeers` alone if given. */
async function syncNode (join: string[], options: Partial<SyncOptions> = {}, onlyPeers?: string[]): Promise<SyncNode> {
  const node = await createMemoryNode({ join, powBits: 0 }, { onlyPeers })
  const wired = (node as unknown as { sync?: Sync }).sync
  if (wired != null) await wired.stop()
  const sync = createSync({
    libp2p: node.libp2p,
    store: node.store,
    ingestor: node.ingestor,
    log: defaultLogger().forComponent('murmur:sync'),
    topics: () => node.topics(),
    options: { debounceMs: 100, ...options }
  })
  await sync.start()
  return { node, sync }
}

interface Author { privateKey: KeyObject, publicKey: Uint8Array<ArrayBuffer> }

function newAuthor (): Author {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKey: new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')) }
}

/**
 * A genuine post signed with node:crypto (RFC 8032, the same bytes as the node's own signer,
 * 50 times faster), for building thousands; proof of work 0.
 */
function buildPost (author: Author, fields: { text: string, tags: string[], createdAt: number, expiresAt: number }): { id: string, envelope: Uint8Array<ArrayBuffer> } {
  const body = encodeBody({
    version: PROTOCOL_VERSION,
    kind: Kind.POST,
    author: author.publicKey,
    createdAt: BigInt(fields.createdAt),
    expiresAt: BigInt(fields.expiresAt),
    tags: fields.tags,
    geohash: '',
    text: fields.text,
    parent: new Uint8Array(0),
    root: new Uint8Array(0),
    targets: [],
    label: '',
    moderator: new Uint8Array(0),
    value: 0,
    nonce: 0n
  })
  const signature = new Uint8Array(edSign(null, signedBytes(body), author.privateKey))
  return { id: createHash('sha256').update(body).digest('hex'), envelope: encodeEnvelope({ body, signature }) }
}

/** Every id a node holds for a topic, any kind, any age. */
async function idsOf (node: MurmurNode, topic: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for await (const entry of node.store.topicEntries(topic, 0, Number.MAX_SAFE_INTEGER)) ids.add(entry.id)
  return ids
}

const DAY = 24 * 3_600_000

describe('integration: history sync', function () {
  this.timeout(180_000)
  const nodes: SyncNode[] = []
  const make = async (join: string[], options: Partial<SyncOptions> = {}, onlyPeers?: string[]): Promise<SyncNode> => {
    const n = await syncNode(join, options, onlyPeers)
    nodes.push(n)
    return n
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async ({ node, sync }) => {
      await sync.stop()
      await node.cleanup()
    }))
  })

  it('gives a late joiner every one of 10 000 live posts of the topic', async () => {
    const a = await make(['tag:lyon'], { debounceMs: 1_000 })
    const author = newAuthor()
    const now = Date.now()
    const posts = Array.from({ length: 10_000 }, (_, i) => buildPost(author, {
      text: `murmur ${i}`,
      tags: ['lyon'],
      // spread over the past six days, several per second
      createdAt: now - Math.floor(i * 6 * DAY / 10_000),
      expiresAt: now + DAY
    }))
    // straight into a's store through the validation pipeline (the node's ingestor would also
    // announce each post to the UI, which costs more than the sync under test)
    const prefill = createIngestor({ store: a.node.store, pow: () => uniformPolicy(0) })
    for (let i = 0; i < posts.length; i += 500) {
      const outcomes = await prefill.submitMany(posts.slice(i, i + 500).map(p => p.envelope))
      assert.deepEqual(outcomes.filter(o => o.status !== 'stored'), [])
    }

    // the default debounce: a's own trigger (b subscribed) then finds b's session running
    const b = await make([], { debounceMs: 1_000 })
    await connect(b.node, a.node)
    await b.node.join('tag:lyon')
    await waitForSubscribers(b.node, [a.node], 'tag:lyon')
    const started = Date.now()
    const summary = await b.sync.syncTopic('tag:lyon')
    const took = Date.now() - started
    assert.deepEqual({ ok: summary.ok, failed: summary.failed }, { ok: 1, failed: 0 })
    assert.ok(summary.stored > 0)
    assert.deepEqual(await idsOf(b.node, 'tag:lyon'), new Set(posts.map(p => p.id)))
    assert.equal(await b.node.store.count(), 10_000)
    assert.ok(took < 60_000, `sync took ${took} ms`)
    const status = b.sync.progress()
    assert.equal(status.completed >= 1, true)
    assert.ok(status.bytesIn > 10_000 * 100, 'the envelopes were counted')
    // the feed reads what sync stored
    assert.equal((await b.node.feed({ topic: 'tag:lyon', sort: 'new', limit: 5 }))[0].id, posts[0].id)

    // a second session finds nothing to do, in one round
    const again = await b.sync.syncWithPeer(a.node.peerId, 'tag:lyon')
    assert.deepEqual({ need: again.need, have: again.have, stored: again.stored, rounds: again.rounds }, { need: 0, have: 0, stored: 0, rounds: 1 })
  })

  it('makes the two halves of a healed partition agree on the full set', async () => {
    const topic = 'tag:split'
    const [a1, a2, b1, b2] = await Promise.all([0, 1, 2, 3].map(async () => make([topic])))
    await connect(a1.node, a2.node)
    await connect(b1.node, b2.node)
    await waitForSubscribers(a1.node, [a2.node], topic)
    await waitForSubscribers(a2.node, [a1.node], topic)
    await waitForSubscribers(b1.node, [b2.node], topic)
    await waitForSubscribers(b2.node, [b1.node], topic)

    // each half talks among itself while cut off from the other
    for (const { node } of [a1, a2, b1, b2]) {
      for (let i = 0; i < 5; i++) await node.post({ text: `${node.peerId.slice(-6)} says ${i}`, tags: ['split'] })
    }
    const aPost = (await a1.node.feed({ topic, sort: 'new', limit: 1 }))[0]
    const bPost = (await b2.node.feed({ topic, sort: 'new', limit: 1 }))[0]
    await waitFor('the reply target in half A', async () => await a2.node.store.has(aPost.id))
    await waitFor('the reply target in half B', async () => await b1.node.store.has(bPost.id))
    await a2.node.reply(aPost.id, 'a reply in A')
    await b1.node.react(bPost.id, 1)
    // and some posts reached both halves before the cut
    const author = newAuthor()
    const now = Date.now()
    const shared = Array.from({ length: 5 }, (_, i) => buildPost(author, { text: `shared ${i}`, tags: ['split'], createdAt: now - i * 1000, expiresAt: now + DAY }))
    for (const { node } of [a1, a2, b1, b2]) await node.ingestor.submitMany(shared.map(p => p.envelope))

    for (const [x, y] of [[a1, a2], [b1, b2]]) {
      await waitFor('gossip within a half', async () => sameSet(await idsOf(x.node, topic), await idsOf(y.node, topic)))
    }
    const halfA = await idsOf(a1.node, topic)
    const halfB = await idsOf(b1.node, topic)
    assert.notDeepEqual(halfA, halfB)
    const union = new Set([...halfA, ...halfB])
    assert.equal(union.size, 4 * 5 + 2 + 5)

    // heal: one link between the halves; sync on subscription, then passed on within each half
    await connect(a2.node, b1.node)
    await waitFor('all four nodes hold the union', async () => {
      for (const { node } of [a1, a2, b1, b2]) {
        if (!sameSet(await idsOf(node, topic), union)) return false
      }
      return true
    }, 60_000)
    for (const { node } of [a1, a2, b1, b2]) assert.deepEqual(await idsOf(node, topic), union)
    // the link's sessions started on subscription; a1 and b2, one hop away, got the rest passed on
    const triggered = [a1, a2, b1, b2].map(n => n.sync.progress().triggered)
    assert.ok(triggered[1].subscription + triggered[2].subscription > 0, JSON.stringify(triggered))
    assert.ok(triggered[1].propagate + triggered[2].propagate > 0, JSON.stringify(triggered))
    assert.equal(triggered.reduce((n, t) => n + t.periodic, 0), 0)
    const thread = await b2.node.thread(aPost.id)
    assert.equal(thread.replies.length, 1)
    assert.equal((await a1.node.thread(bPost.id)).post.up, 1)
  })

  it('leaves a newly met subscriber to start the sessions while fanout peers cover the topic, and covers it again after a reconnect', async () => {
    const topic = 'tag:covered'
    const options = { fanout: 2, intervalMs: 0 }
    // b and c start no session within the test; d does, a second or so after meeting a
    const still = { ...options, debounceMs: 60_000 }
    const [a, b, c] = await Promise.all([make([topic], options), make([topic], still), make([topic], still)])
    await connect(a.node, b.node)
    await connect(a.node, c.node)
    await waitForSubscribers(a.node, [b.node, c.node], topic)
    await a.sync.syncWithPeer(b.node.peerId, topic)
    await a.sync.syncWithPeer(c.node.peerId, topic)

    // d meets a alone (its DHT lookups would find b and c too, and bring its post to them first)
    const d = await make([topic], { ...options, debounceMs: 2_000 }, [a.node.peerId])
    const theirs = await d.node.post({ text: 'written before d met anyone', tags: ['covered'] })
    const before = a.sync.progress()
    await connect(d.node, a.node)
    await waitFor('a to leave d to start', () => a.sync.progress().covered > before.covered)
    await waitFor("d's post to reach a by d's session", async () => await a.node.store.has(theirs.id), 20_000)
    assert.equal(a.sync.progress().triggered.subscription, before.triggered.subscription)
    assert.ok(d.sync.progress().triggered.subscription >= 1)
    // a passed d's post on to b and c (sessions a started to pass on news, not to cover)
    await waitFor("d's post passed on", async () => await b.node.store.has(theirs.id) && await c.node.store.has(theirs.id) && a.sync.progress().active === 0, 20_000)

    // a loses every connection, as a laptop whose network went away: what it reconciled over
    // them covers nothing it missed since
    for (const peer of [b, c, d]) await a.node.libp2p.hangUp(peerIdFromString(peer.node.peerId))
    const missed = await b.node.post({ text: 'while a was away', tags: ['covered'] })
    await connect(a.node, b.node)
    await waitFor('a to sync with b again', () => a.sync.progress().triggered.subscription > before.triggered.subscription)
    await waitFor('the post a missed', async () => await a.node.store.has(missed.id), 20_000)
  })

  it('passes news on to a subscriber whose own trigger is still waiting, although the topic is covered', async () => {
    const topic = 'tag:news'
    const p = await make([topic], { fanout: 1, intervalMs: 0, debounceMs: 2_000 })
    const y = await make([topic], { intervalMs: 0, debounceMs: 60_000 })
    await connect(y.node, p.node)
    await waitForSubscribers(p.node, [y.node], topic)
    await y.sync.syncWithPeer(p.node.peerId, topic)
    const c = await make([topic], { intervalMs: 0, debounceMs: 60_000 }, [p.node.peerId])
    await connect(c.node, p.node)
    await waitForSubscribers(p.node, [c.node], topic)
    // p's trigger for c waits 1–3 s, and y covers p's topic; y brings p news meanwhile, not by gossip
    const now = Date.now()
    const news = buildPost(newAuthor(), { text: 'news to pass on', tags: ['news'], createdAt: now, expiresAt: now + DAY })
    assert.equal((await y.node.ingestor.submit(news.envelope)).status, 'stored')
    await y.sync.syncWithPeer(p.node.peerId, topic)
    await waitFor('the news passed on to c', async () => await c.node.store.has(news.id), 20_000)
    assert.ok(p.sync.progress().triggered.propagate >= 1)
  })

  it('asks another subscriber when a session that covered the topic fails', async () => {
    const topic = 'tag:stalled'
    const r = await make([topic], { fanout: 1, intervalMs: 0, frameTimeoutMs: 1_000 })
    // x subscribes but its sync never answers; y would not start a session for a minute
    const x = await make([topic])
    await x.sync.stop()
    await x.node.libp2p.handle(SYNC_PROTOCOL, async () => new Promise<void>(() => {}))
    const y = await make([topic], { intervalMs: 0, debounceMs: 60_000 })
    const theirs = await y.node.post({ text: 'only y has this', tags: ['stalled'] })

    await connect(r.node, x.node)
    await waitFor('r to start a session with x', () => r.sync.progress().sessions.some(s => s.peer === x.node.peerId))
    await connect(r.node, y.node)
    await waitFor('r to count the topic covered by the running session', () => r.sync.progress().covered === 1)
    await waitFor("y's post, once the session with x has failed", async () => await r.node.store.has(theirs.id), 20_000)
    const progress = r.sync.progress()
    assert.equal(progress.failures.SyncTimeoutError, 1)
    assert.equal(progress.triggered.subscription, 2)
  })

  it('never brings back a deleted or an expired post', async () => {
    const topic = 'tag:gone'
    const a = await make([topic])
    const b = await make([topic])
    const deleted = await a.node.post({ text: 'regret', tags: ['gone'] })
    const kept = await a.node.post({ text: 'fine', tags: ['gone'] })
    // b got the post before its author deleted it, and never heard of the delete
    const envelope = await a.node.store.getEnvelope(deleted.id)
    assert.ok(envelope != null)
    assert.equal((await b.node.ingestor.submit(envelope)).status, 'stored')
    await a.node.remove(deleted.id)
    assert.equal(await a.node.store.isTombstoned(deleted.id), true)

    // both hold a post that expires in a moment; a purges it, b has not yet
    const now = Date.now()
    const shortLived = buildPost(newAuthor(), { text: 'soon gone', tags: ['gone'], createdAt: now - 60_000, expiresAt: now + 1_000 })
    for (const n of [a, b]) assert.equal((await n.node.ingestor.submit(shortLived.envelope)).status, 'stored')
    await waitFor('the short-lived post to expire', () => Date.now() > now + 1_000)
    await a.node.store.purge(Date.now())
    assert.equal(await a.node.store.has(shortLived.id), false)
    assert.equal(await b.node.store.has(shortLived.id), true)

    await connect(a.node, b.node)
    await waitForSubscribers(a.node, [b.node], topic)
    await waitForSubscribers(b.node, [a.node], topic)
    await a.sync.syncWithPeer(b.node.peerId, topic)
    await b.sync.syncWithPeer(a.node.peerId, topic)

    for (const n of [a, b]) {
      assert.equal(await n.node.store.get(deleted.id), undefined, 'the deleted post stays deleted')
      assert.equal(await n.node.store.isTombstoned(deleted.id), true, 'and the delete reached b')
      assert.ok(await n.node.store.has(kept.id))
    }
    assert.equal(await a.node.store.has(shortLived.id), false, 'the expired post did not come back')
    const live = async (n: SyncNode): Promise<Set<string>> => {
      const ids = new Set<string>()
      for await (const e of n.node.store.topicEntries(topic, 0, Number.MAX_SAFE_INTEGER, { now: Date.now() })) ids.add(e.id)
      return ids
    }
    assert.deepEqual(await live(a), await live(b))
  })
})

function sameSet (a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every(x => b.has(x))
}

describe('integration: a malicious sync peer', function () {
  this.timeout(120_000)
  const topic = 'tag:target'
  // short timeouts and a small claim limit, so each attack ends in well under a second
  const limits: Partial<SyncOptions> = { frameTimeoutMs: 500, sessionTimeoutMs: 3_000, maxItems: 1_000, intervalMs: 0 }
  let victim: SyncNode
  let honestIds: Set<string>
  const attackers: Libp2p[] = []
  const others: SyncNode[] = []

  before(async () => {
    victim = await syncNode([topic], limits)
    for (let i = 0; i < 3; i++) await victim.node.post({ text: `honest ${i}`, tags: ['target'] })
    honestIds = await idsOf(victim.node, topic)
  })
  afterEach(async () => {
    await Promise.all(attackers.splice(0).map(async a => a.stop()))
    // whatever happened, nothing entered the victim's store
    assert.deepEqual(await idsOf(victim.node, topic), honestIds)
  })
  after(async () => {
    for (const n of [...others, victim]) {
      await n.sync.stop()
      await n.node.cleanup()
    }
  })

  let counter = 0
  async function attacker (): Promise<Libp2p> {
    const node = await createLibp2p({
      addresses: { listen: [`/memory/attacker-${process.pid}-${++counter}-${Date.now()}`] },
      transports: [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { enabled: false }
    })
    attackers.push(node)
    await node.dial(multiaddr(victim.node.addresses()[0]))
    return node
  }
  async function open (atk: Libp2p): Promise<Stream> {
    return atk.dialProtocol(peerIdFromString(victim.node.peerId), SYNC_PROTOCOL)
  }
  async function penalised (atk: Libp2p): Promise<void> {
    await waitFor('the attacker denied', () => victim.sync.deniedPeers().has(atk.peerId.toString()), 10_000)
    await waitFor('the attacker hung up on', () => atk.getConnections(peerIdFromString(victim.node.peerId)).length === 0, 10_000)
  }
  /** a valid post of the topic, and the same body with a broken signature (same id) */
  function forged (): { id: string, valid: Uint8Array<ArrayBuffer>, badSignature: Uint8Array<ArrayBuffer> } {
    const now = Date.now()
    const post = buildPost(newAuthor(), { text: `forged ${++counter}`, tags: ['target'], createdAt: now, expiresAt: now + DAY })
    const envelope = decodeEnvelope(post.envelope)
    const signature = envelope.signature.slice()
    signature[0] ^= 1
    return { id: post.id, valid: post.envelope, badSignature: encodeEnvelope({ body: envelope.body, signature }) }
  }
  const frames = (stream: Stream): ProtobufMessageStream<SyncFrame> => pbStream(stream).pb(SyncFrame)
  /** Negentropy: "I hold nothing", so the responder answers with every id it holds */
  const EMPTY_SET = Uint8Array.of(NEGENTROPY_VERSION, 0x00, 0x00, 0x02, 0x00)

  it('drops and penalises a peer sending garbage bytes', async () => {
    const atk = await attacker()
    const { failed, failures } = victim.sync.progress()
    const stream = await open(atk)
    // a 5-byte frame of garbage: not a protobuf SyncFrame
    stream.send(Uint8Array.of(5, 0xde, 0xad, 0xbe, 0xef, 0x07, ...randomBytes(64)))
    await penalised(atk)
    assert.equal(victim.sync.progress().failed, failed + 1)
    assert.equal(victim.sync.progress().failures.SyncProtocolError, (failures.SyncProtocolError ?? 0) + 1)
    // it is refused for a while, however politely it comes back
    await atk.dial(multiaddr(victim.node.addresses()[0]))
    const again = frames(await open(atk))
    await again.write({ open: { topic, since: 0n } })
    assert.equal((await again.read()).error, 'DENIED')
  })

  it('drops and penalises a peer announcing an oversized frame', async () => {
    const atk = await attacker()
    const stream = await open(atk)
    const tenMiB = 10 * 1024 * 1024
    const prefix: number[] = []
    for (let n = tenMiB; n > 0x7f; n >>>= 7) prefix.push((n & 0x7f) | 0x80)
    prefix.push(tenMiB >>> (7 * prefix.length))
    stream.send(Uint8Array.of(...prefix, ...randomBytes(1024)))
    await penalised(atk)
  })

  it('drops and penalises a peer whose negentropy message claims a huge set', async () => {
    const atk = await attacker()
    const f = frames(await open(atk))
    await f.write({ open: { topic, since: 0n } })
    // an IdList of a billion ids in a 9-byte message
    await f.write({ neg: Uint8Array.of(NEGENTROPY_VERSION, 0x00, 0x00, 0x02, 0x83, 0xdc, 0xeb, 0x94, 0x00) })
    await penalised(atk)
  })

  it('drops and penalises a responder claiming more ids than the limit', async () => {
    const atk = await attacker()
    await atk.handle(SYNC_PROTOCOL, async (stream) => {
      const f = frames(stream)
      await f.read()
      await f.read()
      // 2 000 made-up ids, more than the victim's limit of 1 000
      const ids = Array.from({ length: 2_000 }, () => randomBytes(32))
      const count = [0x8f, 0x50] // varint 2000, most significant digit first
      await f.write({ neg: Uint8Array.of(NEGENTROPY_VERSION, 0x00, 0x00, 0x02, ...count, ...Buffer.concat(ids)) })
      await f.read().catch(() => {})
    })
    await assert.rejects(victim.sync.syncWithPeer(atk.peerId, topic), { name: 'SyncProtocolError' })
    await penalised(atk)
  })

  it('drops and penalises an initiator pushing an envelope with a bad signature', async () => {
    const atk = await attacker()
    const post = forged()
    const f = frames(await open(atk))
    await f.writeV([{ open: { topic, since: 0n } }, { neg: EMPTY_SET }])
    await f.read()
    // a turn: the pushed envelope, then the want that ends the turn (nothing asked for)
    await f.writeV([{ envelopes: { items: [post.badSignature], end: false } }, { want: { ids: [] } }])
    await penalised(atk)
    assert.equal(await victim.node.store.has(post.id), false)
  })

  it('drops and penalises a responder sending an envelope with a bad signature, or one not asked for', async () => {
    for (const attack of ['bad signature', 'not asked for'] as const) {
      const atk = await attacker()
      const post = forged()
      const other = forged()
      await atk.handle(SYNC_PROTOCOL, async (stream) => {
        const f = frames(stream)
        await f.read()
        await f.read()
        await f.write({ neg: Uint8Array.of(NEGENTROPY_VERSION, 0x00, 0x00, 0x02, 0x01, ...hexToBytes(post.id)) })
        await f.read()
        await f.write({ envelopes: { items: [attack === 'bad signature' ? post.badSignature : other.valid], end: true } })
        await f.read().catch(() => {})
      })
      await assert.rejects(victim.sync.syncWithPeer(atk.peerId, topic), { name: 'SyncProtocolError' }, attack)
      await penalised(atk)
      assert.equal(await victim.node.store.has(post.id), false)
      assert.equal(await victim.node.store.has(other.id), false)
    }
  })

  it('ends a stalled session by timeout without penalty', async () => {
    // an initiator that opens a stream and says nothing
    const quiet = await attacker()
    const failed = victim.sync.progress().failed
    const stream = await open(quiet)
    await waitFor('the silent session to time out', () => victim.sync.progress().failed === failed + 1, 5_000)
    assert.equal(victim.sync.progress().active, 0)
    assert.equal(victim.sync.deniedPeers().has(quiet.peerId.toString()), false)
    stream.abort(new Error('done'))

    // a responder that never answers
    const mute = await attacker()
    await mute.handle(SYNC_PROTOCOL, async () => new Promise<void>(() => {}))
    const started = Date.now()
    await assert.rejects(victim.sync.syncWithPeer(mute.peerId, topic), { name: 'SyncTimeoutError' })
    assert.ok(Date.now() - started < 2_500)

    // an initiator that keeps a session alive frame by frame is cut at the session timeout
    const slow = await attacker()
    const f = frames(await open(slow))
    await f.write({ open: { topic, since: 0n } })
    const t0 = Date.now()
    await assert.rejects(async () => {
      // a reconciliation that never ends: a frame every 300 ms, well within the frame timeout
      while (true) {
        await f.write({ neg: EMPTY_SET })
        await f.read()
        await new Promise(resolve => setTimeout(resolve, 300))
      }
    })
    const lasted = Date.now() - t0
    assert.ok(lasted >= 2_500 && lasted < 6_000, `the session lasted ${lasted} ms`)
    assert.equal(victim.sync.deniedPeers().has(slow.peerId.toString()), false)
  })

  it('stays responsive and syncs with an honest peer after all that', async () => {
    assert.ok(victim.sync.deniedPeers().size >= 6)
    const before = await victim.node.status()
    assert.equal(before.posts, honestIds.size)
    const honest = await syncNode([topic], limits)
    others.push(honest)
    const theirs = await honest.node.post({ text: 'an honest newcomer', tags: ['target'] })
    await connect(honest.node, victim.node)
    const result = await honest.sync.syncWithPeer(victim.node.peerId, topic)
    assert.deepEqual({ need: result.need, have: result.have }, { need: honestIds.size, have: 1 })
    assert.ok(await victim.node.store.has(theirs.id))
    honestIds.add(theirs.id)
    assert.deepEqual(await idsOf(honest.node, topic), honestIds)
    await victim.node.post({ text: 'still here', tags: ['target'] }).then(p => honestIds.add(p.id))
  })
})
