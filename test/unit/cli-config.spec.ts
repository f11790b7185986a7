import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { configFromFlags, readConfigFile } from '../../src/cli/args.js'
import { createConfig, relayDefaults } from '../../src/config.js'
import { availableParallelism, tmpdir } from 'node:os'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

describe('cli: relay flags and config file', () => {
  it('the example relay config in deploy/ is a valid relay config', async () => {
    const config = createConfig(relayDefaults(), await readConfigFile(join(ROOT, 'deploy', 'relay.json')))
    assert.equal(config.relay, true)
    assert.equal(config.allTopics, true)
    assert.equal(config.retentionMs, 30 * 86_400_000)
    assert.equal(config.api, '127.0.0.1:7718')
    assert.deepEqual(config.announce, ['/dns4/relay.example.org/tcp/4001', '/dns4/relay.example.org/tcp/4002/ws'])
    assert.equal(config.mdns, false)
  })

  it('reads the relay flags: topics, retention, reservations, admin', () => {
    assert.deepEqual(configFromFlags({ topics: ['tag:lyon,geo:u05k', 'tag:paris'], retention: '14d', reservations: '32', admin: '127.0.0.1:9000' }), {
      join: ['tag:lyon', 'geo:u05k', 'tag:paris'], allTopics: false, retentionMs: 14 * 86_400_000, relayReservations: 32, api: '127.0.0.1:9000'
    })
    assert.throws(() => configFromFlags({ topics: ['tag:a'], 'all-topics': true }), { code: 'BAD_CONFIG' })
    assert.throws(() => configFromFlags({ retention: 'forever' }), /retention must be a duration/)
    assert.throws(() => configFromFlags({ reservations: 'many' }), /--reservations takes a whole number/)
  })

  it('refuses a retention longer than any post lives, or shorter than a minute', () => {
    assert.throws(() => createConfig({ retentionMs: 31 * 86_400_000 }), /retention must be from 1 minute to 30 days/)
    assert.throws(() => createConfig({ retentionMs: 1000 }), /retention/)
  })

  it('takes verifyThreads from the config file: one per core but one by default, 0 for none', async () => {
    assert.equal(createConfig().verifyThreads, Math.max(1, availableParallelism() - 1))
    const dir = await mkdtemp(join(tmpdir(), 'murmur-config-'))
    try {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ verifyThreads: 0 }))
      assert.equal(createConfig(await readConfigFile(join(dir, 'config.json'))).verifyThreads, 0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    for (const bad of [-1, 1.5, 65, '2']) {
      assert.throws(() => createConfig({ verifyThreads: bad as number }), /verifyThreads must be a whole number from 0 to 64/)
    }
  })
})
