// What a process that runs a node sets before it loads anything: `murmur start` and `murmur
// relay`, and the benchmarks that measure a node as they run it. The C allocator may start the
// process again (allocator.ts); V8's heap growth is set in the process that runs (heap.ts).

import { chooseAllocator } from './allocator.js'
import { limitHeapGrowth } from './heap.js'

export function prepareNodeProcess (): void {
  chooseAllocator()
  limitHeapGrowth()
}
