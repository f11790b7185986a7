// Noise with each encrypted frame handed to the transport as one buffer.
//
// @chainsafe/libp2p-noise 17 hands the transport every frame as two buffers, its 2-byte length
// and its ciphertext, and @libp2p/tcp 11 writes each buffer of what it is given with its own
// `socket.write`: two system calls for every yamux frame (a gossip message, a window update,
// a DHT reply). In a 50-node simulation's profiles the socket writes were the largest single
// cost of a node (`writeBuffer`, 18 % of its busy time). Copying the few hundred bytes of a
// frame behind its length costs far less than a second system call. Remove this when noise or
// the TCP transport coalesce a frame's parts themselves.

import { noise } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The encrypting stream's method, private in the library's types. */
interface Encrypting { encrypt: (chunk: Uint8Array | Uint8ArrayList) => Uint8ArrayList | Uint8Array }

const joined = new WeakSet<object>()

/** noise(), whose secured connections write each frame as one buffer. */
export function noiseWholeFrames (): (components: any) => ConnectionEncrypter {
  const make = noise()
  return components => {
    const encrypter = make(components)
    const secureInbound = encrypter.secureInbound.bind(encrypter)
    const secureOutbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (...args) => join(await secureInbound(...args))
    encrypter.secureOutbound = async (...args) => join(await secureOutbound(...args))
    return encrypter
  }
}

/** The library's stream class is not exported: its prototype is reached through the first connection. */
function join<T extends { connection: unknown }> (secured: T): T {
  const proto = Object.getPrototypeOf(secured.connection) as Encrypting
  if (!joined.has(proto) && typeof proto.encrypt === 'function') {
    joined.add(proto)
    const encrypt = proto.encrypt
    proto.encrypt = function (this: Encrypting, chunk) {
      const frames = encrypt.call(this, chunk)
      // subarray() of a list joins its buffers into one (and returns a lone buffer as it is)
      return frames instanceof Uint8Array ? frames : frames.subarray()
    }
  }
  return secured
}
