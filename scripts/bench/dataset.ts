// Benchmark data: real signed murmur envelopes (proof of work 0) with a realistic mix of tags
// and geo cells, made fast with node:crypto and cached on disk, because a million of them take
// minutes to sign and every mode of the benchmark reuses them.

import { createPrivateKey, createPublicKey, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kind, encodeBody, encodeEnvelope, signedBytes, PROTOCOL_VERSION, DEFAULT_TTL_MS } from '../../src/post/index.js'

/** The tags of a busy region: a few very popular, most rare (Zipf-like, as real tags are). */
export const TAGS = ['lyon', 'paris', 'music', 'food', 'jobs', 'housing', 'bikes', 'football', 'cinema', 'news',
  'art', 'books', 'tech', 'market', 'lost', 'found', 'events', 'weather', 'traffic', 'parents',
  'garden', 'cats', 'dogs', 'running', 'climbing', 'jazz', 'theatre', 'coffee', 'beer', 'students']
/** Geohash-4 cells around Lyon and Paris, the precision-6 geohashes of posts fall inside them. */
export const CELLS = ['u05k', 'u05m', 'u05h', 'u05j', 'u09t', 'u09w', 'u09v', 'u09y']
export const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz'

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_LENGTH = 12

export interface Signer {
  key: KeyObject
  publicKey: Uint8Array
}

export function newSigner (): Signer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, randomBytes(32)]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return { key, publicKey: new Uint8Array(spki.subarray(SPKI_LENGTH)) }
}

/** Deterministic-enough pseudo-random numbers, so a dataset's mix does not depend on Math.random's state. */
function prng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x / 2 ** 32
  }
}

export interface PostShape {
  tags: string[]
  geohash: string
  createdAt: number
  text: string
  /** default createdAt + 7 days */
  expiresAt?: number
}

/** The i-th post's topics and time: Zipf tags, one or two of them, and a place on two posts in three. */
export function shapeOf (random: () => number, now: number, spanMs: number, textChars: number): PostShape {
  const zipf = (): string => TAGS[Math.min(TAGS.length - 1, Math.floor(TAGS.length * random() ** 2.5))]
  const tags = [zipf()]
  if (random() < 0.3) {
    const second = zipf()
    if (second !== tags[0]) tags.push(second)
  }
  let geohash = ''
  if (random() < 0.66) {
    geohash = CELLS[Math.floor(random() * CELLS.length)]
    for (let k = 0; k < 2; k++) geohash += BASE32[Math.floor(random() * 32)]
  }
  let text = ''
  while (text.length < textChars) text += 'lorem ipsum dolor sit amet consectetur '.slice(0, textChars - text.length)
  return { tags, geohash, createdAt: now - Math.floor(random() * spanMs), text }
}

/** One signed post envelope. */
export function envelopeOf (signer: Signer, shape: PostShape): Uint8Array {
  return signedEnvelope(signer, Kind.POST, shape, { text: shape.text })
}

/** A signed +1 or −1 on a root post of this shape and id, travelling on its topics and living as long. */
export function reactionOf (signer: Signer, root: { id: Uint8Array, shape: PostShape }, value: 1 | -1, createdAt: number): Uint8Array {
  return signedEnvelope(signer, Kind.REACTION, { ...root.shape, createdAt }, { parent: root.id, root: root.id, value })
}

function signedEnvelope (signer: Signer, kind: Kind, shape: PostShape, fields: { text?: string, parent?: Uint8Array, root?: Uint8Array, value?: number }): Uint8Array {
  const body = encodeBody({
    version: PROTOCOL_VERSION,
    kind,
    author: signer.publicKey as Uint8Array<ArrayBuffer>,
    createdAt: BigInt(shape.createdAt),
    expiresAt: BigInt(shape.expiresAt ?? shape.createdAt + DEFAULT_TTL_MS),
    tags: shape.tags,
    geohash: shape.geohash,
    text: fields.text ?? '',
    parent: (fields.parent ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    root: (fields.root ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    value: fields.value ?? 0,
    nonce: 0n,
    targets: [],
    label: '',
    moderator: new Uint8Array(0)
  })
  const signature = new Uint8Array(cryptoSign(null, signedBytes(body), signer.key))
  return encodeEnvelope({ body, signature })
}

export interface DatasetOptions {
  count: number
  /** distinct signing keys; every root post has its own key in murmur, so default count */
  keys?: number
  /** posts are created within this long before now */
  spanMs?: number
  textChars?: number
  /** overrides the tag/geo mix */
  shape?: (random: () => number, now: number) => PostShape
  seed?: number
}

/**
 * `count` envelopes created within the last `spanMs` (default 6 days, so all are live for a
 * day). Cached by its parameters in the temp dir for a day, since they expire.
 */
export async function dataset (options: DatasetOptions): Promise<Uint8Array[]> {
  const { count, keys = count, spanMs = 6 * 86_400_000, textChars = 120, seed = 1 } = options
  const now = Date.now()
  const day = Math.floor(now / 86_400_000)
  const cacheable = options.shape == null
  const dir = join(tmpdir(), 'murmur-bench')
  const file = join(dir, `posts-${count}-${keys}-${spanMs}-${textChars}-${seed}-${day}.bin`)
  if (cacheable) {
    const cached = await readFile(file).catch(() => undefined)
    if (cached != null) return split(cached)
  }
  const random = prng(seed + day)
  const signers: Signer[] = []
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    if (signers.length < keys) signers.push(newSigner())
    const signer = signers[i % signers.length]
    const shape = options.shape?.(random, now) ?? shapeOf(random, now, spanMs, textChars)
    out.push(envelopeOf(signer, shape))
  }
  if (cacheable) {
    await mkdir(dir, { recursive: true })
    const partial = `${file}.${process.pid}`
    const handle = await open(partial, 'w')
    for (let i = 0; i < out.length; i += 10_000) {
      const parts: Uint8Array[] = []
      for (const envelope of out.slice(i, i + 10_000)) {
        const length = Buffer.alloc(4)
        length.writeUInt32BE(envelope.byteLength)
        parts.push(length, envelope)
      }
      await handle.write(Buffer.concat(parts))
    }
    await handle.close()
    await rename(partial, file)
  }
  return out
}

function split (bytes: Buffer): Uint8Array[] {
  const out: Uint8Array[] = []
  let offset = 0
  while (offset < bytes.byteLength) {
    const length = bytes.readUInt32BE(offset)
    out.push(new Uint8Array(bytes.buffer, bytes.byteOffset + offset + 4, length))
    offset += 4 + length
  }
  return out
}
