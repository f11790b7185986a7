// Yamux flow control as the yamux spec and go-yamux practise it: a stream's receive window is
// renewed when half of it has been used, not after every data frame.
//
// @chainsafe/libp2p-yamux 8.0.1 answers every data frame with a window-update frame, so each
// gossip message, DHT reply or ping costs a second frame, a second noise encryption and a
// second socket write on the receiver, and a second frame to decode on the sender: in a
// 50-node simulation, sendWindowUpdate was 10 % of a node's busy CPU. The sender may send a
// whole window before it needs an update, so renewing at half keeps it from ever waiting.
// Remove this when the library renews at half a window itself.

import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** The fields the update rule reads, private in the library's types. */
interface WindowState { state: StreamState, recvWindow: number, recvWindowCapacity: number }

let applied = false

/** Idempotent; applies to every yamux stream of the process, murmur's and any other's. */
export function renewYamuxWindowsAtHalf (): void {
  if (applied) return
  applied = true
  const renew = YamuxStream.prototype.sendWindowUpdate
  YamuxStream.prototype.sendWindowUpdate = function (this: YamuxStream): void {
    const stream = this as unknown as WindowState
    // opening (the update carries SYN or ACK), paused, closed: the library's own rules
    if (stream.state !== StreamState.Established || stream.recvWindowCapacity < stream.recvWindow / 2) renew.call(this)
  }
}
