// The command lines of the benchmark, simulation and soak scripts (scripts/cli.ts): every
// mistake a user can type ends in a usage error, never in a run of the wrong thing.

import assert from 'node:assert/strict'
import { readScriptArgs } from '../../scripts/cli.js'
import { BadRequestError } from '../../src/errors.js'

const USAGE = 'npm run bench -- [--quick] [--only=a,b]'
const SPEC = {
  quick: { type: 'boolean' as const },
  only: { type: 'string' as const },
  rate: { type: 'string' as const },
  env: { type: 'string' as const, multiple: true }
}
const read = (...args: string[]): ReturnType<typeof readScriptArgs> => readScriptArgs(args, USAGE, SPEC)

function usageError (run: () => unknown, message: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof BadRequestError)
    assert.equal(err.code, 'USAGE')
    assert.match(err.message, message)
    assert.ok(err.message.endsWith(`usage: ${USAGE}`), 'the usage follows what is wrong')
    return true
  })
}

describe('script arguments', () => {
  it('reads an option with = and with a space alike', () => {
    assert.deepEqual(read('--only=gossip,sync').list('only', ['gossip', 'sync']), ['gossip', 'sync'])
    assert.deepEqual(read('--only', 'gossip').list('only', ['gossip', 'sync']), ['gossip'])
    assert.equal(read('--quick').flag('quick'), true)
    assert.equal(read().flag('quick'), false)
    assert.equal(read().list('only', ['gossip']), undefined)
    assert.deepEqual(read('--env', 'A=1', '--env=B=2').texts('env'), ['A=1', 'B=2'])
  })

  it('splits an option of several flags on white space, and reads an absent one as none', () => {
    assert.deepEqual(read('--only= --x  --y=2 ').words('only'), ['--x', '--y=2'])
    assert.deepEqual(read().words('only'), [])
    assert.deepEqual(read('--only=').words('only'), [])
  })

  it('refuses an option it does not know, or a value where none goes', () => {
    usageError(() => read('--bogus'), /Unknown option '--bogus'/)
    usageError(() => read('--quick=yes'), /does not take an argument/)
    usageError(() => read('--only'), /argument missing/)
  })

  it('refuses a list item it does not know, and an empty list', () => {
    usageError(() => read('--only=gossip,bogus').list('only', ['gossip', 'sync']), /--only takes a comma-separated list of gossip, sync; got gossip,bogus/)
    usageError(() => read('--only=,').list('only', ['gossip']), /--only takes/)
  })

  it('reads numbers strictly, with the fallback when the option is absent', () => {
    assert.equal(read().number('rate', 200), 200)
    assert.equal(read('--rate', '2.5').number('rate', 200, { min: 0 }), 2.5)
    assert.equal(read('--rate=-3').number('rate', 0), -3)
    for (const bad of ['x', '', ' ', '1e999', 'NaN']) usageError(() => read(`--rate=${bad}`).number('rate', 1), /--rate takes a number, got/)
    usageError(() => read('--rate=1.5').number('rate', 1, { integer: true }), /--rate takes a whole number, got 1.5/)
    usageError(() => read('--rate=2').number('rate', 1, { min: 3 }), /--rate takes a number ≥ 3, got 2/)
    usageError(() => read('--rate=9').number('rate', 1, { min: 0, max: 8 }), /--rate takes a number ≥ 0 and ≤ 8, got 9/)
    // an option with no default: absent stays undefined, given is held to the same rules
    assert.equal(read().number('rate', undefined), undefined)
    assert.equal(read('--rate=4').number('rate', undefined, { integer: true }), 4)
    usageError(() => read('--rate=x').number('rate', undefined), /--rate takes a number, got x/)
  })

  it('counts positional arguments', () => {
    usageError(() => read('extra'), /unexpected argument extra/)
    usageError(() => readScriptArgs([], USAGE, SPEC, { min: 1, max: 1 }), /takes 1 argument, got 0/)
    usageError(() => readScriptArgs(['a', 'b', 'c'], USAGE, SPEC, { min: 1, max: 2 }), /takes 1 to 2 arguments, got 3/)
    assert.deepEqual(readScriptArgs(['dir'], USAGE, SPEC, { min: 1, max: 1 }).positionals, ['dir'])
  })

  it('asks for help whatever else is on the line', () => {
    assert.equal(read('--help').help, true)
    assert.equal(read('-h', 'extra').help, true)
    assert.equal(read('--quick').help, false)
  })

  it('hands a mistake found later to the same place', () => {
    const failures: string[] = []
    const args = readScriptArgs(['--rate=x'], USAGE, SPEC, { min: 0, max: 0 }, err => {
      failures.push(err.message)
      throw err
    })
    assert.throws(() => args.number('rate', 1), BadRequestError)
    assert.throws(() => args.wrong('--rate and --quick do not go together'), BadRequestError)
    assert.equal(failures.length, 2)
    assert.match(failures[1], /^--rate and --quick do not go together\n\nusage: /)
  })

  it('treats reading an option the script did not declare as the script\'s own bug', () => {
    assert.throws(() => read().text('nope'), (err: unknown) => err instanceof Error && !(err instanceof BadRequestError))
    assert.throws(() => read().flag('only'), /does not declare/)
  })
})
