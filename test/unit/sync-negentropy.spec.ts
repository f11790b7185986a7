// murmur's Negentropy v1 against nostr-tools' nip77 (an implementation murmur did not write):
// the same messages byte for byte as initiator, a responder nostr-tools can reconcile with,
// exact differences on random sets, and only NegentropyError on malformed input.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { nip77 } from 'nostr-tools'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { Negentropy, NegentropyStorage, NegentropyError, StorageBuilder, NEGENTROPY_VERSION } from '../../src/sync/negentropy.js'

interface Item { timestamp: number, id: string }

/** Two sets sharing `common` items, each with its own extras; timestamps in seconds, as sync uses. */
function makeSets (common: number, onlyA: number, onlyB: number, span = 7 * 86_400): { a: Item[], b: Item[] } {
  const base = 1_750_000_000
  const item = (): Item => ({ timestamp: base + Math.floor(Math.random() * span), id: randomBytes(32).toString('hex') })
  const shared = Array.from({ length: common }, item)
  return {
    a: [...shared, ...Array.from({ length: onlyA }, item)],
    b: [...shared, ...Array.from({ length: onlyB }, item)]
  }
}

function ours (items: Item[]): NegentropyStorage {
  return NegentropyStorage.from(items.map(i => ({ timestamp: i.timestamp, id: hexToBytes(i.id) })))
}

function theirs (items: Item[]): InstanceType<typeof nip77.NegentropyStorageVector> {
  const storage = new nip77.NegentropyStorageVector()
  for (const i of items) storage.insert(i.timestamp, i.id)
  storage.seal()
  return storage
}

/** Runs murmur initiator ↔ murmur responder; returns the initiator's have/need and the round count. */
function reconcile (a: Item[], b: Item[], frameSizeLimit = 0): { have: Set<string>, need: Set<string>, rounds: number } {
  const initiator = new Negentropy(ours(a), frameSizeLimit)
  const responder = new Negentropy(ours(b), frameSizeLimit)
  const have = new Set<string>()
  const need = new Set<string>()
  let msg: Uint8Array | null = initiator.initiate()
  let rounds = 0
  while (msg != null) {
    const answer = responder.reconcile(msg).output
    assert.ok(answer != null)
    const result = initiator.reconcile(answer)
    result.have.forEach(id => have.add(bytesToHex(id)))
    result.need.forEach(id => need.add(bytesToHex(id)))
    msg = result.output
    rounds++
    assert.ok(rounds < 100, 'reconciliation terminates')
  }
  return { have, need, rounds }
}

function expected (a: Item[], b: Item[]): { have: Set<string>, need: Set<string> } {
  const inA = new Set(a.map(i => i.id))
  const inB = new Set(b.map(i => i.id))
  return { have: new Set([...inA].filter(id => !inB.has(id))), need: new Set([...inB].filter(id => !inA.has(id))) }
}

