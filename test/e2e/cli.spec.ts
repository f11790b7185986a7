// The CLI driven as a user drives it, against a running node: every command, human and
// --json output, and the exit codes and messages of the ways it can go wrong.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { startCliNode, runCli, removeDir, type CliNode } from '../helpers/cli-node.js'
import { jemallocCandidates } from '../../src/cli/allocator.js'

describe('e2e: the murmur CLI against a running node', function () {
  this.timeout(120_000)
  let node: CliNode
  const cli = async (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> => runCli([...args, '--api', node.api])

  before(async () => { node = await startCliNode() })
  after(async () => {
    await node?.stop()
    if (node != null) await removeDir(node.dataDir)
  })

  it('joins, lists and leaves topics', async () => {
    let r = await cli('join', '#Lyon')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /joined tag:lyon/)
    r = await cli('join', 'geo:u05k')
    assert.equal(r.code, 0, r.stderr)
    r = await cli('topics', '--json')
    assert.deepEqual(JSON.parse(r.stdout).topics.sort(), ['geo:u05k', 'tag:lyon'])
    r = await cli('leave', 'geo:u05k')
    assert.equal(r.code, 0, r.stderr)
    r = await cli('topics')
    assert.equal(r.stdout.trim(), 'tag:lyon')
  })

  it('posts, reads the feed, replies, likes and deletes', async () => {
    let r = await cli('post', 'croissants at the market #lyon', '--geo', '45.7640,4.8357', '--ttl', '2d', '--json')
    assert.equal(r.code, 0, r.stderr)
    const post = JSON.parse(r.stdout)
    assert.deepEqual(post.tags, ['lyon'])
    assert.equal(post.geohash, 'u05kq')
    assert.ok(Math.abs(post.expiresAt - post.createdAt - 2 * 86400_000) < 1000)

    r = await cli('feed', '--topic', 'tag:lyon', '--sort', 'new')
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /croissants at the market #lyon/)
    assert.match(r.stdout, new RegExp(`id ${post.id}`))

    r = await cli('feed', '--near', '45.7600,4.8400', '--json')
    assert.ok(JSON.parse(r.stdout).posts.some((p: any) => p.id === post.id && typeof p.distance === 'string'))

    r = await cli('reply', post.id, 'the ones near the river?')
    assert.equal(r.code, 0, r.stderr)
    r = await cli('like', post.id, '--json')
    assert.equal(JSON.parse(r.stdout).up, 1)
    r = await cli('dislike', post.id, '--json')
    assert.equal(JSON.parse(r.stdout).up, 0)
    assert.equal(JSON.parse(r.stdout).down, 1)

    r = await cli('show', post.id)
    assert.match(r.stdout, /the ones near the river\?/)
    assert.match(r.stdout, /\(OP, you\)/)

    r = await cli('delete', post.id)
    assert.equal(r.code, 0, r.stderr)
    r = await cli('show', post.id)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /NOT_FOUND/)
  })

  it('reports status and peers', async () => {
    let r = await cli('status', '--json')
    const status = JSON.parse(r.stdout)
    assert.equal(status.peerId, node.peerId)
    assert.ok(status.addresses.every((a: string) => a.includes(`/p2p/${node.peerId}`)))
    r = await cli('peers')
    assert.equal(r.code, 0)
    assert.match(r.stdout, /no peers connected/)
  })

  it('fails clearly', async () => {
    let r = await cli('post', 'no topic at all')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /NO_TOPIC/)
    r = await cli('post', 'x'.repeat(1001), '--tag', 'long')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /TEXT/)
    r = await cli('like', 'not-an-id')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /BAD_ID/)
    r = await cli('join', 'lyon')
    assert.equal(r.code, 1)
    assert.match(r.stderr, /BAD_TOPIC/)
    r = await cli('frobnicate')
    assert.equal(r.code, 2)
    assert.match(r.stderr, /unknown command/)
    r = await cli('post')
    assert.equal(r.code, 2)
    r = await runCli(['status', '--api', '127.0.0.1:1'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /cannot reach a murmur node/)
  })

  it("runs on jemalloc where the system has it, else with glibc's arenas set, on the system malloc as it is when told to", async function () {
    const canExec = process.platform === 'linux' && typeof process.execve === 'function'
    const installed = canExec && jemallocCandidates(process.arch).some(p => existsSync(p))
    assert.equal(node.allocator, installed ? 'jemalloc' : 'system')
    if (canExec && !installed && process.env.MALLOC_ARENA_MAX === undefined) {
      // the variables the node's process started again with (the same pid)
      const environ = (await readFile(`/proc/${String(node.process.pid)}/environ`, 'utf8')).split('\0')
      assert.ok(environ.includes(`MALLOC_ARENA_MAX=${availableParallelism()}`), environ.filter(v => v.startsWith('M')).join(' '))
    }
    const plain = await startCliNode({ env: { MURMUR_ALLOCATOR: 'system' } })
    try {
      assert.equal(plain.allocator, 'system')
      assert.equal((await runCli(['status', '--api', plain.api])).code, 0)
    } finally {
      await plain.stop()
      await removeDir(plain.dataDir)
    }
  })

  it('a second node on the data dir of a running one says why, and exits', async function () {
    // the start failed after the signature workers had started: they kept the process alive
    this.timeout(60_000)
    const r = await runCli(['start', '--data', node.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--no-mdns', '--loopback-only'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /in use by another process .*STORE_LOCKED/)
    assert.equal((await cli('status')).code, 0, 'the running node still answers')
  })
})
