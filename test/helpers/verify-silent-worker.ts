// A signature worker that takes its batches and never answers, as one stuck in a loop would:
// the pool must notice the silence, answer those batches itself and replace the worker.

import { parentPort } from 'node:worker_threads'

parentPort?.on('message', () => {})
