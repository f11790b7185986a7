import assert from 'node:assert/strict'
import { allocatorRestart, jemallocCandidates, type AllocatorContext } from '../../src/cli/allocator.js'

const DEBIAN = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'

function context (over: Partial<AllocatorContext> = {}): AllocatorContext {
  return { platform: 'linux', arch: 'x64', env: {}, exists: p => p === DEBIAN, canExec: true, glibc: () => true, cores: 2, ...over }
}

const preloaded = (over: Partial<AllocatorContext> = {}): string | undefined => allocatorRestart(context(over))?.LD_PRELOAD

describe('cli: the allocator a node starts on', () => {
  it('starts again on the installed jemalloc on Linux, one arena a core', () => {
    assert.deepEqual(allocatorRestart(context()), { MURMUR_ALLOCATOR: 'jemalloc', LD_PRELOAD: DEBIAN, MALLOC_CONF: 'narenas:2' })
    assert.equal(preloaded({ arch: 'arm64', exists: p => p === '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2' }), '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2')
    // Fedora's, then Alpine's and Arch's, for an architecture Debian's list does not name
    assert.equal(preloaded({ arch: 'mips', exists: p => p.startsWith('/usr/lib') && !p.includes('-linux-') }), '/usr/lib64/libjemalloc.so.2')
    assert.ok(jemallocCandidates('mips').every(p => !p.includes('-linux-')))
    // another preloaded library stays, after jemalloc
    assert.equal(preloaded({ env: { LD_PRELOAD: '/usr/lib/libfoo.so' } }), `${DEBIAN}:/usr/lib/libfoo.so`)
    // the restarted process, and one on jemalloc, read no /proc to tell glibc from musl
    const unasked = (): boolean => { throw new Error('glibc asked') }
    assert.equal(allocatorRestart(context({ glibc: unasked }))?.MURMUR_ALLOCATOR, 'jemalloc')
    assert.equal(allocatorRestart(context({ glibc: unasked, exists: () => false, env: { MURMUR_ALLOCATOR: 'glibc' } })), undefined)
    assert.equal(allocatorRestart(context({ cores: 16 }))?.MALLOC_CONF, 'narenas:16')
    assert.equal(allocatorRestart(context({ cores: 0 }))?.MALLOC_CONF, 'narenas:1')
    assert.equal(allocatorRestart(context({ env: { MALLOC_CONF: '' } }))?.MALLOC_CONF, 'narenas:2')
    assert.equal(allocatorRestart(context({ env: { MALLOC_CONF: 'background_thread:true' } }))?.MALLOC_CONF, 'background_thread:true')
  })

  it("without jemalloc, starts again on glibc's malloc with one arena a core, unless the user set them", () => {
    const none = { exists: () => false }
    assert.deepEqual(allocatorRestart(context(none)), { MURMUR_ALLOCATOR: 'glibc', MALLOC_ARENA_MAX: '2' })
    assert.equal(allocatorRestart(context({ ...none, cores: 8 }))?.MALLOC_ARENA_MAX, '8')
    assert.equal(allocatorRestart(context({ ...none, env: { MALLOC_ARENA_MAX: '4' } })), undefined)
    assert.equal(allocatorRestart(context({ ...none, env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' } })), undefined)
    assert.equal(allocatorRestart(context({ ...none, env: { MALLOC_ARENA_MAX: '' } }))?.MALLOC_ARENA_MAX, '2')
    // musl's malloc has no arenas to set
    assert.equal(allocatorRestart(context({ ...none, glibc: () => false })), undefined)
  })

  it('runs on as it is off Linux, when declined, already chosen, or when it cannot start again', () => {
    for (const over of [{ platform: 'darwin' }, { canExec: false }, { env: { LD_PRELOAD: '/opt/lib/libjemalloc.so' } }]) {
      assert.equal(allocatorRestart(context(over)), undefined, JSON.stringify(over))
    }
    // the user's choice, and the mark a restart leaves: no loop
    for (const value of ['system', 'jemalloc', 'glibc']) {
      assert.equal(allocatorRestart(context({ env: { MURMUR_ALLOCATOR: value } })), undefined)
      assert.equal(allocatorRestart(context({ exists: () => false, env: { MURMUR_ALLOCATOR: value } })), undefined)
    }
  })
})
