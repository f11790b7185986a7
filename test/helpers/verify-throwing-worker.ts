// A signature worker that throws an uncaught error on every batch (the thread dies with an
// 'error' event): the pool must answer from the main thread and keep restarting it.

import { parentPort } from 'node:worker_threads'

parentPort?.on('message', () => {
  throw new Error('a signature worker bug')
})
