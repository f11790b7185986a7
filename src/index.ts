// murmur's composition root: createNode(config) wires identity, store, ingest pipeline,
// libp2p and gossip, and offers the user's actions (post, reply, react, delete, read, join).

import { join } from 'node:path'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { BadRequestError, ForbiddenError, NotFoundError } from './errors.js'
import { createConfig, type MurmurConfig } from './config.js'
import { encode as encodeGeohash, neighbourhood, normalizeTag, extractHashtags, parseTopic, formatTopic, toGossipTopic, topicsOfPost, isValidGeohash, assertCoordinates, cellDistanceBucket, decode as decodeGeohash } from './geo/index.js'
import { createStore } from './store/index.js'
import { createNetwork, isLoopback, multiaddr } from './network/libp2p.js'
import { createGossip } from './network/gossip.js'
import { createTopicDiscovery } from './network/discovery.js'
import { createSync, type SyncOptions } from './sync/index.js'
import { createIngestor } from './node/ingest.js'
import { loadIdentity } from './node/identity.js'
import { toView, type PostView } from './node/views.js'
import { createMessage, uniformPolicy, postKey, keyForThread, newPostNonce, MAX_TAGS, DEFAULT_TTL_MS, MAX_TTL_MS } from './post/index.js'
import type { MurmurNode, PostInput, FeedQuery, NodeStatus, PeerView, Thread } from './node/types.js'
import type { StoredPost } from './store/index.js'
import type { Message } from './post/model.js'
import type { MessageInput } from './post/index.js'
import type { ComponentLogger, Transport } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'

export type { MurmurNode, PostInput, FeedQuery, NodeStatus, PeerView, Thread } from './node/types.js'
export type { PostView } from './node/views.js'
export { createConfig, type MurmurConfig } from './config.js'

export interface CreateNodeOptions {
  /** replaces TCP + WebSockets, for in-process integration tests */
  transports?: Array<(components: any) => Transport>
  logger?: ComponentLogger
  sync?: Partial<SyncOptions>
}

const DEFAULT_FEED_LIMIT = 50
const DEFAULT_NEAR_PRECISION = 5
/** keep dialling discovered peers while fewer than this are connected */
const TARGET_PEERS = 24

