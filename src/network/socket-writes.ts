// A connection's socket writes gathered per tick.
//
// @libp2p/tcp 11 hands each chunk a connection sends to its own `socket.write`, and on a socket
// with nothing queued each is a system call of its own (on loopback the receiving end's TCP
// stack runs inside it too). A gossip node writes one noise frame per message it forwards, and
// forwards the messages of a batch to the same peers in one tick: the gossip benchmark's burst
// made 5.6 socket writes a delivery. Corking the socket at a tick's first write and uncorking
// it on the next tick sends all of them in one `writev`, as Node's HTTP server does with a
// response; nothing waits longer than the tick. Remove this when the TCP transport gathers its
// writes itself.

import { Socket } from 'node:net'
import { AbstractMultiaddrConnection } from '@libp2p/utils'

/** The field @libp2p/tcp's connection keeps its socket in, private in the library's types. */
interface OverSocket { socket?: unknown }

let applied = false

/** Idempotent; applies to every TCP connection of the process, murmur's and any other's. */
export function gatherSocketWritesPerTick (): void {
  if (applied) return
  applied = true
  const proto = AbstractMultiaddrConnection.prototype as unknown as { processSendQueue: () => boolean }
  const send = proto.processSendQueue
  proto.processSendQueue = function (this: AbstractMultiaddrConnection & OverSocket): boolean {
    const socket = this.socket
    if (socket instanceof Socket && socket.writableCorked === 0 && !socket.destroyed) {
      socket.cork()
      process.nextTick(uncork, socket)
    }
    return send.call(this)
  }
}

function uncork (socket: Socket): void {
  socket.uncork()
}
