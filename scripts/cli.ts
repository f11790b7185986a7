// What every script under scripts/ shares as a command-line program: its options, read strictly
// with --help, and its end when interrupted. A script is run by hand for minutes at a time,
// so a mistyped option must stop it at once: before, an option a script did not know was
// ignored (`npm run bench -- --only gossip` ran the whole bench, several minutes) or ended in
// a stack trace, and `Number()` turned a mistyped number into NaN. And a script that starts
// processes or fills a temporary store must not leave them behind when it is stopped.

import { parseArgs } from 'node:util'
import { BadRequestError } from '../src/errors.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
}

/** Options that each take a value, by name. */
export function valueOptions (...names: string[]): Record<string, OptionSpec> {
  return Object.fromEntries(names.map(name => [name, { type: 'string' }]))
}

interface NumberLimits { min?: number, max?: number, integer?: boolean }

export interface ScriptArgs {
  positionals: string[]
  flag(name: string): boolean
  text(name: string): string | undefined
  texts(name: string): string[]
  /** the option's value split on white space: a command line's flags given as one option (`--node-flags="--x --y"`) */
  words(name: string): string[]
  /** a comma-separated list, each item one of `allowed` */
  list(name: string, allowed: readonly string[]): string[] | undefined
  /** the option as a number within `limits`, or `fallback` when it is not given (undefined: an option with no default) */
  number(name: string, fallback: number, limits?: NumberLimits): number
  number(name: string, fallback: undefined, limits?: NumberLimits): number | undefined
  /** a usage error the script finds itself (two options that do not fit together) */
  wrong(what: string): never
}

/**
 * `args` as `spec` reads them. What is wrong with them, found now or by an accessor later, goes
 * to `fail` as a BadRequestError (code USAGE) that says how to run the script.
 */
export function readScriptArgs (args: string[], usage: string, spec: Record<string, OptionSpec>, positionals = { min: 0, max: 0 }, fail: (err: BadRequestError) => never = err => { throw err }): ScriptArgs & { help: boolean } {
  const wrong = (what: string): never => fail(new BadRequestError(`${what}\n\nusage: ${usage}`, 'USAGE'))
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args, options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
  } catch (err: any) {
    if (typeof err?.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) return wrong(err.message)
    throw err
  }
  const { values } = parsed
  const known = (name: string, type: OptionSpec['type']): void => {
    if (spec[name]?.type !== type) throw new Error(`the script reads --${name} as a ${type} option it does not declare`)
  }
  const text = (name: string): string | undefined => {
    known(name, 'string')
    const value = values[name]
    return Array.isArray(value) ? String(value.at(-1)) : value as string | undefined
  }
  const help = values.help === true
  if (!help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    const count = positionals.min === positionals.max ? String(positionals.min) : `${positionals.min} to ${positionals.max}`
    wrong(positionals.max === 0 ? `unexpected argument ${parsed.positionals[0]}` : `takes ${count} argument${count === '1' ? '' : 's'}, got ${parsed.positionals.length}`)
  }
  return {
    help,
    positionals: parsed.positionals,
    flag: name => {
      known(name, 'boolean')
      return values[name] === true
    },
    text,
    texts: name => {
      known(name, 'string')
      const value = values[name]
      return value == null ? [] : (Array.isArray(value) ? value : [value]).map(String)
    },
    words: name => (text(name) ?? '').split(/\s+/).filter(word => word !== ''),
    list: (name, allowed) => {
      const value = text(name)
      if (value == null) return undefined
      const items = value.split(',').map(s => s.trim()).filter(s => s !== '')
      const unknown = items.filter(item => !allowed.includes(item))
      if (items.length === 0 || unknown.length > 0) wrong(`--${name} takes a comma-separated list of ${allowed.join(', ')}; got ${value}`)
      return items
    },
    number: ((name: string, fallback: number | undefined, limits: NumberLimits = {}) => {
      const value = text(name)
      if (value == null) return fallback
      const n = value.trim() === '' ? NaN : Number(value)
      const { min = -Infinity, max = Infinity, integer = false } = limits
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        const range = [min > -Infinity ? `≥ ${min}` : '', max < Infinity ? `≤ ${max}` : ''].filter(s => s !== '').join(' and ')
        wrong(`--${name} takes ${integer ? 'a whole number' : 'a number'}${range === '' ? '' : ` ${range}`}, got ${value}`)
      }
      return n
    }) as ScriptArgs['number'],
    wrong
  }
}

/** This process's arguments as `spec` reads them; --help prints the usage and ends the process, a usage error too (exit code 2). */
export function scriptArgs (usage: string, spec: Record<string, OptionSpec>, positionals = { min: 0, max: 0 }): ScriptArgs {
  const args = readScriptArgs(process.argv.slice(2), usage, spec, positionals, err => {
    process.stderr.write(`${err.message}\n`)
    process.exit(2)
  })
  if (args.help) {
    process.stdout.write(`usage: ${usage}\n`)
    process.exit(0)
  }
  return args
}

/**
 * On SIGINT or SIGTERM, `cleanup` (stopping the script's child processes, removing its
 * temporary store), then the end with the signal's conventional code. A terminal's Ctrl-C
 * reaches the children too, but `kill` of the script alone used to leave its nodes running.
 */
export function onInterrupt (cleanup: () => Promise<void>): void {
  let stopping = false
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      process.stderr.write(`${signal}: cleaning up\n`)
      // the run's own code fails as its processes and stores go: expected now, and not to end
      // the process before the cleanup has
      process.on('uncaughtException', () => {})
      process.on('unhandledRejection', () => {})
      void cleanup().catch(err => { process.stderr.write(`cleanup failed: ${String(err)}\n`) }).finally(() => process.exit(code))
    })
  }
}
