// src/post owns murmur's messages: wire format, canonical encoding, keys and pseudonyms,
// signatures, proof of work and the one validation pipeline. Pure: no I/O, no libp2p.

export * from './constants.js'
export { decodeBody, decodeEnvelope, encodeBody, encodeEnvelope, bodyId, Body, Envelope, Kind } from './codec.js'
export { sign, getPublicKey, verify, verifyBody, verifyReference, signedBytes } from './signature.js'
export { newMasterSecret, newPostNonce, postKey, threadKey, keyForThread, moderatorKey, oneOffKey, MASTER_SECRET_BYTES, POST_NONCE_BYTES } from './keys.js'
export type { KeyPair } from './keys.js'
export { pseudonym } from './pseudonym.js'
export type { Pseudonym } from './pseudonym.js'
export { easierPolicy, leadingZeroBits, meetsDifficulty, mine, uniformPolicy } from './pow.js'
export type { Mined, PowPolicy } from './pow.js'
export { gossipTopicsOf, gossipTopicsOfBody } from './topics.js'
export type { TopicFields } from './topics.js'
export { validateEnvelope, toMessage, decodeTrusted } from './validate.js'
export type { Severity, ValidateOptions, ValidationCode, ValidationFailure, ValidationResult } from './validate.js'
export { createMessage } from './build.js'
export type { Created, CreateOptions, MessageInput } from './build.js'
export type { Message, MessageKind } from './model.js'
