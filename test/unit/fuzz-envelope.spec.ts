// Property-based fuzzing of the decoders and the validation pipeline: random bytes, mutated
// genuine envelopes, arbitrary properly-signed fields held against the rules written again,
// and proof of work. `npm run fuzz` runs the same properties for longer.

import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzStats, genuineEnvelopes, randomBytesProperty, mutatedEnvelopeProperty, signedFieldsProperty, powProperty } from '../helpers/fuzz-properties.js'

describe('fuzz: envelopes at the decoders and validateEnvelope', function () {
  this.timeout(120_000)
  let seeds: Uint8Array[]
  before(async () => { seeds = await genuineEnvelopes() })

  it('never throws on random bytes, and accepts none', () => {
    fc.assert(randomBytesProperty(), { numRuns: 500 })
  })

  it('accepts a mutated genuine envelope only when the mutations cancel out', () => {
    fc.assert(mutatedEnvelopeProperty(seeds), { numRuns: 500 })
  })

  it('accepts properly signed fields exactly when the rules allow them', () => {
    fc.assert(signedFieldsProperty(), { numRuns: 400 })
    assert.ok(fuzzStats.signedAccepted >= 10 && fuzzStats.signedRefused >= 10, `both branches reached: ${JSON.stringify(fuzzStats)}`)
  })

  it('accepts exactly the messages with enough work', () => {
    fc.assert(powProperty(), { numRuns: 300 })
    assert.ok(fuzzStats.powAccepted >= 10 && fuzzStats.powRefused >= 10, `both branches reached: ${JSON.stringify(fuzzStats)}`)
  })
})
