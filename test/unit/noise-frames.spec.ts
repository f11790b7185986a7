// Noise frames written whole (src/network/noise-frames.ts): over real TCP on loopback, each
// encrypted frame leaves in one socket write, not one for its length and one for its
// ciphertext, and the bytes arrive as they were sent.

import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import { lpStream } from '@libp2p/utils'
import type { Libp2p } from 'libp2p'
import { renewYamuxWindowsAtHalf } from '../../src/network/yamux-window.js'
import { loopbackTcpNode } from '../helpers/tcp-node.js'

const PROTOCOL = '/murmur-test/echo/1.0.0'
const MESSAGES = 100

/** murmur's transport: yamux renews windows at half, so a small message is one frame each way */
async function tcpNode (): Promise<Libp2p> {
  renewYamuxWindowsAtHalf()
  return await loopbackTcpNode()
}

describe('network: noise frames written whole', function () {
  this.timeout(60_000)
  const nodes: Libp2p[] = []
  const write = Socket.prototype.write
  after(async () => {
    Socket.prototype.write = write
    await Promise.all(nodes.map(async n => n.stop()))
  })

  it('writes each frame of a stream in one socket write, and delivers every byte', async () => {
    const [a, b] = [await tcpNode(), await tcpNode()]
    nodes.push(a, b)
    await b.handle(PROTOCOL, async stream => {
      const lp = lpStream(stream)
      for (let i = 0; i < MESSAGES; i++) await lp.write(await lp.read())
      await stream.close()
    })
    const lp = lpStream(await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL))
    let writes = 0
    Socket.prototype.write = function (this: Socket, ...args: any[]) {
      writes++
      return (write as (...a: any[]) => boolean).apply(this, args)
    } as typeof write
    for (let i = 0; i < MESSAGES; i++) {
      const message = new Uint8Array(100).fill(i)
      await lp.write(message)
      assert.ok(Buffer.from((await lp.read()).subarray()).equals(message), `message ${i} came back whole`)
    }
    Socket.prototype.write = write
    // each message is one yamux frame each way: both ends' writes are counted, 2 per message
    // when a frame is one write, 4 when it took two
    assert.ok(writes >= 2 * MESSAGES && writes < 3 * MESSAGES, `${writes} socket writes for ${MESSAGES} messages echoed`)
  })
})
