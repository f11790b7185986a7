// Three real nodes, each started as `murmur start` in its own process on 127.0.0.1 (A
// bootstraps B and C): posts, replies, likes and deletes travel between them, a restart keeps
// what a node had, and a raw libp2p peer publishing garbage changes nothing.

import assert from 'node:assert/strict'
import { startCliNode, waitFor, removeDir, type CliNode } from '../helpers/cli-node.js'
import { createRawPeer, type RawPeer } from '../helpers/raw-peer.js'

const TOPIC = 'tag:e2e'
const GOSSIP_TOPIC = 'murmur/1/tag/e2e'

describe('e2e: three nodes over TCP', function () {
  this.timeout(180_000)
  let a: CliNode
  let b: CliNode
  let c: CliNode
  const dirs: string[] = []

  async function meshed (node: CliNode, others: CliNode[]): Promise<boolean> {
    const { peers } = await node.get<{ peers: Array<{ peerId: string, topics: string[] }> }>('/api/peers')
    return others.every(o => peers.some(p => p.peerId === o.peerId && p.topics.includes(TOPIC)))
  }

  before(async () => {
    a = await startCliNode({ join: [TOPIC] })
    const bootstrap = [a.addresses[0]]
    b = await startCliNode({ join: [TOPIC], bootstrap })
    c = await startCliNode({ join: [TOPIC], bootstrap })
    dirs.push(a.dataDir, b.dataDir, c.dataDir)
    await waitFor('A to see B and C subscribed', async () => meshed(a, [b, c]))
    await waitFor('B and C to see A subscribed', async () => await meshed(b, [a]) && await meshed(c, [a]))
  })

  after(async () => {
    await Promise.all([a, b, c].map(async n => n?.stop()))
    await Promise.all(dirs.map(removeDir))
  })

  let postId: string

  it('a post on B reaches the feeds of C and A', async () => {
    const { status, body: post } = await b.send<any>('POST', '/api/posts', { text: 'first murmur over TCP #e2e' })
    assert.equal(status, 201, JSON.stringify(post))
    assert.equal(post.isMine, true)
    assert.deepEqual(post.tags, ['e2e'])
    postId = post.id
    for (const node of [c, a]) {
      await waitFor('the post in the feed', async () => {
        const { posts } = await node.get<any>(`/api/feed?topic=${TOPIC}&sort=new`)
        return posts.some((p: any) => p.id === postId && p.text === 'first murmur over TCP #e2e' && p.isMine === false)
      })
    }
  })

  it('a reply from C and a like from A show on all three with the same counters', async () => {
    const reply = await c.send<any>('POST', `/api/posts/${postId}/replies`, { text: 'heard you' })
    assert.equal(reply.status, 201, JSON.stringify(reply.body))
    const like = await a.send<any>('POST', `/api/posts/${postId}/reactions`, { value: 1 })
    assert.equal(like.status, 200, JSON.stringify(like.body))
    for (const node of [a, b, c]) {
      await waitFor('one reply and one like everywhere', async () => {
        const thread = await node.get<any>(`/api/posts/${postId}`)
        return thread.post.up === 1 && thread.post.down === 0 && thread.post.replies === 1 &&
          thread.replies.length === 1 && thread.replies[0].text === 'heard you'
      })
    }
    const onB = await b.get<any>(`/api/posts/${postId}`)
    assert.equal(onB.post.isMine, true)
    assert.equal(onB.replies[0].isMine, false)
    assert.equal(onB.replies[0].isOp, false)
    const onC = await c.get<any>(`/api/posts/${postId}`)
    assert.equal(onC.replies[0].isMine, true)
  })

  it('only the author can delete, and a delete on B removes the post everywhere', async () => {
    const refused = await c.send<any>('DELETE', `/api/posts/${postId}`)
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'NOT_YOURS')
    const deleted = await b.send<any>('DELETE', `/api/posts/${postId}`)
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body))
    for (const node of [a, b, c]) {
      await waitFor('the post gone', async () => (await node.send('GET', `/api/posts/${postId}`)).status === 404)
      const { posts } = await node.get<any>(`/api/feed?topic=${TOPIC}&sort=new`)
      assert.ok(!posts.some((p: any) => p.id === postId))
    }
  })

  it('a node killed right after answering, restarted on the same data dir, keeps its posts and topics', async () => {
    const { body: kept } = await c.send<any>('POST', '/api/posts', { text: 'still here after a restart', tags: ['e2e', 'restart'] })
    // no clean shutdown: what the API confirmed must already be on disk
    const exited = new Promise(resolve => c.process.once('exit', resolve))
    c.process.kill('SIGKILL')
    await exited
    c = await startCliNode({ dataDir: c.dataDir, bootstrap: [a.addresses[0]] })
    const status = await c.get<any>('/api/status')
    assert.deepEqual([...status.topics].sort(), ['tag:e2e', 'tag:restart'])
    const thread = await c.get<any>(`/api/posts/${kept.id}`)
    assert.equal(thread.post.text, 'still here after a restart')
    assert.equal(thread.post.isMine, true)
  })

  describe('a raw libp2p peer publishing garbage', () => {
    let raw: RawPeer

    before(async () => {
      raw = await createRawPeer([GOSSIP_TOPIC])
      await raw.dial(a.addresses[0])
      await waitFor('A to see the raw peer subscribed', async () => {
        const { peers } = await a.get<any>('/api/peers')
        return peers.some((p: any) => p.peerId === raw.peerId && p.topics.includes(TOPIC))
      })
    })

    after(async () => { await raw?.stop() })

    it('gets none of its garbage, bit-flipped or replayed messages stored, and every node keeps serving', async () => {
      await waitFor('C back in the mesh', async () => meshed(c, [a]))
      const { body: good } = await b.send<any>('POST', '/api/posts', { text: 'a good post to replay #e2e' })
      for (const node of [a, b, c]) {
        await waitFor('the good post everywhere', async () => (await node.send('GET', `/api/posts/${good.id}`)).status === 200)
      }
      await waitFor('the raw peer to receive it', () => raw.seen(good.id) != null)
      const envelope = raw.seen(good.id) as Uint8Array
      const before = await Promise.all([a, b, c].map(async n => (await n.get<any>('/api/status')).posts))

      const garbage: Uint8Array[] = [
        new Uint8Array(0),
        crypto.getRandomValues(new Uint8Array(200)),
        crypto.getRandomValues(new Uint8Array(5000)),
        new TextEncoder().encode('{"text":"not protobuf"}')
      ]
      for (let i = 0; i < envelope.length * 8; i += 97) {
        const flipped = envelope.slice()
        flipped[i >> 3] ^= 1 << (i & 7)
        garbage.push(flipped)
      }
      for (const bytes of garbage) await raw.publish(GOSSIP_TOPIC, bytes)
      // the replay: the exact bytes of a stored post again (the raw peer forgets what it sent)
      await raw.publish(GOSSIP_TOPIC, envelope)
      // then one valid post from the same peer: once it is everywhere, the flood before it on
      // the same connection has been judged, and a good message still gets through
      const marker = await raw.publishValid(GOSSIP_TOPIC, { text: 'a valid post after the flood', tags: ['e2e'] }, 4)
      for (const node of [a, b, c]) {
        await waitFor('the marker post', async () => (await node.send('GET', `/api/posts/${marker}`)).status === 200)
      }
      const after = await Promise.all([a, b, c].map(async n => (await n.get<any>('/api/status')).posts))
      assert.deepEqual(after, before.map(n => n + 1))
      const judged = await a.get<any>('/api/status')
      assert.ok(judged.gossip.rejected >= 1, `A rejected the garbage: ${JSON.stringify(judged.gossip)}`)
      // gossipsub caches scores for a heartbeat: wait for the penalty to show
      await waitFor('the raw peer scored down on A', async () => {
        const { peers } = await a.get<any>('/api/peers')
        const attacker = peers.find((p: any) => p.peerId === raw.peerId)
        return attacker == null || attacker.score < 0
      }, 10_000)
    })
  })
})
