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
import { createGossipLinks } from './network/gossip-links.js'
import { createIdentifyAgain } from './network/identify-again.js'
import { createKnownPeers } from './network/known-peers.js'
import { createTopicFollower } from './network/follow.js'
import { nodeLogger } from './network/quiet-logger.js'
import { createMetrics } from './metrics/index.js'
import { createSync, type SyncOptions } from './sync/index.js'
import { createIngestor } from './node/ingest.js'
import { sharedVerifier } from './verify/index.js'
import { loadIdentity } from './node/identity.js'
import { toView, type PostView } from './node/views.js'
import { createModeration } from './moderation/index.js'
import { createModerateActions } from './node/moderate.js'
import { createMessage, easierPolicy, postKey, keyForThread, newPostNonce, MAX_TAGS, DEFAULT_TTL_MS, MAX_TTL_MS } from './post/index.js'
import type { MurmurNode, PostInput, FeedQuery, NodeStatus, PeerView, Thread } from './node/types.js'
import type { StoredPost, UpgradeProgress } from './store/index.js'
import type { Message } from './post/model.js'
import type { MessageInput } from './post/index.js'
import type { ComponentLogger, ConnectionGater, Transport } from '@libp2p/interface'

export type { MurmurNode, PostInput, FeedQuery, NodeStatus, PeerView, Thread } from './node/types.js'
export type { PostView } from './node/views.js'
export { createConfig, type MurmurConfig } from './config.js'

export interface CreateNodeOptions {
  /** replaces TCP + WebSockets, for in-process integration tests */
  transports?: Array<(components: any) => Transport>
  logger?: ComponentLogger
  sync?: Partial<SyncOptions>
  /** more connection rules for libp2p (integration tests hold a topology with it) */
  connectionGater?: ConnectionGater
  /** how the upgrade of an older store goes, during start() (the CLI prints it) */
  onStoreUpgrade?: (progress: UpgradeProgress) => void
}

const DEFAULT_FEED_LIMIT = 50
const DEFAULT_NEAR_PRECISION = 5
/** work this many bits short of our policy is ignored, not held against the sender (docs/abuse.md) */
const POW_SLACK_BITS = 4
/** setting key: a few peers of each joined topic, dialled first on the next start (known-peers.ts) */
const KNOWN_PEERS_SETTING = 'network.knownPeers'
/** setting key prefix: when the node's provider record of a topic last reached a peer (discovery.ts) */
const PROVIDED_SETTING = 'discovery.provided.'
/** keep dialling discovered peers while fewer than this are connected */
const TARGET_PEERS = 24

