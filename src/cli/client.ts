// The CLI's side of the local API: one request helper that turns every failure (node not
// running, refused request) into an error with a code, for a clear message and exit status.

import { MurmurError } from '../errors.js'
import { DEFAULT_API_PORT } from '../config.js'

export class ApiError extends MurmurError {
  static name = 'ApiError'
  readonly status: number
  constructor (message: string, code: string, status: number) {
    super(message, code)
    this.status = status
  }
}

export class UnreachableError extends MurmurError {
  static name = 'UnreachableError'
  constructor (api: string) {
    super(`cannot reach a murmur node at http://${api}: is \`murmur start\` running (or pick one with --api HOST:PORT)?`, 'UNREACHABLE')
  }
}

export function defaultApi (): string {
  return process.env.MURMUR_API ?? `127.0.0.1:${DEFAULT_API_PORT}`
}

export async function request<T = any> (api: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response
  try {
    res = await fetch(`http://${api}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000)
    })
  } catch {
    throw new UnreachableError(api)
  }
  const text = await res.text()
  let value: any
  try {
    value = JSON.parse(text)
  } catch {
    throw new ApiError(`the node answered ${res.status} with something that is not JSON`, 'BAD_RESPONSE', res.status)
  }
  if (!res.ok) throw new ApiError(String(value?.error?.message ?? `HTTP ${res.status}`), String(value?.error?.code ?? 'HTTP_ERROR'), res.status)
  return value as T
}
