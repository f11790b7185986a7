// Integration fixture: many murmur nodes in one process on libp2p's in-memory transport,
// each with a real LevelDB store in its own temp dir.

import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode, type MurmurNode, type MurmurConfig } from '../../src/index.js'
import { createNetwork, type MurmurLibp2p } from '../../src/network/libp2p.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { tempDir, removeDir, waitFor } from './cli-node.js'

export interface TestNode extends MurmurNode {
  dataDir: string
  cleanup(): Promise<void>
}

let counter = 0

/** `onlyPeers`: this node connects to (and accepts) these PeerIds only, whatever discovery finds: a fixed topology. */
export async function createMemoryNode (config: Partial<MurmurConfig> = {}, options: { onlyPeers?: string[] } = {}): Promise<TestNode> {
  const dataDir = config.dataDir ?? await tempDir()
  const node = await createNode({
    dataDir,
    listen: [`/memory/murmur-${process.pid}-${++counter}-${Date.now()}`],
    api: '127.0.0.1:0',
    mdns: false,
    loopbackOnly: true,
    powBits: 2,
    ...config
  }, {
    transports: [memory()],
    ...(options.onlyPeers != null ? { connectionGater: onlyPeers(options.onlyPeers) } : {})
  })
  await node.start()
  return Object.assign(node, {
    dataDir,
    async cleanup () {
      await node.stop()
      await removeDir(dataDir)
    }
  })
}

function onlyPeers (allowed: string[]): ConnectionGater {
  const deny = (peer: PeerId): boolean => !allowed.includes(peer.toString())
  return { denyDialPeer: deny, denyInboundEncryptedConnection: deny, denyOutboundEncryptedConnection: deny }
}

export async function connect (a: MurmurNode, b: MurmurNode): Promise<void> {
  await a.libp2p.dial(multiaddr(b.addresses()[0]))
}

/** Waits until `node` sees every one of `others` subscribed to the gossip topic. */
export async function waitForSubscribers (node: MurmurNode, others: MurmurNode[], topic: string): Promise<void> {
  await waitFor(`${others.length} subscribers of ${topic}`, () => {
    const peers = node.peers()
    return others.every(o => peers.some(p => p.peerId === o.peerId && p.topics.includes(topic)))
  })
}

/** A started murmur libp2p network alone (no store, no discovery of its own) on the memory transport; `name` labels its address. */
export async function startedNetwork (name: string): Promise<MurmurLibp2p> {
  const node = await createNetwork({
    privateKey: await generateKeyPair('Ed25519'),
    listen: [`/memory/${name}-${process.pid}-${++counter}-${Date.now()}`],
    announce: [],
    bootstrap: [],
    mdns: false,
    loopbackOnly: true,
    transports: [memory()]
  })
  await node.start()
  return node
}