describe('sync: Negentropy v1', () => {
  it('computes the same range fingerprints as nostr-tools', () => {
    const { a } = makeSets(500, 0, 0)
    const mine = ours(a)
    const reference = theirs(a)
    for (const [lo, hi] of [[0, 0], [0, 1], [0, 500], [17, 321], [499, 500]]) {
      assert.equal(bytesToHex(mine.fingerprint(lo, hi)), bytesToHex(reference.fingerprint(lo, hi)), `[${lo}, ${hi})`)
    }
  })

  it('as initiator, sends exactly the messages nostr-tools sends and finds the same differences', () => {
    for (const [common, onlyA, onlyB, limit] of [
      [0, 0, 0, 60_000], [0, 5, 0, 60_000], [10, 3, 4, 60_000], [31, 0, 1, 60_000],
      [2_000, 10, 10, 60_000], [3_000, 300, 200, 60_000], [3_000, 300, 200, 4_096], [10_000, 0, 1_000, 4_096]
    ]) {
      const { a, b } = makeSets(common, onlyA, onlyB)
      const mine = new Negentropy(ours(a), limit)
      const reference = new nip77.Negentropy(theirs(a), limit)
      const responder = new Negentropy(ours(b), limit)
      const refHave: string[] = []
      const refNeed: string[] = []
      const have: string[] = []
      const need: string[] = []
      let msg = mine.initiate()
      assert.equal(bytesToHex(msg), reference.initiate())
      let rounds = 0
      while (true) {
        const answer = responder.reconcile(msg).output as Uint8Array
        const refOut = reference.reconcile(bytesToHex(answer), id => refHave.push(id), id => refNeed.push(id))
        const result = mine.reconcile(answer)
        have.push(...result.have.map(bytesToHex))
        need.push(...result.need.map(bytesToHex))
        assert.equal(result.output == null ? null : bytesToHex(result.output), refOut, `round ${rounds} of ${common}/${onlyA}/${onlyB}`)
        if (result.output == null) break
        msg = result.output
        rounds++
      }
      assert.deepEqual(have.sort(), refHave.sort())
      assert.deepEqual(need.sort(), refNeed.sort())
      const want = expected(a, b)
      assert.deepEqual(new Set(have), want.have)
      assert.deepEqual(new Set(need), want.need)
    }
  })

  it('as responder, lets a nostr-tools initiator find every difference', () => {
    for (const [common, onlyA, onlyB, limit] of [[0, 0, 40, 60_000], [3_000, 20, 700, 60_000], [3_000, 700, 20, 4_096], [10_000, 1, 0, 4_096]]) {
      const { a, b } = makeSets(common, onlyA, onlyB)
      const initiator = new nip77.Negentropy(theirs(a), limit)
      const responder = new Negentropy(ours(b), limit)
      const have = new Set<string>()
      const need = new Set<string>()
      let msg: string | null = initiator.initiate()
      while (msg != null) {
        const answer = responder.reconcile(hexToBytes(msg)).output as Uint8Array
        assert.ok(limit === 0 || answer.length <= limit, 'the responder keeps to the frame size limit')
        msg = initiator.reconcile(bytesToHex(answer), id => have.add(id), id => need.add(id))
      }
      assert.deepEqual({ have, need }, expected(a, b))
    }
  })

  it('finds exactly the symmetric difference of random sets', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }),
      fc.constantFrom(0, 4_096), fc.integer({ min: 1, max: 86_400 }),
      (common, onlyA, onlyB, limit, span) => {
        // a small span makes many equal timestamps, so bounds need id prefixes
        const { a, b } = makeSets(common, onlyA, onlyB, span)
        const { have, need } = reconcile(a, b, limit)
        assert.deepEqual({ have, need }, expected(a, b))
      }
    ), { numRuns: 40 })
  })

  it('keeps to the frame size limit when the initiator lacks far more than a frame', () => {
    for (const [onlyB, limit] of [[10_000, 4_096], [10_000, 256 * 1024], [40, 4_096]]) {
      const { a, b } = makeSets(0, 0, onlyB)
      const { have, need } = reconcile(a, b, limit)
      assert.deepEqual({ have, need }, expected(a, b))
      // and against a nostr-tools initiator, whose output must stay within the limit too
      const initiator = new nip77.Negentropy(theirs(a), limit)
      const responder = new Negentropy(ours(b), limit)
      const got = new Set<string>()
      let msg: string | null = initiator.initiate()
      while (msg != null) {
        const answer = responder.reconcile(hexToBytes(msg)).output as Uint8Array
        assert.ok(answer.length <= limit)
        msg = initiator.reconcile(bytesToHex(answer), () => {}, id => got.add(id))
      }
      assert.deepEqual(got, expected(a, b).need)
    }
  })

  it('settles dense differences within ⌈log₁₆ n / 2⌉ round trips', () => {
    // n = 10 000 (2 rounds): 3 000 differences left the responder ranges of 7–31 items in round
    // 2, which it split, so every such run took a third round; 200 items (1 round) took 2
    for (const [common, onlyA, onlyB, rounds] of [[8_500, 1_500, 1_500, 2], [9_500, 500, 500, 2], [190, 5, 5, 1]]) {
      const { a, b } = makeSets(common, onlyA, onlyB)
      const result = reconcile(a, b, 256 * 1024)
      assert.deepEqual({ have: result.have, need: result.need }, expected(a, b))
      assert.equal(result.rounds, rounds, `${common} common, ${onlyA} + ${onlyB} different`)
    }
  })

  it('settles equal sets of 100 000 in one round trip', () => {
    const { a, b } = makeSets(100_000, 0, 0)
    const { have, need, rounds } = reconcile(a, b, 256 * 1024)
    assert.deepEqual({ have: have.size, need: need.size, rounds }, { have: 0, need: 0, rounds: 1 })
  })

  it('handles ms timestamps beyond 2^32, which the NIP-77 varints of nostr-tools cannot', () => {
    const now = 1_750_000_000_000
    const { a, b } = makeSets(300, 7, 9)
    const shift = (items: Item[]): Item[] => items.map(i => ({ ...i, timestamp: now + (i.timestamp - 1_750_000_000) * 1000 }))
    const { have, need } = reconcile(shift(a), shift(b), 4_096)
    assert.deepEqual({ have, need }, expected(a, b))
  })

  it('refuses malformed messages with NegentropyError only', () => {
    const responder = (): Negentropy => new Negentropy(ours(makeSets(100, 0, 0).a), 4_096)
    const cases: Array<[string, number[]]> = [
      ['empty', []],
      ['another version', [0x62]],
      ['not a version', [0x10]],
      ['a truncated bound', [NEGENTROPY_VERSION, 0x81]],
      ['a bound key longer than 32', [NEGENTROPY_VERSION, 0x00, 33, ...new Array(33).fill(1), 0x00]],
      ['an unknown mode', [NEGENTROPY_VERSION, 0x00, 0x00, 0x07]],
      ['a truncated fingerprint', [NEGENTROPY_VERSION, 0x00, 0x00, 0x01, 1, 2, 3]],
      ['an IdList longer than the message', [NEGENTROPY_VERSION, 0x00, 0x00, 0x02, 0x83, 0xdc, 0xeb, 0x94, 0x00]],
      ['a varint beyond 2^53', [NEGENTROPY_VERSION, ...new Array(10).fill(0xff), 0x01]]
    ]
    for (const [what, bytes] of cases) {
      // a responder answers an unknown version with its own version byte, as the spec says
      if (what === 'another version') {
        assert.deepEqual(responder().reconcile(Uint8Array.from(bytes)).output, Uint8Array.of(NEGENTROPY_VERSION))
        continue
      }
      assert.throws(() => responder().reconcile(Uint8Array.from(bytes)), NegentropyError, what)
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, asInitiator) => {
      const neg = responder()
      if (asInitiator) neg.initiate()
      try {
        const { output } = neg.reconcile(Uint8Array.of(NEGENTROPY_VERSION, ...bytes))
        assert.ok(output == null || output.length <= 4_096)
      } catch (err) {
        assert.ok(err instanceof NegentropyError, String(err))
      }
    }), { numRuns: 2_000 })
  })

  it('keeps the newest items when capped, sorted and without duplicates', () => {
    const builder = new StorageBuilder(3)
    const ids = Array.from({ length: 5 }, () => randomBytes(32))
    builder.add(10, ids[0])
    builder.add(20, ids[1])
    builder.add(30, ids[2])
    builder.add(25, ids[3])
    builder.add(40, ids[4])
    const storage = builder.build()
    assert.deepEqual([...storage.timestamps], [25, 30, 40])
    assert.equal(NegentropyStorage.from([{ timestamp: 1, id: ids[0] }, { timestamp: 1, id: ids[0] }]).size(), 1)
  })
})
