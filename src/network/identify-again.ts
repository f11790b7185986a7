// Identifying a connection again when identify's one run on it failed: until identify
// completes on a connection, no topology (gossipsub, the DHT) hears of it.

import type { MurmurLibp2p } from './libp2p.js'
import type { Connection, IdentifyResult, Logger, Startable } from '@libp2p/interface'

export interface IdentifyAgainInit {
  libp2p: MurmurLibp2p
  log: Logger
  /**
   * How long after a connection opens it is identified again if identify has not completed on
   * it: identify's own 5 s timeout and a second (default 6 s). Doubled before each later attempt.
   */
  afterMs?: number
  /** attempts a connection gets after identify's own (default 3: a peer may not speak identify at all) */
  attempts?: number
  /** time an attempt has to finish (default 10 s: the first timed out on a busy node) */
  timeoutMs?: number
}

export interface IdentifyAgain extends Startable {
  /** connections identified again that identify had failed on */
  identified: () => number
}

/**
 * libp2p runs identify once, as a connection opens, with 5 s to finish, and gossipsub and the
 * DHT hear of a connection only when it completes (the registrar tells them on `peer:identify`).
 * On a node too busy to finish in time (50 processes starting on two cores timed out on up to
 * 62 of 2 470 connection ends), a first connection between two peers whose identify failed at
 * both ends stayed unknown to both gossipsubs for as long as it lasted: no stream either way,
 * so neither heard the other's subscriptions (docs/performance.md, Results "19:45 UTC"). So
 * a connection identify has not completed on by `afterMs` is identified again, a few times
 * with growing gaps; the registrar then tells every topology, as after the first run.
 */
export function createIdentifyAgain ({ libp2p, log, afterMs = 6_000, attempts = 3, timeoutMs = 10_000 }: IdentifyAgainInit): IdentifyAgain {
  // connection id → the timer of its next attempt; a connection leaves on identify or close
  const pending = new Map<string, ReturnType<typeof setTimeout>>()
  // aborts the attempts under way when the node stops
  let stopping = new AbortController()
  let identified = 0

  function schedule (connection: Connection, attempt: number): void {
    const timer = setTimeout(() => { void retry(connection, attempt) }, afterMs * 2 ** attempt)
    timer.unref()
    pending.set(connection.id, timer)
  }

  async function retry (connection: Connection, attempt: number): Promise<void> {
    // its timer ran, so it is still pending: identify and close clear the timer
    if (connection.status !== 'open') {
      pending.delete(connection.id)
      return
    }
    log('%p not identified on a connection open for %d s: identifying it again', connection.remotePeer, Math.round((Date.now() - connection.timeline.open) / 1000))
    try {
      await libp2p.services.identify.identify(connection, { signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]) })
      identified++
    } catch (err) {
      log('identifying %p again failed - %e', connection.remotePeer, err)
      if (attempt + 1 < attempts && pending.has(connection.id) && !stopping.signal.aborted) {
        schedule(connection, attempt + 1)
        return
      }
    }
    pending.delete(connection.id)
  }

  const forget = (connection: Connection): void => {
    clearTimeout(pending.get(connection.id))
    pending.delete(connection.id)
  }
  const onOpen = (evt: CustomEvent<Connection>): void => { schedule(evt.detail, 0) }
  const onIdentify = (evt: CustomEvent<IdentifyResult>): void => { forget(evt.detail.connection) }
  const onClose = (evt: CustomEvent<Connection>): void => { forget(evt.detail) }

  return {
    start () {
      stopping = new AbortController()
      libp2p.addEventListener('connection:open', onOpen)
      libp2p.addEventListener('peer:identify', onIdentify)
      libp2p.addEventListener('connection:close', onClose)
    },
    stop () {
      libp2p.removeEventListener('connection:open', onOpen)
      libp2p.removeEventListener('peer:identify', onIdentify)
      libp2p.removeEventListener('connection:close', onClose)
      stopping.abort()
      for (const timer of pending.values()) clearTimeout(timer)
      pending.clear()
    },
    identified: () => identified
  }
}
