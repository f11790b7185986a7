// A libp2p node with no services on loopback TCP, murmur's noise and yamux: the fixture of the
// tests of murmur's fixes to the stream stack, each of which applies its own fix first.

import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { noiseWholeFrames } from '../../src/network/noise-frames.js'

export async function loopbackTcpNode (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noiseWholeFrames()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false }
  })
}
