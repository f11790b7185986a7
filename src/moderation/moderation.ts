// The node's moderation state: the user's mutes, hiding threshold and followed moderators
// (persisted in the store's settings), and the labels of followed moderators held in memory,
// so that feeds can filter at read time and gossip and sync can refuse dropped posts cheaply.

import { BadRequestError } from '../errors.js'
import { CLEAR_LABEL } from '../post/constants.js'
import {
  MAX_MODERATORS, MAX_MUTES, checkFollow, checkHideAtOrBelow, checkSettings, emptySettings, hasMutedWord, isLabel,
  normalizeMute, strongest
} from './rules.js'
import type { FollowedModerator, Label, LabelAction, ModerationSettings, MuteType, Mutes } from './rules.js'
import type { Message } from '../post/model.js'
import type { LabelRecord, PostStore, StoredPost } from '../store/index.js'
import type { Logger } from '@libp2p/interface'

/** The store setting the user's choices live under. */
export const SETTINGS_KEY = 'moderation'

export interface Moderation {
  /** Loads the settings and the labels of followed moderators; drops what they already label `drop`. */
  start(): Promise<void>
  settings(): ModerationSettings
  mute(type: MuteType, value: string): Promise<Mutes>
  unmute(type: MuteType, value: string): Promise<Mutes>
  setHideAtOrBelow(value: number): Promise<number>
  /** Follows a moderator, or changes what its labels do. */
  follow(moderator: FollowedModerator): Promise<FollowedModerator>
  /** Returns whether it was followed. */
  unfollow(id: string): Promise<boolean>
  /** Ids of the followed moderators, configured ones included. */
  followed(): string[]
  /** Whether a stored post or reply is left out of what the user reads: muted, or labelled `hide`/`drop`. */
  isExcluded(post: StoredPost): boolean
  /** The labels shown as a warning on a post (those a followed moderator gave it whose action is `warn`). */
  warnings(id: string): string[]
  /** Refuses (with a code) a message that a followed moderator labels `drop`, or that belongs to such a post. */
  admit(message: Message): string | undefined
  /** A newly stored message: a label updates what is known and may drop its targets. */
  onStored(message: Message): Promise<void>
  /**
   * Resolves once `onStored` has applied this message (at once if it is not applying it), so
   * that a label the user just gave shows on the next page they load. Never rejects: a failure
   * is onStored's to report.
   */
  applied(id: string): Promise<void>
  /** How many posts and replies this node dropped since it started. */
  droppedCount(): number
}

export interface ModerationInit {
  store: PostStore
  /** followed moderators from the config file: applied at every start, not stored */
  configured?: FollowedModerator[]
  log?: Logger
}

