// The user's moderation actions on the node: mutes and threshold, following moderators (and
// their topics), labelling as this node's moderator key, reporting with a one-off key, and
// reading the reports addressed to this node.

import { bytesToHex } from '@noble/hashes/utils.js'
import { BadRequestError } from '../errors.js'
import { checkFollow, checkLabel, checkModeratorId, checkReason, checkMuteType } from '../moderation/index.js'
import { MAX_LABEL_TARGETS, MAX_REPORT_NOTE_CHARS, MAX_TTL_MS, moderatorKey, oneOffKey } from '../post/index.js'
import type { Moderation, MuteType } from '../moderation/index.js'
import type { Message } from '../post/model.js'
import type { MessageInput } from '../post/index.js'
import type { PostStore, StoredPost } from '../store/index.js'
import type { PostView } from './views.js'
import type { LabelView, ModerationView, MurmurNode, ReportInput, ReportView, SentReport } from './types.js'

export interface ModerateInit {
  store: PostStore
  moderation: Moderation
  master: Uint8Array
  /** builds, mines and signs a message (the node's pipeline) */
  author(input: MessageInput, secretKey: Uint8Array): Promise<Message>
  /** stores the node's own message durably and gossips it; resolves to the peers it was sent to */
  publish(message: Message): Promise<number>
  requirePost(id: string): Promise<StoredPost>
  view(post: StoredPost): Promise<PostView>
  join(topic: string): Promise<string>
  leave(topic: string): Promise<string>
  joined(): string[]
}

export type ModerateActions = Pick<MurmurNode,
'moderationSettings' | 'mute' | 'unmute' | 'setHideAtOrBelow' | 'followModerator' | 'unfollowModerator' | 'label' | 'report' | 'reports'>

const HEX_ID = /^[0-9a-f]{64}$/

export function createModerateActions (init: ModerateInit): ModerateActions {
  const { store, moderation } = init
  const modKey = moderatorKey(init.master)
  const moderatorId = bytesToHex(modKey.publicKey)
  const ownTopic = `mod:${moderatorId}`

  const settings = (): ModerationView => ({ moderatorId, ...moderation.settings() })

  /** A pseudonym is named by one of its messages' ids, or by its key when that id is not here. */
  async function pseudonymKey (value: string, muted: readonly string[]): Promise<string> {
    if (typeof value !== 'string' || !HEX_ID.test(value)) throw new BadRequestError('mute a pseudonym by the id of one of its posts or replies', 'BAD_MUTE')
    if (muted.includes(value)) return value
    const message = await store.get(value)
    if (message != null) return message.author
    throw new BadRequestError(`no post or reply ${value} on this node`, 'NOT_FOUND')
  }

  async function muteValue (type: MuteType, value: string): Promise<string> {
    checkMuteType(type)
    return type === 'pseudonym' ? pseudonymKey(value, moderation.settings().mutes.pseudonyms) : value
  }

  return {
    moderationSettings: settings,

    async mute (type, value) {
      await moderation.mute(type, await muteValue(type, value))
      return settings()
    },

    async unmute (type, value) {
      await moderation.unmute(type, await muteValue(type, value))
      return settings()
    },

    async setHideAtOrBelow (value) {
      await moderation.setHideAtOrBelow(value)
      return settings()
    },

    async followModerator (input) {
      const entry = checkFollow(input)
      await moderation.follow(entry)
      // its labels travel on its topic: joining it also syncs the labels published before
      await init.join(`mod:${entry.id}`)
      return settings()
    },

    async unfollowModerator (id) {
      checkModeratorId(id)
      await moderation.unfollow(id)
      if (moderation.followed().includes(id)) {
        throw new BadRequestError('this moderator is followed in the config file (moderators): remove it there', 'CONFIGURED_MODERATOR')
      }
      // this node's own topic stays: it carries the reports addressed to it
      if (id !== moderatorId && init.joined().includes(`mod:${id}`)) await init.leave(`mod:${id}`)
      return settings()
    },

    async label (targets, label): Promise<LabelView> {
      if (!Array.isArray(targets) || targets.length < 1 || targets.length > MAX_LABEL_TARGETS) {
        throw new BadRequestError(`label 1 to ${MAX_LABEL_TARGETS} post ids at once`, 'BAD_TARGETS')
      }
      const ids = [...new Set(targets)]
      if (!ids.every(id => typeof id === 'string' && HEX_ID.test(id))) throw new BadRequestError('a post id is 64 lower-case hex characters', 'BAD_ID')
      const word = checkLabel(label, true)
      // joined first, so the label is stored under a topic this node serves to sync
      await init.join(ownTopic)
      const createdAt = Date.now()
      const message = await init.author({
        kind: 'label', targets: ids, label: word, createdAt, expiresAt: createdAt + MAX_TTL_MS
      }, modKey.secretKey)
      await init.publish(message)
      // stored is not yet shown: the page the user loads next should carry it
      await init.moderation.applied(message.id)
      return { id: message.id, targets: message.targets, label: message.label, moderator: moderatorId, createdAt: message.createdAt, expiresAt: message.expiresAt }
    },

    async report (id, input: ReportInput): Promise<SentReport> {
      const target = await init.requirePost(id)
      const moderator = checkModeratorId(input?.moderator)
      const reason = checkReason(input?.reason)
      const note = input?.note ?? ''
      if (typeof note !== 'string' || [...note].length > MAX_REPORT_NOTE_CHARS) {
        throw new BadRequestError(`a report's note is a string of at most ${MAX_REPORT_NOTE_CHARS} characters`, 'BAD_TEXT')
      }
      // a key made for this report and forgotten: nothing in it links to this user, or to their other reports
      const key = oneOffKey()
      const message = await init.author({
        kind: 'report', targets: [target.id], label: reason, moderator, text: note, createdAt: Date.now(), expiresAt: target.expiresAt
      }, key.secretKey)
      key.secretKey.fill(0)
      const recipients = await init.publish(message)
      return { id: message.id, target: target.id, moderator, reason, recipients }
    },

    async reports (): Promise<ReportView[]> {
      if (!init.joined().includes(ownTopic)) await init.join(ownTopic)
      const messages = await store.moderationLog(moderatorId, { kind: 'report', now: Date.now() })
      return Promise.all(messages.map(async (m): Promise<ReportView> => {
        const target = m.targets[0]
        const post = await store.get(target)
        return {
          id: m.id,
          target,
          reason: m.label,
          note: m.text,
          createdAt: m.createdAt,
          expiresAt: m.expiresAt,
          reporter: m.author,
          ...(post != null && (post.kind === 'post' || post.kind === 'reply') ? { post: await init.view(post) } : {})
        }
      }))
    }
  }
}
