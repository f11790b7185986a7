// A signature worker that answers its first batch with the real rule, then dies holding the
// second (process.exit mid-batch): the pool must still answer that batch correctly.

import { parentPort } from 'node:worker_threads'
import { verify } from '../../src/post/signature.js'
import { unpackBatch } from '../../src/verify/batch.js'
import type { VerifyRequest } from '../../src/verify/pool.js'

let batches = 0
parentPort?.on('message', ({ id, buffer }: VerifyRequest) => {
  if (++batches >= 2) process.exit(3)
  const results = Uint8Array.from(unpackBatch(buffer), c => verify(c.publicKey, c.message, c.signature) ? 1 : 0)
  parentPort?.postMessage({ id, results }, [results.buffer])
})
