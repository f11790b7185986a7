// A fresh LevelDB store in a temp dir for each test of a describe block, closed and removed after.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStore } from '../../src/store/index.js'
import type { PostStore, StoreOptions } from '../../src/store/index.js'

export interface TempStore {
  /** the current test's store */
  readonly store: PostStore
  /** its LevelDB folder */
  readonly path: string
  /** closes the current store and opens the same folder again, with these options */
  open(options?: Partial<StoreOptions>): Promise<PostStore>
  /** closes the current store and opens an empty one in its place, with these options */
  openEmpty(options?: Partial<StoreOptions>): Promise<PostStore>
}

/** Call inside a describe block: registers the beforeEach/afterEach that make and remove the store. */
export function useTempStore (): TempStore {
  let dir: string
  let current: PostStore | undefined
  const temp: TempStore = {
    get store () {
      if (current === undefined) throw new Error('no store outside a test')
      return current
    },
    get path () {
      return join(dir, 'db')
    },
    async open (options = {}) {
      await current?.stop()
      current = createStore({ path: temp.path, ...options })
      await current.start()
      return current
    },
    async openEmpty (options = {}) {
      await current?.stop()
      current = undefined
      await rm(temp.path, { recursive: true, force: true })
      return await temp.open(options)
    }
  }
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-store-'))
    await temp.open()
  })
  afterEach(async () => {
    await current?.stop()
    current = undefined
    await rm(dir, { recursive: true, force: true })
  })
  return temp
}

export async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
