// Why a sync session ended early. Only SyncProtocolError is the peer's provable fault and
// costs it a penalty; the others (slow, gone, busy, over a limit) end the session quietly.

/** The peer broke the protocol: bad frame, oversize, unasked or invalid data. */
export class SyncProtocolError extends Error {
  static name = 'SyncProtocolError'
  name = 'SyncProtocolError'
}

/** The peer sent an error frame (NOT_JOINED, BUSY, DENIED). */
export class SyncRemoteError extends Error {
  static name = 'SyncRemoteError'
  name = 'SyncRemoteError'
  readonly code: string
  constructor (code: string) {
    super(`the peer ended the session: ${code}`)
    this.code = code
  }
}

/** A frame or the whole session took too long. */
export class SyncTimeoutError extends Error {
  static name = 'SyncTimeoutError'
  name = 'SyncTimeoutError'
}

/** The stream closed or reset before the session was over. */
export class SyncClosedError extends Error {
  static name = 'SyncClosedError'
  name = 'SyncClosedError'
}

/** A bound of ours was reached (rounds): honest peers can hit it with huge sets. */
export class SyncLimitError extends Error {
  static name = 'SyncLimitError'
  name = 'SyncLimitError'
}

/** We refuse to sync with this peer for now: it broke the protocol recently. */
export class SyncDeniedError extends Error {
  static name = 'SyncDeniedError'
  name = 'SyncDeniedError'
}
