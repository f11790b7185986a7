// Liveness of connections: a peer that vanished without closing its connections (a laptop
// shut, a network changed) is found out by a yamux ping frame it does not answer, and each
// connection to it is aborted, so gossipsub stops counting it in its meshes.
//
// This replaces libp2p's connection monitor and yamux's keepalive. The monitor pinged all of
// a node's connections at once, each interval, each with a stream of the ping protocol: a
// stream opened and negotiated, 32 bytes each way, closed, and handled at both ends. Yamux's
// keepalive sent a ping frame every 30 s and did nothing when it went unanswered. A yamux
// ping is one 12-byte frame each way, answered by the muxer itself; here one slice of the
// connections is pinged at a time, so a node's pings do not all leave together. With 40
// nodes on 2 cores and nothing posted, an idle node took 1.2 % of a core before and 0.6 %
// after (docs/performance.md, "Idle nodes").

import { MurmurError } from '../errors.js'
import type { ComponentLogger, Connection, Logger, Startable } from '@libp2p/interface'

export interface LivenessInit {
  /** how often each connection is pinged (default 60 s) */
  intervalMs?: number
  /** a ping unanswered for this long aborts its connection (default 20 s) */
  timeoutMs?: number
}

export interface LivenessComponents {
  connectionManager: { getConnections: () => Connection[] }
  logger: ComponentLogger
}

/** A connection whose peer did not answer a ping in time. */
export class PeerSilentError extends MurmurError {
  static name = 'PeerSilentError'
  constructor (message: string) { super(message, 'PEER_SILENT') }
}

/** The muxer's ping, which the public connection type does not show (@chainsafe/libp2p-yamux). */
interface Pingable {
  muxer?: { ping?: (options?: { signal?: AbortSignal }) => Promise<number> }
}

/** the interval is cut into this many ticks, each pinging the connections of its slot */
const SLOTS = 12

export function liveness (init: LivenessInit = {}): (components: LivenessComponents) => Startable {
  const intervalMs = init.intervalMs ?? 60_000
  const timeoutMs = init.timeoutMs ?? 20_000
  return components => {
    const log: Logger = components.logger.forComponent('murmur:liveness')
    const slots = new WeakMap<Connection, number>()
    let nextSlot = 0
    let tick = 0
    let timer: ReturnType<typeof setInterval> | undefined
    let controller = new AbortController()

    function ping (connection: Connection): void {
      const muxer = (connection as unknown as Pingable).muxer
      // a ping still unanswered from the last round is joined by yamux, not sent again
      if (muxer?.ping == null) return
      const stopped = controller.signal
      muxer.ping({ signal: AbortSignal.any([stopped, AbortSignal.timeout(timeoutMs)]) })
        .then(rtt => { connection.rtt = rtt }, (err: Error) => {
          if (stopped.aborted || connection.status !== 'open') return
          log('%p did not answer a ping within %d ms: aborting the connection - %e', connection.remotePeer, timeoutMs, err)
          connection.abort(new PeerSilentError(`no answer to a ping within ${timeoutMs} ms`))
        })
    }

    return {
      start () {
        controller = new AbortController()
        timer = setInterval(() => {
          tick = (tick + 1) % SLOTS
          for (const connection of components.connectionManager.getConnections()) {
            let slot = slots.get(connection)
            if (slot === undefined) {
              slot = nextSlot++ % SLOTS
              slots.set(connection, slot)
            }
            if (slot === tick && connection.status === 'open') ping(connection)
          }
        }, intervalMs / SLOTS)
        timer.unref()
      },
      stop () {
        clearInterval(timer)
        controller.abort()
      }
    }
  }
}
