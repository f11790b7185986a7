// src/verify owns signature verification off the main thread: a pool of worker_threads that
// run post/signature's `verify` on batches. This file: the one packed buffer a batch travels in.

import type { SignatureCheck } from '../post/signature.js'

/** count, then per check the lengths of its key, message and signature */
const COUNT_BYTES = 4
const LENGTHS_BYTES = 12

/**
 * Layout (little-endian u32): count, then count × (key length, message length, signature
 * length), then each check's key, message and signature bytes in order. One buffer per batch,
 * transferred rather than copied, instead of a message per signature.
 */
export function packBatch (checks: readonly SignatureCheck[]): ArrayBuffer {
  let size = COUNT_BYTES + checks.length * LENGTHS_BYTES
  for (const c of checks) size += c.publicKey.byteLength + c.message.byteLength + c.signature.byteLength
  const buffer = new ArrayBuffer(size)
  const view = new DataView(buffer)
  const bytes = new Uint8Array(buffer)
  view.setUint32(0, checks.length, true)
  let at = COUNT_BYTES + checks.length * LENGTHS_BYTES
  checks.forEach((c, i) => {
    const lengths = COUNT_BYTES + i * LENGTHS_BYTES
    for (const [k, part] of [c.publicKey, c.message, c.signature].entries()) {
      view.setUint32(lengths + 4 * k, part.byteLength, true)
      bytes.set(part, at)
      at += part.byteLength
    }
  })
  return buffer
}

/** The checks of a packed batch, as views into it. Throws RangeError if the layout does not add up. */
export function unpackBatch (buffer: ArrayBuffer): SignatureCheck[] {
  if (buffer.byteLength < COUNT_BYTES) throw new RangeError('a signature batch is too short for its count')
  const view = new DataView(buffer)
  const count = view.getUint32(0, true)
  let at = COUNT_BYTES + count * LENGTHS_BYTES
  if (at > buffer.byteLength) throw new RangeError(`a signature batch of ${count} is too short for its lengths`)
  const part = (length: number): Uint8Array => {
    if (at + length > buffer.byteLength) throw new RangeError('a signature batch is shorter than its lengths say')
    const bytes = new Uint8Array(buffer, at, length)
    at += length
    return bytes
  }
  const checks: SignatureCheck[] = []
  for (let i = 0; i < count; i++) {
    const lengths = COUNT_BYTES + i * LENGTHS_BYTES
    const publicKey = part(view.getUint32(lengths, true))
    const message = part(view.getUint32(lengths + 4, true))
    const signature = part(view.getUint32(lengths + 8, true))
    checks.push({ publicKey, message, signature })
  }
  if (at !== buffer.byteLength) throw new RangeError('a signature batch is longer than its lengths say')
  return checks
}
