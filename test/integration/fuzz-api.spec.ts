// Property-based fuzzing of the HTTP API of a running in-process node (real LevelDB and
// libp2p on the in-memory transport): random methods, routes, ids, queries and JSON bodies.
// No 5xx, a JSON answer every time, the node keeps answering, and everything it stored
// afterwards passes the validation pipeline.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createApiServer, type ApiServer } from '../../src/api/server.js'
import { createMemoryNode, type TestNode } from '../helpers/memory-nodes.js'
import { apiProperty } from '../helpers/fuzz-properties.js'
import { validateEnvelope } from '../../src/post/index.js'

describe('fuzz: the HTTP API of a running node', function () {
  this.timeout(180_000)
  let node: TestNode
  let api: ApiServer

  before(async () => {
    node = await createMemoryNode({ join: ['tag:fuzz'] })
    api = createApiServer({ node, listen: '127.0.0.1:0' })
    await api.start()
  })
  after(async () => {
    await api?.stop()
    await node?.cleanup()
  })

  it('answers random requests without a 5xx and stores nothing invalid', async () => {
    const known = await node.post({ text: 'a post to aim at #fuzz' })
    await fc.assert(apiProperty({ url: api.url(), knownId: known.id }), { numRuns: 250 })
    // the fuzzer may well have deleted the post it was given: just ask that the node answers
    await node.status()
    let checked = 0
    for (const topic of node.topics()) {
      for await (const entry of node.store.topicEntries(topic, 0, Number.MAX_SAFE_INTEGER, { now: Date.now() })) {
        const envelope = await node.store.getEnvelope(entry.id)
        assert.ok(envelope != null)
        const verdict = validateEnvelope(envelope, { now: Date.now(), pow: node.config.pow })
        assert.ok(verdict.ok, `stored ${entry.id} fails validation: ${JSON.stringify(verdict)}`)
        checked++
      }
    }
    // the requests did store things, so the check above had work to do
    assert.ok(checked >= 5, `only ${checked} messages stored`)
  })
})
