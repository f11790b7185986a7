// A connection's socket writes gathered (src/network/socket-writes.ts): over real TCP on
// loopback, the frames a stream sends together leave in one system call, and every byte
// arrives in order, also when the gathered writes overflow the socket's buffer.

import assert from 'node:assert/strict'
import { Socket } from 'node:net'
import type { Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { pEvent } from 'p-event'
import { Uint8ArrayList } from 'uint8arraylist'
import { gatherSocketWrites } from '../../src/network/socket-writes.js'
import { loopbackTcpNode } from '../helpers/tcp-node.js'

const PROTOCOL = '/murmur-test/sink/1.0.0'

async function tcpNode (): Promise<Libp2p> {
  gatherSocketWrites()
  return await loopbackTcpNode()
}

/** Socket.prototype's two write paths below the stream's buffering: each call is one system call. */
function countSocketCalls (): { calls: () => number, restore: () => void } {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>
  const original = { _write: proto._write, _writev: proto._writev }
  let calls = 0
  for (const name of ['_write', '_writev'] as const) {
    proto[name] = function (this: Socket, ...args: unknown[]) {
      calls++
      original[name].apply(this, args)
    }
  }
  return { calls: () => calls, restore: () => { Object.assign(proto, original) } }
}

describe('network: socket writes gathered', function () {
  this.timeout(60_000)
  const nodes: Libp2p[] = []
  let counter: ReturnType<typeof countSocketCalls> | undefined
  let a: Libp2p
  let received: Promise<Uint8ArrayList>
  let sink: Stream

  beforeEach(async () => {
    a = await tcpNode()
    const b = await tcpNode()
    nodes.push(a, b)
    received = new Promise(resolve => {
      void b.handle(PROTOCOL, async stream => {
        const all = new Uint8ArrayList()
        for await (const chunk of stream) all.append(chunk)
        resolve(all)
      })
    })
    sink = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL)
  })

  afterEach(async () => {
    counter?.restore()
    counter = undefined
    await Promise.all(nodes.splice(0).map(async n => n.stop()))
  })

  it('sends frames written together in one system call, in order', async () => {
    const frames = Array.from({ length: 50 }, (_, i) => new Uint8Array(200).fill(i))
    counter = countSocketCalls()
    for (const frame of frames) sink.send(frame)
    await new Promise(resolve => setImmediate(resolve))
    const calls = counter.calls()
    counter.restore()
    await sink.close()
    assert.equal(calls, 1, `${calls} socket calls for 50 frames sent together`)
    assert.deepEqual(Buffer.from((await received).subarray()), Buffer.concat(frames))
  })

  it('delivers writes gathered past the socket buffer once it drains', async () => {
    const chunk = (i: number): Uint8Array => new Uint8Array(32 * 1024).fill(i)
    const sent: Uint8Array[] = []
    let full = false
    for (let i = 0; i < 64; i++) {
      sent.push(chunk(i))
      if (!sink.send(chunk(i))) full = true
    }
    assert.ok(full, 'the writes overflowed a buffer and the stream asked to wait')
    if (sink.writeBufferLength > 0) await pEvent(sink, 'drain')
    await sink.close()
    assert.deepEqual(Buffer.from((await received).subarray()), Buffer.concat(sent))
  })
})
