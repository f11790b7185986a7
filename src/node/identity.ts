// The node's two secrets in its data dir: the libp2p transport key (a stable PeerId, never
// attached to a post) and the user's master secret from which every pseudonym is derived.

import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export interface Identity {
  privateKey: PrivateKey
  master: Uint8Array
}

const MASTER_FILE = 'master.key'
const PEER_FILE = 'peer.key'

export async function loadIdentity (dataDir: string): Promise<Identity> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const master = await readOrCreate(join(dataDir, MASTER_FILE), async () => crypto.getRandomValues(new Uint8Array(32)))
  if (master.length !== 32) throw new Error(`${MASTER_FILE} is corrupt: expected 32 bytes`)
  const peerBytes = await readOrCreate(join(dataDir, PEER_FILE), async () => privateKeyToProtobuf(await generateKeyPair('Ed25519')))
  return { privateKey: privateKeyFromProtobuf(peerBytes), master }
}

async function readOrCreate (file: string, create: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file))
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  const bytes = await create()
  // 'wx' so two nodes started on one data dir cannot both write a different secret
  await writeFile(file, bytes, { mode: 0o600, flag: 'wx' })
  await chmod(file, 0o600)
  return bytes
}
