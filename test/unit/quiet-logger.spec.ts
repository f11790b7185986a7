import assert from 'node:assert/strict'
import { nodeLogger } from '../../src/network/quiet-logger.js'

describe('network/quiet-logger', function () {
  it('gives every component and scope one disabled logger when DEBUG names nothing', function () {
    for (const debug of [undefined, '', '  ']) {
      const logger = nodeLogger(debug)
      const log = logger.forComponent('libp2p:yamux')
      assert.equal(log.enabled, false)
      assert.equal(log.newScope('stream:1'), log, 'a stream scope costs nothing')
      assert.equal(logger.forComponent('murmur:sync'), log)
      // called as libp2p calls them: nothing thrown, nothing printed
      log('opened %s', 'x')
      log.error('failed - %e', new Error('x'))
      log.trace('trace')
    }
  })

  it("uses libp2p's debug loggers when DEBUG names a namespace", function () {
    const logger = nodeLogger('murmur:*')
    const log = logger.forComponent('murmur:sync')
    assert.notEqual(log, logger.forComponent('murmur:gossip'))
    assert.notEqual(log.newScope('session'), log)
    assert.equal((log as unknown as { namespace: string }).namespace, 'murmur:sync')
  })
})
