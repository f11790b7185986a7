// The node's loggers when no DEBUG namespaces are set: every component, scope and stream gets
// one shared disabled logger instead of @libp2p/logger's two `weald` instances (the name and
// its `:error`).
//
// libp2p asks for a new scoped logger for every stream (yamux, multistream-select and each
// protocol handler: several a stream), and `weald` builds each by checking its namespace and
// asking the OS whether stderr is a terminal (`isatty`, a system call). In a 50-node
// simulation, with no logging on, `isatty` was 1.2 % of a stable node's busy time and the
// loggers 3 % with it: ping streams alone opened about one a second. With DEBUG set,
// libp2p's own logger is used unchanged (docs/upstream.md, 10).

import { defaultLogger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

function disabled (): Logger {
  const log: Logger = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => log })
  return log
}

/** libp2p's own logger if `debug` (env) names any namespace, else one that never logs. */
export function nodeLogger (debug = process.env.DEBUG): ComponentLogger {
  if (debug != null && debug.trim() !== '') return defaultLogger()
  const quiet = disabled()
  return { forComponent: () => quiet }
}
