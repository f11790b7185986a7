// The user's moderation choices as data, and the pure rules over them: whole-word mutes after
// NFKC, what each followed moderator's labels do (hide, warn, drop), and checking input.

import { BadRequestError } from '../errors.js'
import { normalizeTag } from '../geo/tags.js'
import { LABELS, REPORT_REASONS } from '../post/constants.js'
import { HIDE_SCORE_THRESHOLD } from '../ranking/index.js'

export type Label = typeof LABELS[number]
export type ReportReason = typeof REPORT_REASONS[number]
/**
 * hide: left out of feeds and threads on this node; warn: shown with a warning; drop: not
 * relayed either: refused on gossip and sync, and removed from this node's store.
 */
export type LabelAction = 'hide' | 'warn' | 'drop'
export type MuteType = 'word' | 'tag' | 'pseudonym'

export interface FollowedModerator {
  /** the moderator's 64-hex public key */
  id: string
  /** what each label of this moderator does here; a label not listed does nothing */
  actions: Partial<Record<Label, LabelAction>>
}

export interface Mutes {
  /** normalised words or phrases (see normalizeWords) */
  words: string[]
  /** normalised tags */
  tags: string[]
  /** hex author keys: a key is one pseudonym in one thread, so muting it hides that author there only */
  pseudonyms: string[]
}

export interface ModerationSettings {
  mutes: Mutes
  /** posts whose score is at or below this are hidden */
  hideAtOrBelow: number
  moderators: FollowedModerator[]
}

/** Following a moderator without saying more: hide what it calls spam, harassment or hate, warn on nsfw. */
export const DEFAULT_ACTIONS: Readonly<Record<Label, LabelAction>> = { spam: 'hide', harassment: 'hide', hate: 'hide', nsfw: 'warn' }

export const MAX_MUTES = 1000
export const MAX_MUTE_CHARS = 100
export const MAX_MODERATORS = 100

export function emptySettings (): ModerationSettings {
  return { mutes: { words: [], tags: [], pseudonyms: [] }, hideAtOrBelow: HIDE_SCORE_THRESHOLD, moderators: [] }
}

const WORD = /[\p{L}\p{M}\p{N}_]+/gu
const HEX_KEY = /^[0-9a-f]{64}$/

/** The words of a text as mutes compare them: NFKC, lower case, NFKC again, split on anything not a letter, mark, digit or `_`. */
export function words (text: string): string[] {
  return text.normalize('NFKC').toLowerCase().normalize('NFKC').match(WORD) ?? []
}

/** A mute as stored: its words joined by one space. Refuses a mute with no word in it. */
export function normalizeMuteWord (value: string): string {
  if (typeof value !== 'string' || [...value].length > MAX_MUTE_CHARS) throw new BadRequestError(`a muted word is a string of at most ${MAX_MUTE_CHARS} characters`, 'BAD_MUTE')
  const parts = words(value)
  if (parts.length === 0) throw new BadRequestError('a muted word needs at least one letter or digit', 'BAD_MUTE')
  return parts.join(' ')
}

/**
 * Whether a text holds a muted word or phrase as whole words: "cat" mutes "Cat!" and "#cat"
 * but not "category"; "bad day" mutes "a BAD  day" but not "bad days".
 */
export function hasMutedWord (text: string, muted: readonly string[]): boolean {
  if (muted.length === 0) return false
  const padded = ` ${words(text).join(' ')} `
  return muted.some(m => padded.includes(` ${m} `))
}

export function isModeratorId (value: unknown): value is string {
  return typeof value === 'string' && HEX_KEY.test(value)
}

export function checkModeratorId (value: unknown): string {
  if (!isModeratorId(value)) throw new BadRequestError('a moderator id is 64 lower-case hex characters (its public key)', 'BAD_MODERATOR')
  return value
}

export function isLabel (value: unknown): value is Label {
  return typeof value === 'string' && (LABELS as readonly string[]).includes(value)
}

export function checkLabel (value: unknown, allowClear = false): Label | 'clear' {
  if (allowClear && value === 'clear') return 'clear'
  if (!isLabel(value)) throw new BadRequestError(`a label is one of ${[...LABELS, ...(allowClear ? ['clear'] : [])].join(', ')}`, 'BAD_LABEL')
  return value
}

