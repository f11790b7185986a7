import assert from 'node:assert/strict'
import { jemallocToPreload, jemallocCandidates, jemallocConf, type AllocatorContext } from '../../src/cli/allocator.js'

const DEBIAN = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'

function context (over: Partial<AllocatorContext> = {}): AllocatorContext {
  return { platform: 'linux', arch: 'x64', env: {}, exists: p => p === DEBIAN, canExec: true, ...over }
}

describe('cli: the allocator a node starts on', () => {
  it('preloads the installed jemalloc on Linux', () => {
    assert.equal(jemallocToPreload(context()), DEBIAN)
    assert.equal(jemallocToPreload(context({ arch: 'arm64', exists: p => p === '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2' })), '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2')
    // Fedora's, then Alpine's and Arch's, for an architecture Debian's list does not name
    assert.equal(jemallocToPreload(context({ arch: 'mips', exists: p => p.startsWith('/usr/lib') && !p.includes('-linux-') })), '/usr/lib64/libjemalloc.so.2')
    assert.ok(jemallocCandidates('mips').every(p => !p.includes('-linux-')))
  })

  it('runs on as it is when jemalloc is absent, preloaded already, declined, or cannot be switched to', () => {
    assert.equal(jemallocToPreload(context({ exists: () => false })), undefined)
    assert.equal(jemallocToPreload(context({ platform: 'darwin' })), undefined)
    assert.equal(jemallocToPreload(context({ canExec: false })), undefined)
    assert.equal(jemallocToPreload(context({ env: { MURMUR_ALLOCATOR: 'system' } })), undefined)
    // the process already started again on it: no loop
    assert.equal(jemallocToPreload(context({ env: { MURMUR_ALLOCATOR: 'jemalloc' } })), undefined)
    assert.equal(jemallocToPreload(context({ env: { LD_PRELOAD: '/opt/lib/libjemalloc.so' } })), undefined)
    // another preloaded library does not stop it
    assert.equal(jemallocToPreload(context({ env: { LD_PRELOAD: '/usr/lib/libfoo.so' } })), DEBIAN)
  })

  it('sets jemalloc to one arena a core, unless the user set MALLOC_CONF', () => {
    assert.equal(jemallocConf({}, 2), 'narenas:2')
    assert.equal(jemallocConf({ MALLOC_CONF: '' }, 16), 'narenas:16')
    assert.equal(jemallocConf({}, 0), 'narenas:1')
    assert.equal(jemallocConf({ MALLOC_CONF: 'background_thread:true' }, 2), 'background_thread:true')
  })
})
