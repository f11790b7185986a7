// Forwarding after asynchronous validation, against a real node on the in-memory transport:
// a copy that arrives while the node is still validating a message is noted, and the
// node's forward skips the peers that sent it one, as well as the first sender.

import assert from 'node:assert/strict'
import type { GossipSub } from '@libp2p/gossipsub'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { createBareGossipNode, type BareGossipNode } from '../helpers/raw-peer.js'
import { bodyId, createMessage, decodeEnvelope, uniformPolicy } from '../../src/post/index.js'
import { createMemoryNode, type TestNode } from '../helpers/memory-nodes.js'
import { waitFor } from '../helpers/cli-node.js'

const TOPIC = 'murmur/1/tag/forward'
let counter = 0

interface Peer {
  libp2p: BareGossipNode
  /** envelopes received by gossip, duplicates included, in order */
  received: Uint8Array[]
}

/** Records every message a gossipsub instance receives, duplicates included (its events skip those). */
function recordReceived (pubsub: GossipSub): Uint8Array[] {
  const received: Uint8Array[] = []
  const internals = pubsub as unknown as { handleReceivedRpc: (from: unknown, rpc: { messages: Array<{ data?: Uint8Array }> }) => Promise<void> }
  const handle = internals.handleReceivedRpc.bind(pubsub)
  internals.handleReceivedRpc = async (from, rpc) => {
    for (const message of rpc.messages) if (message.data != null) received.push(message.data)
    await handle(from, rpc)
  }
  return received
}

async function rawPeer (topics = [TOPIC]): Promise<Peer> {
  const libp2p = await createBareGossipNode({ listen: [`/memory/forward-${process.pid}-${++counter}`], transports: [memory()] })
  const received = recordReceived(libp2p.services.pubsub)
  for (const topic of topics) libp2p.services.pubsub.subscribe(topic)
  return { libp2p, received }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

describe('integration: forwarding after asynchronous validation', function () {
  this.timeout(60_000)
  let node: TestNode
  const peers: Peer[] = []

  afterEach(async () => {
    await Promise.all(peers.splice(0).map(async p => p.libp2p.stop()))
    await node?.cleanup()
  })

  async function connected (topics = [TOPIC]): Promise<Peer> {
    const peer = await rawPeer(topics)
    peers.push(peer)
    await peer.libp2p.dial(multiaddr(node.addresses()[0]))
    const id = peer.libp2p.peerId.toString()
    const mesh = (topic: string): Set<string> | undefined => (node.libp2p.services.pubsub as unknown as { mesh: Map<string, Set<string>> }).mesh.get(topic)
    for (const topic of topics) {
      await waitFor('the node to mesh with the peer', () => mesh(topic)?.has(id) === true)
      await waitFor('the peer to see the node subscribed', () => peer.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(node.libp2p.peerId)))
    }
    return peer
  }

  it('forwards a post it holds when it comes again on another of its topics, to that topic\'s peers', async () => {
    const [alpha, beta] = ['murmur/1/tag/alpha', 'murmur/1/tag/beta']
    node = await createMemoryNode({ join: ['tag:alpha', 'tag:beta'], powBits: 0 })
    const sender = await connected([alpha, beta])
    const listener = await connected([beta])
    const { message } = await createMessage({ kind: 'post', text: 'on two topics', tags: ['alpha', 'beta'] }, crypto.getRandomValues(new Uint8Array(32)), { pow: uniformPolicy(0) })
    await sender.libp2p.services.pubsub.publish(alpha, message.envelope)
    await waitFor('the post stored from alpha', async () => await node.store.has(message.id))
    assert.equal(listener.received.filter(d => same(d, message.envelope)).length, 0, 'nothing on beta yet')
    // a duplicate now, but new on beta: accepted there, so beta's peers get it
    await sender.libp2p.services.pubsub.publish(beta, message.envelope)
    await waitFor('the post forwarded on beta', () => listener.received.some(d => same(d, message.envelope)))
  })

  it('does not send a message back to peers that sent it a copy while it was validated', async () => {
    node = await createMemoryNode({ join: ['tag:forward'], powBits: 0 })
    const first = await connected()
    const second = await connected()
    const listener = await connected()
    const atNode = recordReceived(node.libp2p.services.pubsub)

    // hold the node's validations until both copies are in, so the second cannot arrive after the verdict
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    let submitted = 0
    const submit = node.ingestor.submit.bind(node.ingestor)
    node.ingestor.submit = async (...args) => {
      submitted++
      await held
      return submit(...args)
    }
    const { message } = await createMessage({ kind: 'post', text: 'sent by two peers', tags: ['forward'] }, crypto.getRandomValues(new Uint8Array(32)), { pow: uniformPolicy(0) })
    await first.libp2p.services.pubsub.publish(TOPIC, message.envelope)
    await waitFor('the first copy under validation', () => submitted === 1)
    await second.libp2p.services.pubsub.publish(TOPIC, message.envelope)
    await waitFor('the second copy received', () => atNode.filter(d => same(d, message.envelope)).length === 2)
    assert.equal(submitted, 1, 'a duplicate is not validated again')
    release()

    await waitFor('the post forwarded to the third peer', () => listener.received.some(d => same(d, message.envelope)))
    // the node's stream to each peer is ordered: a later post reaching both senders proves
    // nothing of the first was sent to them before it
    const after = await node.post({ text: 'a later post', tags: ['forward'] })
    for (const sender of [first, second]) {
      await waitFor('the later post at the sender', () => sender.received.some(d => decodeId(d) === after.id))
      assert.equal(sender.received.filter(d => same(d, message.envelope)).length, 0, 'no copy sent back to a peer that sent one')
    }
    assert.ok(await node.store.has(message.id))
  })
})

/** A post's id from its envelope, or '' for bytes that are not one. */
function decodeId (data: Uint8Array): string {
  try {
    return Buffer.from(bodyId(decodeEnvelope(data).body)).toString('hex')
  } catch {
    return ''
  }
}
