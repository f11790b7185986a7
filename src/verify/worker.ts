// src/verify owns signature verification off the main thread. This file is the worker
// thread's entry: it verifies each batch with post/signature's `verify`, the node's one rule.

import { parentPort } from 'node:worker_threads'
import { verify } from '../post/signature.js'
import { unpackBatch } from './batch.js'
import type { VerifyReply, VerifyRequest } from './pool.js'

const port = parentPort
if (port == null) throw new Error('src/verify/worker.js runs as a worker thread')

port.on('message', ({ id, buffer }: VerifyRequest) => {
  let results: Uint8Array<ArrayBuffer>
  try {
    const checks = unpackBatch(buffer)
    results = new Uint8Array(checks.length)
    for (let i = 0; i < checks.length; i++) {
      const { publicKey, message, signature } = checks[i]
      results[i] = verify(publicKey, message, signature) ? 1 : 0
    }
  } catch (err) {
    // the pool verifies this batch on the main thread and restarts us
    const failed: VerifyReply = { id, error: String(err) }
    port.postMessage(failed)
    return
  }
  const reply: VerifyReply = { id, results }
  port.postMessage(reply, [results.buffer])
})
