// The node's loggers when no DEBUG namespaces are set: every component, scope and stream gets
// one shared disabled logger instead of three `debug` instances.
//
// libp2p asks for a new scoped logger for every stream (yamux, multistream-select and each
// protocol handler: several a stream), and `debug` builds each by checking its namespace and
// asking the OS whether stderr is a terminal (`isatty`, a system call). In a 50-node
// simulation, with no logging on, that was 2–3 % of a stable node's CPU: ping streams alone
// open about one a second. With DEBUG set, libp2p's own logger is used unchanged.

import { defaultLogger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

function disabled (): Logger {
  const log: Logger = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => log })
  return log
}

/** libp2p's debug-based logger if `debug` (env) names any namespace, else one that never logs. */
export function nodeLogger (debug = process.env.DEBUG): ComponentLogger {
  if (debug != null && debug.trim() !== '') return defaultLogger()
  const quiet = disabled()
  return { forComponent: () => quiet }
}
