// src/verify owns signature verification off the main thread: a pool of worker_threads that
// run post/signature's `verify` (the node's one rule) on packed batches, with failover.

export { createVerifier, sharedVerifier, defaultVerifyThreads, verifyHere } from './pool.js'
export type { Verifier, VerifierInit, VerifierStats } from './pool.js'
