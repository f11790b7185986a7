// Named errors shared across murmur. Each carries a stable `code` that the API and CLI report.

export class MurmurError extends Error {
  static name = 'MurmurError'
  readonly code: string
  constructor (message: string, code: string) {
    super(message)
    this.name = (this.constructor as typeof MurmurError).name
    this.code = code
  }
}

/** A message failed the validation pipeline; `code` names the rule (see docs/protocol.md). */
export class InvalidMessageError extends MurmurError {
  static name = 'InvalidMessageError'
}

/** A request to the local API or CLI was malformed. */
export class BadRequestError extends MurmurError {
  static name = 'BadRequestError'
  constructor (message: string, code = 'BAD_REQUEST') { super(message, code) }
}

export class NotFoundError extends MurmurError {
  static name = 'NotFoundError'
  constructor (message: string, code = 'NOT_FOUND') { super(message, code) }
}

export class ForbiddenError extends MurmurError {
  static name = 'ForbiddenError'
  constructor (message: string, code = 'FORBIDDEN') { super(message, code) }
}

export class ConfigError extends MurmurError {
  static name = 'ConfigError'
  constructor (message: string, code = 'BAD_CONFIG') { super(message, code) }
}

export class PayloadTooLargeError extends MurmurError {
  static name = 'PayloadTooLargeError'
  constructor (message: string, code = 'BODY_TOO_LARGE') { super(message, code) }
}
