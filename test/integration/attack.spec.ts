// A small attack simulation on the in-memory transport: three honest nodes in a ring and two
// attackers flooding them with invalid messages. Every honest post must still reach every
// honest node, no message of the flood may be stored, each attacker must end graylisted on
// every honest node, and the honest nodes must keep serving. The full run, with spam and
// withholding, is `npm run attack`.

import assert from 'node:assert/strict'
import { runSimulation } from '../helpers/attack-sim.js'
import { uniformPolicy } from '../../src/post/index.js'

describe('integration: an invalid flood against honest nodes', function () {
  this.timeout(180_000)

  it('delivers every honest post, graylists every attacker, and keeps serving', async () => {
    const result = await runSimulation({
      phase: 'invalid',
      honest: 3,
      attackers: 2,
      transport: 'memory',
      posts: 6,
      postIntervalMs: 100,
      attackRate: 200,
      settleMs: 15_000,
      pow: uniformPolicy(4),
      leadMs: 500
    })
    assert.ok(result.attackerMessagesSent > 200, `the attackers sent ${result.attackerMessagesSent} messages`)
    assert.equal(result.delivered, result.expected, `honest delivery ${result.delivered}/${result.expected}`)
    assert.equal(result.deliveryRatio, 1)
    for (const entry of result.graylist) {
      assert.notEqual(entry.ms, null, `attacker ${entry.attacker} not graylisted on node ${entry.node}`)
    }
    assert.equal(result.graylistedEverywhere, 2)
    assert.ok(result.gossip.rejected > 0, JSON.stringify(result.gossip))
    // the flood's posts lack the work (the source drops the few that meet it by chance)
    assert.equal(result.spamStoredMax, 0, 'a node stored a message of the invalid flood')
    assert.equal(result.serving, true)
  })
})
