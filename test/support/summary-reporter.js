// Mocha's spec output for people, plus one closing line `N passed, N failed[, N skipped]`
// that CI reads (mocha's own summary is not in that form).
import { reporters } from 'mocha'

export default class SummaryReporter extends reporters.Spec {
  constructor (runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const { passes = 0, failures = 0, pending = 0 } = this.stats
      process.stdout.write(`\n${passes} passed, ${failures} failed${pending > 0 ? `, ${pending} skipped` : ''}\n`)
    })
  }
}
