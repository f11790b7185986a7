// Feed ordering: scores, time-invariant hot keys, the distance penalty of Near me, and the hiding threshold.
// Pure functions over counters the store keeps; no I/O.

export * from './scores.js'
