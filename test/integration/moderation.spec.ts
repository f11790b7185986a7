// Moderation across in-memory nodes: labels hide or warn only where their moderator is
// followed, a relay that follows with `drop` stops carrying what is labelled, reports reach
// the moderator under one-off keys, and mutes filter stored and new posts and survive a restart.

import assert from 'node:assert/strict'
import { createMemoryNode, connect, waitForSubscribers, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'
import { parseTopic, toGossipTopic } from '../../src/geo/index.js'

/** Waits until `node` knows each of `others` subscribed to `topic`, whether or not it joined the topic itself. */
async function waitForSubscription (node: TestNode, others: TestNode[], topic: string): Promise<void> {
  const name = toGossipTopic(parseTopic(topic))
  await waitFor(`${others.length} subscribers of ${topic}`, () => {
    const subscribers = node.libp2p.services.pubsub.getSubscribers(name).map(String)
    return others.every(o => subscribers.includes(o.peerId))
  })
}

describe('integration: moderation', function () {
  this.timeout(120_000)
  const nodes: TestNode[] = []
  const make = async (join: string[], extra: Parameters<typeof createMemoryNode>[0] = {}, onlyPeers?: string[]): Promise<TestNode> => {
    const node = await createMemoryNode({ join, ...extra }, onlyPeers != null ? { onlyPeers } : {})
    nodes.push(node)
    return node
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => n.cleanup()))
  })

  const inFeed = async (node: TestNode, topic: string, id: string): Promise<boolean> =>
    (await node.feed({ topic, sort: 'new' })).some(p => p.id === id)

  it('a label hides a post for followers, warns for those who chose warn, and changes nothing for the others', async () => {
    const topic = 'tag:labelled'
    const author = await make([topic])
    const moderator = await make([])
    const hider = await make([topic])
    const warner = await make([topic])
    const other = await make([topic])
    const modId = moderator.moderationSettings().moderatorId
    await hider.followModerator({ id: modId })
    await warner.followModerator({ id: modId, warn: ['spam'] })
    for (const n of [hider, warner, other]) await connect(author, n)
    for (const n of [hider, warner]) await connect(moderator, n)
    await waitForSubscribers(author, [hider, warner, other], topic)
    await waitForSubscription(moderator, [hider, warner], `mod:${modId}`)

    const spam = await author.post({ text: 'buy cheap followers now', tags: ['labelled'] })
    const fine = await author.post({ text: 'the river is high today', tags: ['labelled'] })
    for (const n of [hider, warner, other]) {
      await waitFor('both posts everywhere', async () => await inFeed(n, topic, spam.id) && await inFeed(n, topic, fine.id))
    }

    const label = await moderator.label([spam.id], 'spam')
    await waitFor('the label hides the post for the follower', async () => !await inFeed(hider, topic, spam.id))
    await waitFor('the label warns on the post for the warner', async () =>
      (await warner.feed({ topic })).find(p => p.id === spam.id)?.warnings?.includes('spam') === true)
    assert.ok(await inFeed(hider, topic, fine.id), 'an unlabelled post stays')
    // asked for by id, the post still opens; only feeds leave it out
    assert.equal((await hider.thread(spam.id)).post.id, spam.id)

    // the same label reaching a node that does not follow its moderator changes nothing there
    const envelope = await moderator.store.getEnvelope(label.id)
    assert.ok(envelope != null)
    const outcome = await other.ingestor.submit(envelope)
    assert.equal(outcome.status, 'stored')
    assert.equal((await other.store.labelsOf([spam.id])).length, 1)
    assert.ok(await inFeed(other, topic, spam.id), 'a moderator the node does not follow has no say')
    assert.equal((await other.feed({ topic })).find(p => p.id === spam.id)?.warnings, undefined)

    // a node that follows the moderator later gets the labels published before, by sync
    const late = await make([topic])
    await connect(author, late)
    await connect(moderator, late)
    await waitFor('the late follower has the post', async () => (await late.store.get(spam.id)) != null)
    assert.ok(await inFeed(late, topic, spam.id))
    await moderator.join(`mod:${modId}`)
    await late.followModerator({ id: modId })
    await waitFor('the earlier label reaches the late follower', async () => !await inFeed(late, topic, spam.id))

    // a moderator can take its label back
    await moderator.label([spam.id], 'clear')
    await waitFor('the cleared post back in the follower feed', async () => await inFeed(hider, topic, spam.id))
    await waitFor('and without a warning', async () => (await warner.feed({ topic })).find(p => p.id === spam.id)?.warnings == null)
  })

  it('a relay that follows a moderator with drop stops carrying what it labels', async () => {
    const topic = 'tag:line'
    const moderator = await make([])
    const modId = moderator.moderationSettings().moderatorId
    const relay = await make([topic], { moderators: [{ id: modId, actions: { spam: 'drop' } }] })
    const plainRelay = await make([topic])
    const author = await make([topic])

    // 1. a post the relay already carries is removed once labelled
    await connect(author, relay)
    await connect(moderator, relay)
    await waitForSubscribers(author, [relay], topic)
    await waitForSubscription(moderator, [relay], `mod:${modId}`)
    const early = await author.post({ text: 'spam that got through #line' })
    await waitFor('the relay holds the post', async () => (await relay.store.get(early.id)) != null)
    await moderator.label([early.id], 'spam')
    await waitFor('the relay drops it', async () => (await relay.store.get(early.id)) == null)
    assert.ok(await relay.store.isTombstoned(early.id), 'tombstoned: neither gossip nor sync brings it back')
    assert.equal((await relay.status()).moderation.dropped, 1)

    // 2. a post labelled before it reaches the relay is never stored nor forwarded by it
    const late = await make([topic])
    const spam = await late.post({ text: 'more spam, posted offline #line' })
    const fine = await late.post({ text: 'an honest murmur, posted offline #line' })
    await moderator.label([spam.id], 'spam')
    await waitFor('the relay knows the label', async () => (await relay.store.labelsOf([spam.id])).length === 1)
    // discovery would find them other paths: each reader accepts its relay only, a line
    const reader = await make([topic], {}, [relay.peerId])
    const control = await make([topic], {}, [plainRelay.peerId])
    await connect(reader, relay)
    await connect(control, plainRelay)
    await waitForSubscribers(relay, [reader], topic)
    await waitForSubscribers(plainRelay, [control], topic)
    await connect(late, relay)
    await connect(late, plainRelay)

    await waitFor('the honest post reaches the reader through the relay', async () => (await reader.store.get(fine.id)) != null)
    await waitFor('both posts reach the control reader through a relay that does not follow', async () =>
      (await control.store.get(fine.id)) != null && (await control.store.get(spam.id)) != null)
    // the reader's only peer is the relay, and the relay has synced it everything it holds
    await reader.sync.syncWithPeer(relay.peerId, topic)
    await relay.sync.syncWithPeer(late.peerId, topic)
    await reader.sync.syncWithPeer(relay.peerId, topic)
    assert.equal(await relay.store.get(spam.id), undefined, 'the relay never stored the labelled post')
    assert.ok(await relay.store.isTombstoned(spam.id), 'and remembers it as gone, so sync stops fetching it')
    assert.equal(await reader.store.get(spam.id), undefined, 'so it never reached the reader')
    assert.equal(await reader.store.get(early.id), undefined, 'nor did the post dropped earlier')
    assert.ok(await reader.store.get(fine.id) != null)
  })

  it('a report reaches its moderator, signed by a key that links to nobody', async () => {
    const topic = 'tag:reported'
    const moderator = await make([topic])
    const modId = moderator.moderationSettings().moderatorId
    assert.deepEqual(await moderator.reports(), [], 'reading reports starts listening for them')
    const user = await make([topic])
    const poster = await make([topic])
    await connect(poster, user)
    await connect(user, moderator)
    await waitForSubscription(user, [moderator], `mod:${modId}`)
    await waitForSubscribers(user, [poster], topic)

    const post = await poster.post({ text: 'something nasty #reported' })
    await waitFor('the user sees the post', async () => (await user.store.get(post.id)) != null)
    const reply = await user.reply(post.id, 'that is not ok')
    const first = await user.report(post.id, { moderator: modId, reason: 'harassment', note: 'targets a classmate' })
    const second = await user.report(post.id, { moderator: modId, reason: 'hate' })
    assert.ok(first.recipients >= 1 && second.recipients >= 1, 'sent to the moderator')

    let reports: Awaited<ReturnType<TestNode['reports']>> = []
    await waitFor('both reports at the moderator', async () => (reports = await moderator.reports()).length === 2)
    assert.deepEqual(reports.map(r => r.reason).sort(), ['harassment', 'hate'])
    assert.ok(reports.every(r => r.target === post.id))
    assert.equal(reports.find(r => r.id === first.id)?.note, 'targets a classmate')
    assert.equal(reports.find(r => r.reason === 'hate')?.post?.id, post.id)
    // what the moderator sees of the reporter: two unrelated one-off keys
    const keys = reports.map(r => r.reporter)
    assert.notEqual(keys[0], keys[1])
    const userThreadKey = (await user.store.get(reply.id))?.author
    const userModId = user.moderationSettings().moderatorId
    for (const key of keys) {
      assert.notEqual(key, userThreadKey)
      assert.notEqual(key, userModId)
      assert.notEqual(key, post.id)
    }
  })

  it('mutes apply to stored and new posts, to a pseudonym in its thread, and survive a restart', async () => {
    const topic = 'tag:food'
    const me = await make([topic])
    const them = await make([topic])
    await connect(me, them)
    await waitForSubscribers(me, [them], topic)
    await waitForSubscribers(them, [me], topic)
    const broccoli = await them.post({ text: 'I love Broccoli! #food' })
    const broccolini = await them.post({ text: 'broccolini is another thing #food' })
    const tagged = await them.post({ text: 'soup again', tags: ['food', 'soup'] })
    const thread = await me.post({ text: 'what is for dinner? #food' })
    await waitFor('posts arrive', async () => (await me.store.get(tagged.id)) != null && (await them.store.get(thread.id)) != null)
    const theirReply = await them.reply(thread.id, 'pasta, obviously')
    const myReply = await me.reply(thread.id, 'not again')
    await waitFor('their reply arrives', async () => (await me.store.get(theirReply.id)) != null)

    await me.mute('word', 'ＢＲＯＣＣＯＬＩ')
    await me.mute('tag', '#Soup')
    await me.mute('pseudonym', theirReply.id)
    const ids = async (): Promise<string[]> => (await me.feed({ topic, sort: 'new' })).map(p => p.id)
    let feed = await ids()
    assert.ok(!feed.includes(broccoli.id), 'a stored post with a muted word (NFKC, any case) is gone')
    assert.ok(feed.includes(broccolini.id), 'whole words only')
    assert.ok(!feed.includes(tagged.id), 'a muted tag')
    assert.ok(feed.includes(thread.id))
    const replies = (await me.thread(thread.id)).replies.map(r => r.id)
    assert.deepEqual(replies, [myReply.id], 'the muted pseudonym is gone from its thread, mine stays')

    const fresh = await them.post({ text: 'more broccoli tonight #food' })
    const ok = await them.post({ text: 'carrots tonight #food' })
    await waitFor('new posts arrive', async () => (await me.store.get(fresh.id)) != null && (await me.store.get(ok.id)) != null)
    feed = await ids()
    assert.ok(!feed.includes(fresh.id), 'a new post with a muted word is left out too')
    assert.ok(feed.includes(ok.id))

    await me.setHideAtOrBelow(0)
    assert.deepEqual(await ids(), [], 'everything at score 0 is hidden at threshold 0')
    await them.react(ok.id, 1)
    await waitFor('a liked post comes back', async () => (await ids()).includes(ok.id))

    // the settings are in the store: a restart keeps them
    const { dataDir } = me
    await me.stop()
    nodes.splice(nodes.indexOf(me), 1)
    const again = await createMemoryNode({ dataDir, join: [topic] })
    nodes.push(again)
    const settings = again.moderationSettings()
    assert.deepEqual(settings.mutes.words, ['broccoli'])
    assert.deepEqual(settings.mutes.tags, ['soup'])
    assert.equal(settings.hideAtOrBelow, 0)
    assert.deepEqual((await again.feed({ topic, sort: 'new' })).map(p => p.id), [ok.id])
    await again.unmute('pseudonym', theirReply.id)
    await again.unmute('word', 'broccoli')
    await again.setHideAtOrBelow(-5)
    const after = (await again.feed({ topic, sort: 'new' })).map(p => p.id)
    assert.ok(after.includes(broccoli.id) && after.includes(fresh.id), 'unmuted, they come back')
    assert.equal((await again.thread(thread.id)).replies.length, 2)
  })

  after(async () => {
    await Promise.all(nodes.splice(0).map(async n => n.cleanup()))
  })
})
