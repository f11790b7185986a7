// A signature worker whose answers do not match their batch (one verdict short, every one
// "valid"): the pool must redo such a batch on the main thread, never take it as verdicts.

import { parentPort } from 'node:worker_threads'
import { unpackBatch } from '../../src/verify/batch.js'
import type { VerifyRequest } from '../../src/verify/pool.js'

parentPort?.on('message', ({ id, buffer }: VerifyRequest) => {
  const results = new Uint8Array(Math.max(0, unpackBatch(buffer).length - 1)).fill(1)
  parentPort?.postMessage({ id, results }, [results.buffer])
})
