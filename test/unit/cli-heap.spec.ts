import assert from 'node:assert/strict'
import { heapGrowthFlag, HEAP_GROWING_PERCENT } from '../../src/cli/heap.js'

describe('cli: how far a node lets its heap grow', () => {
  it('sets a fixed growth step, unless the command line sets one, in either spelling', () => {
    assert.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    assert.equal(heapGrowthFlag(['--expose-gc', '--max-old-space-size=512']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    assert.equal(heapGrowthFlag(['--heap-growing-percent=50']), undefined)
    // 0 is V8's own choice, step by step: the user's to make
    assert.equal(heapGrowthFlag(['--heap_growing_percent=0']), undefined)
    assert.equal(heapGrowthFlag(['--heap-growing-percent']), undefined)
    assert.equal(heapGrowthFlag(['--heap-growing-percentage=5']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  })
})
