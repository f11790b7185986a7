// Feed ordering: scores, hot decay, distance weighting for Near me, and the hiding threshold.
// Pure functions over counters the store keeps; no I/O.

export * from './scores.js'