export async function createNode (partial: Partial<MurmurConfig> = {}, options: CreateNodeOptions = {}): Promise<MurmurNode> {
  const config = createConfig(partial)
  const logger = options.logger ?? nodeLogger()
  const log = logger.forComponent('murmur:node')
  const identity = await loadIdentity(config.dataDir)
  const store = createStore({ path: join(config.dataDir, 'db'), topicQuota: config.topicQuota, ...(options.onStoreUpgrade != null ? { onUpgrade: options.onStoreUpgrade } : {}) })
  const moderation = createModeration({ store, configured: config.moderators, log: logger.forComponent('murmur:moderation') })
  const events = new EventTarget()
  const pow = config.pow
  // a peer whose policy is up to 16 times easier than ours is not blamed for what it carries
  const powFloor = easierPolicy(pow, POW_SLACK_BITS)
  const mdns = config.mdns === 'auto' ? config.listen.some(a => !isLoopback(multiaddr(a))) : config.mdns
  const metrics = config.metrics ? createMetrics() : undefined

  const libp2p = await createNetwork({
    privateKey: identity.privateKey,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    mdns,
    loopbackOnly: config.loopbackOnly,
    logger,
    ...(config.relay ? { relayReservations: config.relayReservations } : {}),
    ...(metrics != null ? { metrics: metrics.libp2p } : {}),
    ...(options.transports != null ? { transports: options.transports } : {}),
    ...(options.connectionGater != null ? { connectionGater: options.connectionGater } : {})
  })

  // one pool of signature workers per process, however many nodes it runs
  const verifier = config.verifyThreads > 0 ? sharedVerifier({ threads: config.verifyThreads, log: logger.forComponent('murmur:verify') }) : undefined
  const ingestor = createIngestor({
    store,
    ...(verifier != null ? { verifier } : {}),
    pow: () => pow,
    powFloor: () => powFloor,
    ...(config.retentionMs < MAX_TTL_MS ? { keepSince: () => Date.now() - config.retentionMs } : {}),
    onStored: (message, local) => {
      void announce(message, local)
      moderation.onStored(message).catch(err => { log.error('moderation of %s failed - %e', message.id, err) })
    },
    admit: (message) => moderation.admit(message)
  })
  const gossip = createGossip({
    libp2p,
    ingestor,
    log: logger.forComponent('murmur:gossip'),
    limits: { rate: config.gossipRate, burst: config.gossipBurst, maxPending: config.gossipQueue },
    powFloor: () => powFloor
  })
  const links = createGossipLinks({ libp2p, log: logger.forComponent('murmur:gossip-links') })
  const identifyAgain = createIdentifyAgain({ libp2p, log: logger.forComponent('murmur:identify-again') })
  const knownPeers = createKnownPeers({
    libp2p,
    log: logger.forComponent('murmur:known-peers'),
    topics: () => gossip.joined(),
    load: async () => await store.getSetting(KNOWN_PEERS_SETTING),
    save: async (peers) => { await store.setSetting(KNOWN_PEERS_SETTING, peers) }
  })
  const discovery = createTopicDiscovery({
    libp2p,
    log: logger.forComponent('murmur:discovery'),
    records: {
      sentAt: async (topic) => {
        const at = await store.getSetting(PROVIDED_SETTING + topic)
        return typeof at === 'number' ? at : undefined
      },
      sent: (topic, at) => { store.setSetting(PROVIDED_SETTING + topic, at).catch(err => { log('could not note the provide of %s - %e', topic, err) }) }
    },
    knownPeers: () => knownPeers.dialled()
  })
  const sync = createSync({
    libp2p,
    store,
    ingestor,
    log: logger.forComponent('murmur:sync'),
    topics: () => gossip.joined(),
    // reconcile only what this node keeps, or what it trims would come back every session
    options: { windowMs: config.retentionMs, sessionsPerMinute: config.syncSessionsPerMinute, ...options.sync }
  })
  const follower = config.allTopics
    ? createTopicFollower({ libp2p, log: logger.forComponent('murmur:follow'), joined: () => gossip.joined(), join: async (topic) => await node.join(topic), maxTopics: config.maxTopics })
    : undefined

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
    // a label or report belongs to no thread: nothing of the user's to look up
    if (post.kind === 'label' || post.kind === 'report') return toView(post, { isMine: false })
    const rootId = post.kind === 'post' ? post.id : post.root
    const moderated = { warnings: moderation.warnings(post.id), hidden: moderation.isExcluded(post) }
    // a root nobody reacted to needs no thread key: there is no reaction of the user's to find
    if (post.kind === 'post' && post.up + post.down === 0) return toView(post, { isMine: post.isMine, ...extra, ...moderated })
    const me = await myAuthorIn(rootId)
    const isMine = post.kind === 'post' ? post.isMine : post.author === me
    const myReaction = await store.myReaction(post.id, me)
    return toView(post, { isMine, ...extra, ...(myReaction != null ? { myReaction } : {}), ...moderated })
  }

  async function announce (message: Message, local: boolean): Promise<void> {
    try {
      // a root just stored from the network has no counters, reactions or thread key to read:
      // its live event costs no store read (a busy channel delivers hundreds a second)
      if (message.kind === 'post' && !local) {
        events.dispatchEvent(new CustomEvent('post', { detail: await view({ ...message, up: 0, down: 0, replies: 0, isMine: false }) }))
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
    if (post == null || (post.kind !== 'post' && post.kind !== 'reply')) throw new NotFoundError(`no post ${id} on this node`)
    return post
  }

  /**
   * Store first (durably), then gossip: the API answers only once the post is safe on disk.
   * The order also covers every peer: one subscribed when the post is sent gets it by gossip,
   * one that subscribes later syncs it from the store. Sending first left a hole: a peer that
   * subscribed and synced while the write still ran got it neither way (tried: delivery fell
   * below 1.0 in three of eight simulations, docs/performance.md).
   * `mine`, the nonce (hex) of a post's key, marks it as the user's in that same write.
   * Resolves to the peers it was sent to.
   */
  async function publishOwn (message: Message, mine?: string): Promise<number> {
    const outcome = await ingestor.submit(message.envelope, { durable: true, ...(mine != null ? { mine } : {}) })
    if (outcome.status === 'refused') throw new BadRequestError(`the node refused its own message: ${outcome.reason}`, outcome.code)
    return await gossip.publish(message).catch(err => { log.error('publish failed - %e', err); return 0 })
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

  async function startParts (): Promise<void> {
    verifier?.start()
    await store.start()
    await moderation.start()
    // before libp2p starts, to see every connection open
    identifyAgain.start()
    await libp2p.start()
    await sync.start()
    links.start()
    await knownPeers.start()
    discovery.start()
    const moderatorTopics = moderation.followed().map(id => `mod:${id}`)
    for (const topic of new Set([...await store.topics(), ...config.join, ...moderatorTopics])) await node.join(topic)
    libp2p.addEventListener('peer:discovery', (evt) => {
      if (libp2p.getConnections().length >= TARGET_PEERS) return
      libp2p.dial(evt.detail.id).catch(err => { log('could not dial discovered peer - %e', err) })
    })
    follower?.start()
    // a bootstrap dial that failed (a busy peer, a timeout) is not retried by libp2p: an
    // isolated node would stay alone, so it dials its bootstrap list again while it has no peers
    redialTimer = setInterval(() => {
      if (libp2p.getConnections().length > 0) return
      for (const addr of config.bootstrap) libp2p.dial(multiaddr(addr)).catch(err => { log('could not redial %s - %e', addr, err) })
    }, 10_000)
    redialTimer.unref()
    purgeTimer = setInterval(() => {
      cleanUp().catch(err => { log.error('purge failed - %e', err) })
    }, config.purgeIntervalMs)
    purgeTimer.unref()
    await cleanUp()
  }

  const node: MurmurNode = {
    config,
    peerId: libp2p.peerId.toString(),
    libp2p,
    store,
    ingestor,
    discovery,
    sync,
    moderation,
    events,
    ...createModerateActions({
      store,
      moderation,
      master: identity.master,
      author,
      publish: publishOwn,
      requirePost,
      view: async (post) => view(post),
      join: async (topic) => node.join(topic),
      leave: async (topic) => node.leave(topic),
      joined: () => gossip.joined()
    }),

    async start () {
      try {
        await startParts()
      } catch (err) {
        // A start cut short (the data dir held by another node, a port taken) left what had
        // started running, the signature workers among them: the CLI printed its error and
        // never exited.
        await node.stop().catch(stopErr => { log('could not stop after a failed start - %e', stopErr) })
        throw err
      }
    },

    async stop () {
      // while the node still has its connections and knows its peers' topics
      await knownPeers.stop()
      follower?.stop()
      clearInterval(purgeTimer)
      clearInterval(redialTimer)
      await discovery.stop()
      links.stop()
      await sync.stop()
      await libp2p.stop()
      identifyAgain.stop()
      await ingestor.flush()
      await store.stop()
      await verifier?.stop()
    },

    addresses: () => libp2p.getMultiaddrs().map(a => a.toString()),

    async status (): Promise<NodeStatus> {
      const stats = await store.stats()
      return {
        peerId: node.peerId,
        addresses: node.addresses(),
        topics: node.topics(),
        peers: libp2p.getPeers().length,
        posts: await store.count(),
        gossip: gossip.counters(),
        gossipLinksMended: links.mended(),
        identifiedAgain: identifyAgain.identified(),
        discoveryWalks: discovery.walks(),
        sync: sync.progress(),
        powBits: pow.post,
        pow: { ...pow },
        ...(verifier != null ? { verify: verifier.stats() } : {}),
        ...(libp2p.services.relay != null ? { relay: { reservations: libp2p.services.relay.reservations.size, max: config.relayReservations } } : {}),
        moderation: {
          moderatorId: node.moderationSettings().moderatorId,
          following: moderation.followed().length,
          dropped: moderation.droppedCount(),
          labels: stats.labels,
          reports: stats.reports
        }
      }
    },

    async metrics () {
      if (metrics == null) throw new NotFoundError('metrics are off on this node (config: "metrics": true)')
      const [stats, status] = await Promise.all([store.stats(), node.status()])
      return metrics.render({
        peers: status.peers,
        topics: status.topics.length,
        stored: { post: stats.posts, reply: stats.replies, reaction: stats.reactions, delete: stats.deletes, label: stats.labels, report: stats.reports },
        messages: { ...status.gossip },
        gossipLinksMended: status.gossipLinksMended,
        identifiedAgain: status.identifiedAgain,
        discoveryWalks: { ...status.discoveryWalks },
        syncSessions: { completed: status.sync.completed, failed: status.sync.failed },
        syncActive: status.sync.active,
        syncBytes: { in: status.sync.bytesIn, out: status.sync.bytesOut },
        syncDenied: status.sync.denied,
        relayReservations: status.relay?.reservations ?? 0,
        moderationDropped: status.moderation.dropped,
        moderatorsFollowed: status.moderation.following
      })
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
      // marked in the post's own write: no crash can leave our post without its mark, and a
      // post under load waited in the store's queue once for the mark and again for itself
      await publishOwn(message, bytesToHex(nonce))
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
        // muted pseudonyms and words, and hidden labels, leave replies out; the root was asked for by id
        replies: await Promise.all(replies.filter(r => !moderation.isExcluded(r)).map(async r => view(r, { opAuthor: post.author })))
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
        const posts = await store.feed({ geohashPrefixes: neighbourhood(cell), sort: sort === 'new' ? 'new' : 'near', limit, now, origin: cell, ...filters() })
        return Promise.all(posts.map(async p => view(p, { distance: cellDistanceBucket(decodeGeohash(cell), p.geohash) })))
      }
      const topic = query.topic != null ? formatTopic(parseTopic(query.topic)) : undefined
      const posts = await store.feed({ ...(topic != null ? { topic } : {}), sort, limit, now, ...filters() })
      return Promise.all(posts.map(async p => view(p)))
    },

    async join (topic) {
      const name = formatTopic(parseTopic(topic))
      // post() joins its topics every time: sync only what is newly joined
      const isNew = !gossip.joined().includes(name)
      if (isNew) await store.joinTopic(name)
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

    async syncTopic (topic) {
      const name = formatTopic(parseTopic(topic))
      if (!gossip.joined().includes(name)) throw new BadRequestError(`join ${name} before syncing it`, 'NOT_JOINED')
      return sync.syncTopic(name)
    },

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

  /** What the user chose not to see, applied while a feed is read so that stored posts obey new mutes too. */
  function filters (): { hideAtOrBelow: number, exclude: (post: StoredPost) => boolean } {
    return { hideAtOrBelow: moderation.settings().hideAtOrBelow, exclude: (post) => moderation.isExcluded(post) }
  }

  /** Expired messages go everywhere; a retention shorter than the longest life trims each topic too. */
  async function cleanUp (): Promise<void> {
    const now = Date.now()
    await store.purge(now)
    if (config.retentionMs >= MAX_TTL_MS) return
    for (const topic of gossip.joined()) await store.trim(topic, now - config.retentionMs)
  }

  async function requireStored (id: string): Promise<StoredPost> {
    const post = await store.get(id)
    if (post == null) throw new NotFoundError(`post ${id} was not stored`)
    return post
  }

  return node
}
