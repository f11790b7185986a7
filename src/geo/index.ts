// Geography and topic names: geohash cells and neighbours, coarse distances, tags, and the one
// parser for topic names. Pure: no I/O, no libp2p.

export * from './geohash.js'
export * from './distance.js'
export * from './tags.js'
export * from './topics.js'