export function createModeration ({ store, configured = [], log }: ModerationInit): Moderation {
  let settings = emptySettings()
  // target id → followed moderator → its latest label ('clear' entries are not kept)
  const labels = new Map<string, Map<string, Label>>()
  // label message id → its onStored, while it runs
  const applying = new Map<string, Promise<void>>()
  let dropped = 0

  function follows (): Map<string, FollowedModerator> {
    // the user's own choice over the config's, so the API can change a configured moderator's actions
    return new Map([...configured, ...settings.moderators].map(m => [m.id, m]))
  }
  let followMap = follows()

  async function save (): Promise<void> {
    await store.setSetting(SETTINGS_KEY, settings)
    followMap = follows()
  }

  function remember (record: LabelRecord): void {
    if (!followMap.has(record.moderator)) return
    let byModerator = labels.get(record.target)
    if (record.label === CLEAR_LABEL || !isLabel(record.label)) {
      byModerator?.delete(record.moderator)
      if (byModerator?.size === 0) labels.delete(record.target)
      return
    }
    if (byModerator == null) {
      byModerator = new Map()
      labels.set(record.target, byModerator)
    }
    byModerator.set(record.moderator, record.label)
  }

  function actionsOn (id: string): LabelAction[] {
    const byModerator = labels.get(id)
    if (byModerator == null) return []
    const out: LabelAction[] = []
    for (const [moderator, label] of byModerator) {
      const action = followMap.get(moderator)?.actions[label]
      if (action != null) out.push(action)
    }
    return out
  }

  function actionOn (id: string): LabelAction | undefined {
    return strongest(actionsOn(id))
  }

  /** Removes from the store the given ids that a followed moderator labels `drop`. */
  async function dropLabelled (ids: Iterable<string>): Promise<void> {
    const doomed = [...ids].filter(id => actionOn(id) === 'drop')
    if (doomed.length === 0) return
    const removed = await store.drop(doomed)
    dropped += removed.length
    if (removed.length > 0) log?.('dropped %d labelled posts', removed.length)
  }

  async function loadLabels (moderator?: string): Promise<void> {
    for await (const record of store.allLabels()) {
      if (moderator === undefined || record.moderator === moderator) remember(record)
    }
  }

  return {
    async start () {
      try {
        settings = checkSettings(await store.getSetting(SETTINGS_KEY))
      } catch (err: any) {
        // never refuse to start over a bad setting: say so, and start from the defaults
        log?.error('moderation settings unreadable, using defaults - %e', err)
        settings = emptySettings()
      }
      followMap = follows()
      labels.clear()
      await loadLabels()
      await dropLabelled(labels.keys())
    },

    settings: () => structuredClone({ ...settings, moderators: [...followMap.values()] }),

    async mute (type, value) {
      const normal = normalizeMute(type, value)
      const list = settings.mutes[`${type}s`]
      if (!list.includes(normal)) {
        if (list.length >= MAX_MUTES) throw new BadRequestError(`at most ${MAX_MUTES} muted ${type}s`, 'TOO_MANY_MUTES')
        list.push(normal)
        await save()
      }
      return structuredClone(settings.mutes)
    },

    async unmute (type, value) {
      const normal = normalizeMute(type, value)
      const list = settings.mutes[`${type}s`]
      const at = list.indexOf(normal)
      if (at >= 0) {
        list.splice(at, 1)
        await save()
      }
      return structuredClone(settings.mutes)
    },

    async setHideAtOrBelow (value) {
      settings.hideAtOrBelow = checkHideAtOrBelow(value)
      await save()
      return settings.hideAtOrBelow
    },

    async follow (moderator) {
      const entry = checkFollow(moderator)
      const others = settings.moderators.filter(m => m.id !== entry.id)
      if (others.length >= MAX_MODERATORS) throw new BadRequestError(`at most ${MAX_MODERATORS} moderators`, 'TOO_MANY_MODERATORS')
      settings.moderators = [...others, entry]
      await save()
      await loadLabels(entry.id)
      await dropLabelled(labels.keys())
      return entry
    },

    async unfollow (id) {
      const had = settings.moderators.some(m => m.id === id)
      settings.moderators = settings.moderators.filter(m => m.id !== id)
      if (had) await save()
      if (!followMap.has(id)) {
        for (const [target, byModerator] of labels) {
          byModerator.delete(id)
          if (byModerator.size === 0) labels.delete(target)
        }
      }
      return had
    },

    followed: () => [...followMap.keys()],

    isExcluded (post) {
      const { mutes } = settings
      if (mutes.pseudonyms.includes(post.author)) return true
      if (post.tags.some(t => mutes.tags.includes(t))) return true
      if (hasMutedWord(post.text, mutes.words)) return true
      // a thread opened by id still shows its replies: only feeds leave a hidden root out
      const action = actionOn(post.id)
      return action === 'hide' || action === 'drop'
    },

    warnings (id) {
      const byModerator = labels.get(id)
      if (byModerator == null) return []
      const out = new Set<string>()
      for (const [moderator, label] of byModerator) {
        if (followMap.get(moderator)?.actions[label] === 'warn') out.add(label)
      }
      return [...out].sort()
    },

    admit (message) {
      const refs = message.kind === 'label' || message.kind === 'report' ? [] : [message.id, message.parent, message.root]
      if (!refs.some(id => id !== '' && actionOn(id) === 'drop')) return undefined
      // remembered as deleted, so sync does not fetch it again at every round
      if (message.kind === 'post' || message.kind === 'reply') {
        store.tombstone([message]).catch(err => { log?.error('could not tombstone dropped %s - %e', message.id, err) })
      }
      return 'DROPPED'
    },

    async onStored (message) {
      if (message.kind !== 'label' || !followMap.has(message.author)) return
      const done = (async () => {
        // the store keeps each moderator's latest label per target: read that back, not this message
        for (const record of await store.labelsOf(message.targets)) {
          if (record.moderator === message.author) remember(record)
        }
        await dropLabelled(message.targets)
      })()
      applying.set(message.id, done)
      try {
        await done
      } finally {
        if (applying.get(message.id) === done) applying.delete(message.id)
      }
    },

    async applied (id) {
      await applying.get(id)?.catch(() => {})
    },

    droppedCount: () => dropped
  }
}
