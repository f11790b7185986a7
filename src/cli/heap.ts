// How far V8 lets a node's heap grow past what it holds. Left to itself, V8 sets the next
// full collection's limit at up to four times the heap that survived the last one, and a
// busy node never idles long enough for V8's memory reducer to give the slack back: taking
// 300 messages a second, a node holding 60–90 MB of live objects kept up to 230 MB of heap
// and 225–375 MB of anonymous memory; with a 30 % step, 110–130 MB of heap and 161–197 MB
// (docs/performance.md, "Soak", "V8's heap growth"). `murmur start` and `murmur relay` set it before they
// load anything; a user's own --heap-growing-percent on the command line wins.

import { setFlagsFromString } from 'node:v8'

/** The next full collection comes once the heap has grown by this share of what survived the last. */
export const HEAP_GROWING_PERCENT = 30

const FLAG = '--heap-growing-percent'

/** The V8 flag to set, or undefined when the process's command line already sets it. */
export function heapGrowthFlag (execArgv: readonly string[]): string | undefined {
  // V8 reads - and _ alike in a flag's name
  const given = execArgv.some(arg => arg.split('=')[0].replace(/_/g, '-') === FLAG)
  return given ? undefined : `${FLAG}=${HEAP_GROWING_PERCENT}`
}

/** Sets this process's heap growth step, unless its command line did. */
export function limitHeapGrowth (): void {
  const flag = heapGrowthFlag(process.execArgv)
  if (flag !== undefined) setFlagsFromString(flag)
}