export async function createNode (partial: Partial<MurmurConfig> = {}, options: CreateNodeOptions = {}): Promise<MurmurNode> {
  const config = createConfig(partial)
  const logger = options.logger ?? defaultLogger()
  const log = logger.forComponent('murmur:node')
  const identity = await loadIdentity(config.dataDir)
  const store = createStore({ path: join(config.dataDir, 'db'), topicQuota: config.topicQuota })
  const events = new EventTarget()
  const pow = uniformPolicy(config.powBits)
  const mdns = config.mdns === 'auto' ? config.listen.some(a => !isLoopback(multiaddr(a))) : config.mdns

  const libp2p = await createNetwork({
    privateKey: identity.privateKey,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    mdns,
    loopbackOnly: config.loopbackOnly,
    logger,
    ...(options.transports != null ? { transports: options.transports } : {})
  })

  const ingestor = createIngestor({
    store,
    pow: () => pow,
    onStored: (message, local) => { void announce(message, local) }
  })
  const gossip = createGossip({ libp2p, ingestor, log: logger.forComponent('murmur:gossip') })
  const discovery = createTopicDiscovery({ libp2p, log: logger.forComponent('murmur:discovery') })
  const sync = createSync({
    libp2p,
    store,
    ingestor,
    log: logger.forComponent('murmur:sync'),
    topics: () => gossip.joined(),
    ...(options.sync != null ? { options: options.sync } : {})
  })

  // Public keys of this user's pseudonym per thread: isMine for replies and reactions.
  const myThreadKeys = new Map<string, string>()
  let purgeTimer: ReturnType<typeof setInterval> | undefined
  let redialTimer: ReturnType<typeof setInterval> | undefined

  async function rootNonce (rootId: string): Promise<Uint8Array | undefined> {
    const nonce = await store.mineNonce(rootId)
    return nonce == null ? undefined : hexToBytes(nonce)
  }

  async function threadKeyFor (rootId: string): Promise<ReturnType<typeof keyForThread>> {
    return keyForThread(identity.master, rootId, await rootNonce(rootId))
  }

  async function myAuthorIn (rootId: string): Promise<string> {
    let author = myThreadKeys.get(rootId)
    if (author == null) {
      author = bytesToHex((await threadKeyFor(rootId)).publicKey)
      myThreadKeys.set(rootId, author)
      if (myThreadKeys.size > 10_000) myThreadKeys.delete(myThreadKeys.keys().next().value as string)
    }
    return author
  }

  async function view (post: StoredPost, extra: { opAuthor?: string, distance?: string } = {}): Promise<PostView> {
    const rootId = post.kind === 'post' ? post.id : post.root
    // a fresh root from the network (the live event's usual case) needs no thread key at all
    if (post.kind === 'post' && post.up + post.down === 0) return toView(post, { isMine: post.isMine, ...extra })
    const me = await myAuthorIn(rootId)
    const isMine = post.kind === 'post' ? post.isMine : post.author === me
    const myReaction = await store.myReaction(post.id, me)
    return toView(post, { isMine, ...extra, ...(myReaction != null ? { myReaction } : {}) })
  }

  async function announce (message: Message, local: boolean): Promise<void> {
    try {
      // a root just stored from the network has no counters, reactions or thread key to read:
      // its live event costs no store read (a busy channel delivers hundreds a second)
      if (message.kind === 'post' && !local) {
        events.dispatchEvent(new CustomEvent('post', { detail: toView({ ...message, up: 0, down: 0, replies: 0, isMine: false }, { isMine: false }) }))
        return
      }
      const stored = await store.get(message.id)
      // a reaction or delete is announced as the message itself: the page re-reads its target
      const detail = stored != null
        ? await view(stored)
        : toView({ ...message, up: 0, down: 0, replies: 0, isMine: false }, { isMine: false })
      events.dispatchEvent(new CustomEvent('post', { detail }))
    } catch (err: any) {
      log.error('could not announce %s - %e', message.id, err)
    }
  }

  async function author (input: MessageInput, secretKey: Uint8Array): Promise<Message> {
    return (await createMessage(input, secretKey, { pow })).message
  }

  async function requirePost (id: string): Promise<StoredPost> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new BadRequestError('a post id is 64 lower-case hex characters', 'BAD_ID')
    const post = await store.get(id)
    if (post == null || post.kind === 'reaction' || post.kind === 'delete') throw new NotFoundError(`no post ${id} on this node`)
    return post
  }

  /** Store first (durably), then gossip: the API answers only once the post is safe on disk. */
  async function publishOwn (message: Message): Promise<void> {
    const outcome = await ingestor.submit(message.envelope, { durable: true })
    if (outcome.status === 'refused') throw new BadRequestError(`the node refused its own message: ${outcome.reason}`, outcome.code)
    await gossip.publish(message).catch(err => { log.error('publish failed - %e', err) })
  }

  function placeOf (input: PostInput): string {
    if (input.geohash != null && input.geohash !== '') {
      const g = input.geohash.toLowerCase()
      if (!isValidGeohash(g) || g.length < 4 || g.length > 6) throw new BadRequestError('geohash must be 4 to 6 geohash characters', 'BAD_GEOHASH')
      return g
    }
    if (input.lat == null && input.lon == null) return ''
    if (input.lat == null || input.lon == null) throw new BadRequestError('give both lat and lon', 'BAD_COORDINATES')
    assertCoordinates(input.lat, input.lon)
    const precision = input.precision ?? DEFAULT_NEAR_PRECISION
    if (!Number.isInteger(precision) || precision < 4 || precision > 6) throw new BadRequestError('precision must be 4, 5 or 6', 'BAD_PRECISION')
    return encodeGeohash(input.lat, input.lon, precision)
  }

  function tagsOf (input: PostInput): string[] {
    const tags = new Set<string>()
    for (const t of input.tags ?? []) tags.add(normalizeTag(t))
    for (const t of extractHashtags(input.text)) tags.add(t)
    if (tags.size > MAX_TAGS) throw new BadRequestError(`at most ${MAX_TAGS} tags, counting #hashtags in the text`, 'TOO_MANY_TAGS')
    return [...tags]
  }

  function ttlOf (input: PostInput): number {
    if (input.ttlSeconds == null) return DEFAULT_TTL_MS
    const ms = input.ttlSeconds * 1000
    if (!Number.isFinite(ms) || ms < 60_000 || ms > MAX_TTL_MS) throw new BadRequestError(`ttlSeconds must be from 60 to ${MAX_TTL_MS / 1000}`, 'BAD_TTL')
    return Math.floor(ms)
  }

  const node: MurmurNode = {
    config,
    peerId: libp2p.peerId.toString(),
    libp2p,
    store,
    ingestor,
    discovery,
    sync,
    events,

    async start () {
      await store.start()
      await libp2p.start()
      await sync.start()
      discovery.start()
      for (const topic of new Set([...await store.topics(), ...config.join])) await node.join(topic)
      libp2p.addEventListener('peer:discovery', (evt) => {
        if (libp2p.getConnections().length >= TARGET_PEERS) return
        libp2p.dial(evt.detail.id).catch(err => { log('could not dial discovered peer - %e', err) })
      })
      // a bootstrap dial that failed (a busy peer, a timeout) is not retried by libp2p: an
      // isolated node would stay alone, so it dials its bootstrap list again while it has no peers
      redialTimer = setInterval(() => {
        if (libp2p.getConnections().length > 0) return
        for (const addr of config.bootstrap) libp2p.dial(multiaddr(addr)).catch(err => { log('could not redial %s - %e', addr, err) })
      }, 10_000)
      redialTimer.unref()
      purgeTimer = setInterval(() => {
        store.purge(Date.now()).catch(err => { log.error('purge failed - %e', err) })
      }, config.purgeIntervalMs)
      purgeTimer.unref()
      await store.purge(Date.now())
    },

    async stop () {
      clearInterval(purgeTimer)
      clearInterval(redialTimer)
      await discovery.stop()
      await sync.stop()
      await libp2p.stop()
      await ingestor.flush()
      await store.stop()
    },

    addresses: () => libp2p.getMultiaddrs().map(a => a.toString()),

    async status (): Promise<NodeStatus> {
      return {
        peerId: node.peerId,
        addresses: node.addresses(),
        topics: node.topics(),
        peers: libp2p.getPeers().length,
        posts: await store.count(),
        gossip: gossip.counters(),
        sync: sync.progress(),
        powBits: config.powBits
      }
    },

    async post (input) {
      if (typeof input.text !== 'string') throw new BadRequestError('text must be a string', 'BAD_TEXT')
      const tags = tagsOf(input)
      const geohash = placeOf(input)
      if (tags.length === 0 && geohash === '') throw new BadRequestError('a murmur needs a #tag or a place, or nobody could find it', 'NO_TOPIC')
      const nonce = newPostNonce()
      const createdAt = Date.now()
      const message = await author({
        kind: 'post', text: input.text, tags, geohash, createdAt, expiresAt: createdAt + ttlOf(input)
      }, postKey(identity.master, nonce).secretKey)
      // recorded before the post itself, so a crash in between can never orphan our own post
      await store.markMine(message.id, bytesToHex(nonce))
      await publishOwn(message)
      for (const topic of topicsOfPost(message)) await node.join(formatTopic(topic))
      return view(await requireStored(message.id))
    },

    async reply (id, text) {
      const target = await requirePost(id)
      const root = target.kind === 'post' ? target : await requirePost(target.root)
      const key = await threadKeyFor(root.id)
      const message = await author({
        kind: 'reply', text, tags: root.tags, geohash: root.geohash, parent: root.id, root: root.id, createdAt: Date.now(), expiresAt: root.expiresAt
      }, key.secretKey)
      await publishOwn(message)
      return view(await requireStored(message.id), { opAuthor: root.author })
    },

    async react (id, value) {
      const target = await requirePost(id)
      const rootId = target.kind === 'post' ? target.id : target.root
      const key = await threadKeyFor(rootId)
      const current = await store.myReaction(target.id, bytesToHex(key.publicKey))
      if (current !== value) {
        const message = await author({
          kind: 'reaction', text: '', tags: target.tags, geohash: target.geohash, parent: target.id, root: rootId, value, createdAt: Date.now(), expiresAt: target.expiresAt
        }, key.secretKey)
        await publishOwn(message)
      }
      return view(await requirePost(id))
    },

    async remove (id) {
      const target = await requirePost(id)
      const rootId = target.kind === 'post' ? target.id : target.root
      const key = target.kind === 'post'
        ? (target.isMine ? postKey(identity.master, (await rootNonce(target.id)) as Uint8Array) : undefined)
        : await threadKeyFor(rootId)
      if (key == null || bytesToHex(key.publicKey) !== target.author) throw new ForbiddenError('you can delete only your own posts', 'NOT_YOURS')
      const message = await author({
        kind: 'delete', text: '', tags: target.tags, geohash: target.geohash, parent: target.id, root: rootId, createdAt: Date.now(), expiresAt: target.expiresAt
      }, key.secretKey)
      await publishOwn(message)
    },

    async thread (id): Promise<Thread> {
      const target = await requirePost(id)
      const rootId = target.kind === 'post' ? target.id : target.root
      const { post, replies } = await store.thread(rootId, { now: Date.now() })
      if (post == null) throw new NotFoundError(`the thread of ${id} is not on this node yet`)
      return {
        post: await view(post),
        replies: await Promise.all(replies.map(async r => view(r, { opAuthor: post.author })))
      }
    },

    async feed (query: FeedQuery) {
      const sort = query.sort ?? 'hot'
      const limit = query.limit ?? DEFAULT_FEED_LIMIT
      const now = Date.now()
      if (query.near != null) {
        const { lat, lon } = query.near
        assertCoordinates(lat, lon)
        const precision = query.near.precision ?? DEFAULT_NEAR_PRECISION
        if (!Number.isInteger(precision) || precision < 4 || precision > 6) throw new BadRequestError('precision must be 4, 5 or 6', 'BAD_PRECISION')
        const cell = encodeGeohash(lat, lon, precision)
        // the cell and its 8 neighbours: a post 100 m across a cell border is still near
        const posts = await store.feed({ geohashPrefixes: neighbourhood(cell), sort: sort === 'new' ? 'new' : 'near', limit, now, origin: cell })
        return Promise.all(posts.map(async p => view(p, { distance: cellDistanceBucket(decodeGeohash(cell), p.geohash) })))
      }
      const topic = query.topic != null ? formatTopic(parseTopic(query.topic)) : undefined
      const posts = await store.feed({ ...(topic != null ? { topic } : {}), sort, limit, now })
      return Promise.all(posts.map(async p => view(p)))
    },

    async join (topic) {
      const name = formatTopic(parseTopic(topic))
      // post() joins its topics every time: sync only what is newly joined
      const isNew = !gossip.joined().includes(name)
      await store.joinTopic(name)
      gossip.join(name)
      discovery.join(name)
      if (isNew) void sync.syncTopic(name).catch(err => { log('sync of %s failed - %e', name, err) })
      return name
    },

    async leave (topic) {
      const name = formatTopic(parseTopic(topic))
      await store.leaveTopic(name)
      gossip.leave(name)
      await discovery.leave(name)
      return name
    },

    topics: () => gossip.joined(),

    peers (): PeerView[] {
      const subscribers = new Map<string, string[]>()
      for (const topic of gossip.joined()) {
        for (const peer of libp2p.services.pubsub.getSubscribers(toGossipTopic(parseTopic(topic)))) {
          const key = peer.toString()
          subscribers.set(key, [...(subscribers.get(key) ?? []), topic])
        }
      }
      return libp2p.getConnections().map(conn => ({
        peerId: conn.remotePeer.toString(),
        addresses: [conn.remoteAddr.toString()],
        direction: conn.direction,
        topics: subscribers.get(conn.remotePeer.toString()) ?? [],
        score: gossip.score(conn.remotePeer.toString())
      }))
    }
  }

  async function requireStored (id: string): Promise<StoredPost> {
    const post = await store.get(id)
    if (post == null) throw new NotFoundError(`post ${id} was not stored`)
    return post
  }

  return node
}