export function checkReason (value: unknown): ReportReason {
  if (typeof value !== 'string' || !(REPORT_REASONS as readonly string[]).includes(value)) {
    throw new BadRequestError(`a report's reason is one of ${REPORT_REASONS.join(', ')}`, 'BAD_REASON')
  }
  return value as ReportReason
}

/**
 * Actions from lists of labels per action (`{ hide: ['spam'], drop: ['hate'] }`). With no list
 * at all, the defaults. A label in two lists is refused: the user must say which they mean.
 */
export function actionsFrom (lists: Partial<Record<LabelAction, unknown>>): Partial<Record<Label, LabelAction>> {
  const given = (['hide', 'warn', 'drop'] as const).filter(a => lists[a] != null)
  if (given.length === 0) return { ...DEFAULT_ACTIONS }
  const actions: Partial<Record<Label, LabelAction>> = {}
  for (const action of given) {
    const labels = lists[action]
    if (!Array.isArray(labels)) throw new BadRequestError(`${action} must be a list of labels`, 'BAD_LABEL')
    for (const label of labels) {
      const l = checkLabel(label) as Label
      if (actions[l] != null && actions[l] !== action) throw new BadRequestError(`label ${l} is given two actions`, 'BAD_LABEL')
      actions[l] = action
    }
  }
  return actions
}

/** The strongest action among a post's labels: drop over hide over warn. */
export function strongest (actions: Iterable<LabelAction>): LabelAction | undefined {
  let best: LabelAction | undefined
  for (const a of actions) {
    if (a === 'drop') return 'drop'
    if (a === 'hide') best = 'hide'
    else best ??= a
  }
  return best
}

/** Normalises a mute of a given type; a pseudonym is an author key (the node resolves a post id into one). */
export function normalizeMute (type: MuteType, value: string): string {
  switch (type) {
    case 'word': return normalizeMuteWord(value)
    case 'tag': return normalizeTag(value)
    case 'pseudonym':
      if (!HEX_KEY.test(value)) throw new BadRequestError('a muted pseudonym is an author key (64 hex characters)', 'BAD_MUTE')
      return value
  }
}

export function checkMuteType (value: unknown): MuteType {
  if (value !== 'word' && value !== 'tag' && value !== 'pseudonym') throw new BadRequestError('a mute is of type word, tag or pseudonym', 'BAD_MUTE')
  return value
}

export function checkHideAtOrBelow (value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -1_000_000 || value > 0) {
    throw new BadRequestError('the hiding threshold is a whole number from -1000000 to 0', 'BAD_THRESHOLD')
  }
  return value
}

/** Settings read back from the store, or written by hand in a config: anything malformed is refused, not half-used. */
export function checkSettings (value: unknown): ModerationSettings {
  const out = emptySettings()
  if (value == null || typeof value !== 'object') return out
  const v = value as Partial<ModerationSettings>
  if (v.mutes != null) {
    out.mutes.words = (v.mutes.words ?? []).map(normalizeMuteWord)
    out.mutes.tags = (v.mutes.tags ?? []).map(t => normalizeTag(t))
    out.mutes.pseudonyms = (v.mutes.pseudonyms ?? []).map(p => normalizeMute('pseudonym', p))
  }
  if (v.hideAtOrBelow != null) out.hideAtOrBelow = checkHideAtOrBelow(v.hideAtOrBelow)
  out.moderators = (v.moderators ?? []).map(checkFollow)
  return out
}

/** A followed moderator as configured: `{ id, hide?, warn?, drop? }` (lists of labels) or as stored, `{ id, actions }`. */
export function checkFollow (value: unknown): FollowedModerator {
  if (value == null || typeof value !== 'object') throw new BadRequestError('a followed moderator is an object with an id', 'BAD_MODERATOR')
  const v = value as Record<string, unknown>
  const id = checkModeratorId(v.id)
  if (v.actions != null && typeof v.actions === 'object') {
    const actions: Partial<Record<Label, LabelAction>> = {}
    for (const [label, action] of Object.entries(v.actions as Record<string, unknown>)) {
      if (action !== 'hide' && action !== 'warn' && action !== 'drop') throw new BadRequestError(`unknown action ${String(action)}`, 'BAD_ACTION')
      actions[checkLabel(label) as Label] = action
    }
    return { id, actions }
  }
  return { id, actions: actionsFrom({ hide: v.hide, warn: v.warn, drop: v.drop }) }
}
