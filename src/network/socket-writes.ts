// A connection's socket writes gathered until the microtasks already queued have run.
//
// @libp2p/tcp 11 hands each chunk a connection sends to its own `socket.write`, and on a socket
// with nothing queued each is a system call of its own (on loopback the receiving end's TCP
// stack runs inside it too). A murmur node forwards the messages of a stored batch together:
// each verdict's continuation is queued at once, and each forwards its message with one noise
// frame per peer, so the gossip benchmark's burst made 5.6 socket writes a delivery. Corking the
// socket at the first write and uncorking it in a microtask queued behind those continuations
// sends them in one `writev`. Not `process.nextTick`, as Node's HTTP server does: that waits for
// the whole microtask queue to drain, including every stream's reads chained on meanwhile, and
// doubled the median hop after the author's answer in the 50-node simulation
// (docs/performance.md). Remove this when the TCP transport gathers its writes itself.

import { Socket } from 'node:net'
import { AbstractMultiaddrConnection } from '@libp2p/utils'

/** The field @libp2p/tcp's connection keeps its socket in, private in the library's types. */
interface OverSocket { socket?: unknown }

let applied = false

/** Idempotent; applies to every TCP connection of the process, murmur's and any other's. */
export function gatherSocketWrites (): void {
  if (applied) return
  applied = true
  const proto = AbstractMultiaddrConnection.prototype as unknown as { processSendQueue: () => boolean }
  const send = proto.processSendQueue
  proto.processSendQueue = function (this: AbstractMultiaddrConnection & OverSocket): boolean {
    const socket = this.socket
    if (socket instanceof Socket && socket.writableCorked === 0 && !socket.destroyed) {
      socket.cork()
      queueMicrotask(() => { socket.uncork() })
    }
    return send.call(this)
  }
}
