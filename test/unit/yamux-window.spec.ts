// Yamux windows renewed at half (src/network/yamux-window.ts): a transfer of many windows
// arrives whole, in order and without stalling, and the receiver sends a window update per
// half window instead of one per data frame.

import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { memory } from '@libp2p/memory'
import { byteStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { renewYamuxWindowsAtHalf } from '../../src/network/yamux-window.js'
import type { Stream } from '@libp2p/interface'

const PROTOCOL = '/murmur-test/yamux-window/1.0.0'
/** yamux's frame type of a window update */
const WINDOW_UPDATE = 1
/** the library's initial stream window */
const WINDOW = 256 * 1024

async function memoryNode (name: string): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [`/memory/${name}-${process.pid}-${Date.now()}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

describe('network: yamux windows renewed at half', function () {
  this.timeout(60_000)
  const nodes: Libp2p[] = []
  after(async () => { await Promise.all(nodes.map(async n => n.stop())) })

  it('carries 3 MB in 1 000-byte writes whole, with a window update per half window', async () => {
    renewYamuxWindowsAtHalf()
    const [sender, receiver] = [await memoryNode('sender'), await memoryNode('receiver')]
    nodes.push(sender, receiver)
    let updates = 0
    const received = new Promise<{ bytes: number, digest: string }>((resolve, reject) => {
      void receiver.handle(PROTOCOL, async (stream: Stream) => {
        try {
          assert.ok(stream instanceof YamuxStream, 'the handler is given the yamux stream itself')
          const frames = stream as unknown as { sendFrame: (frame: { type: number }) => void }
          const send = frames.sendFrame.bind(stream)
          frames.sendFrame = (frame) => {
            if (frame.type === WINDOW_UPDATE) updates++
            send(frame)
          }
          const hash = createHash('sha256')
          let bytes = 0
          for await (const chunk of stream) {
            const view = chunk instanceof Uint8Array ? chunk : chunk.subarray()
            hash.update(view)
            bytes += view.byteLength
          }
          resolve({ bytes, digest: hash.digest('hex') })
        } catch (err) {
          reject(err)
        }
      })
    })
    const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
    const writer = byteStream(stream)
    const expected = createHash('sha256')
    const total = 3 * 1024 * 1024
    for (let at = 0; at < total; at += 1_000) {
      const chunk = Uint8Array.from({ length: Math.min(1_000, total - at) }, (_, i) => (at + i) % 251)
      expected.update(chunk)
      await writer.write(chunk)
    }
    await stream.close()
    const { bytes, digest } = await received
    assert.equal(bytes, total)
    assert.equal(digest, expected.digest('hex'))
    // one per half window of data, and the few that open and close the stream; one per data
    // frame (over 3 000) without the rule
    assert.ok(updates <= Math.ceil(total / (WINDOW / 2)) + 4, `${updates} window updates for ${total} bytes`)
  })
})
