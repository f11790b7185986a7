/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// A post as a card (generated art behind its text, tags, coarse place, age, score, replies)
// and a reply as a row with its thread pseudonym. Counters update in place.

import { h, icon } from './dom.js'
import { avatar, cardArt } from './art.js'
import { age, ageLong, cellSize, plural } from './format.js'
import type { PostView } from './api.js'

export interface CardActions {
  react(post: PostView, value: 1 | -1, button: HTMLButtonElement): void
  remove(post: PostView): void
  /** mutes the pseudonym of a reply, in its thread */
  mute?(post: PostView): void
  /** reports a post or reply to a moderator */
  report?(post: PostView): void
}

/**
 * A followed moderator's `warn` labels: the text is blurred behind a button naming them, and
 * shown when the reader asks. The node decides which labels warn; the page only shows it.
 */
function warning (post: PostView): HTMLElement | null {
  if (post.warnings == null || post.warnings.length === 0) return null
  const button = h('button', {
    type: 'button',
    class: 'button subtle small reveal',
    onclick: (event: Event) => {
      const holder = (event.currentTarget as HTMLElement).closest('.warned')
      holder?.classList.remove('warned')
      ;(event.currentTarget as HTMLElement).remove()
    }
  }, icon('shield', 14), ` Labelled ${post.warnings.join(', ')}: show`)
  return button
}

function textSize (text: string): string {
  const n = [...text].length
  return n <= 60 ? 'xl' : n <= 140 ? 'lg' : n <= 320 ? 'md' : 'sm'
}

function timeOf (createdAt: number): HTMLTimeElement {
  const date = new Date(createdAt)
  return h('time', {
    class: 'age',
    datetime: date.toISOString(),
    title: date.toLocaleString(),
    'data-created': createdAt,
    'aria-label': ageLong(createdAt)
  }, age(createdAt))
}

function place (post: PostView): HTMLElement | null {
  if (post.geohash === '' && post.distance == null) return null
  const size = cellSize(post.geohash)
  const label = post.distance != null ? post.distance : `${size} area`
  const title = post.geohash !== ''
    ? `Posted from somewhere in a ${size.replace('≈ ', '')} area (geohash ${post.geohash}). Only this coarse cell is ever shared.`
    : 'Coarse distance only'
  return h('span', { class: 'place', title, 'aria-label': post.distance != null ? `Distance ${post.distance}` : `Posted from a ${size.replace('≈ ', 'roughly ')} area` },
    icon('pin', 14), label)
}

function votes (post: PostView, actions: CardActions, small = false): HTMLElement {
  const up = h('button', {
    type: 'button',
    class: 'vote up',
    'aria-label': 'Like',
    'aria-pressed': String(post.myReaction === 1),
    title: 'Like',
    onclick: () => { actions.react(post, 1, up) }
  }, icon('up', small ? 16 : 18))
  const down = h('button', {
    type: 'button',
    class: 'vote down',
    'aria-label': 'Dislike',
    'aria-pressed': String(post.myReaction === -1),
    title: 'Dislike',
    onclick: () => { actions.react(post, -1, down) }
  }, icon('down', small ? 16 : 18))
  return h('div', { class: `votes${small ? ' small' : ''}`, role: 'group', 'aria-label': 'Votes' },
    up,
    h('span', { class: 'score', 'aria-live': 'polite', 'aria-label': `Score ${post.score}` }, String(post.score)),
    down
  )
}

/** Someone else's post or reply: a report button, when the page offers reporting. */
function reportButton (post: PostView, actions: CardActions): HTMLElement | null {
  if (post.isMine || actions.report == null) return null
  return h('button', {
    type: 'button',
    class: 'icon-button report',
    'aria-label': post.kind === 'reply' ? 'Report this reply' : 'Report this murmur',
    title: 'Report to a moderator',
    onclick: () => { actions.report?.(post) }
  }, icon('flag', 17))
}

function deleteButton (post: PostView, actions: CardActions): HTMLElement {
  return h('button', {
    type: 'button',
    class: 'icon-button danger delete',
    'aria-label': post.kind === 'reply' ? 'Delete your reply' : 'Delete your murmur',
    title: 'Delete',
    onclick: () => { actions.remove(post) }
  }, icon('trash', 17))
}

export function postCard (post: PostView, actions: CardActions, options: { full?: boolean } = {}): HTMLElement {
  const textId = `text-${post.id.slice(0, 16)}-${Math.random().toString(36).slice(2, 7)}`
  const face = options.full === true
    ? h('div', { class: 'card-face' }, cardArt(post.id), h('p', { class: `card-text size-${textSize(post.text)}`, id: textId }, post.text))
    : h('a', { class: 'card-face', href: `#/post/${post.id}`, 'aria-label': `Open thread: ${post.text.slice(0, 80)}` },
      cardArt(post.id),
      h('p', { class: `card-text size-${textSize(post.text)}`, id: textId }, post.text))

  const tags = post.tags.map(tag => h('a', { class: 'tag', href: `#/tag/${encodeURIComponent(tag)}` }, `#${tag}`))
  return h('article', {
    class: `card${options.full === true ? ' full' : ''}${post.isMine ? ' mine' : ''}${post.warnings != null ? ' warned' : ''}`,
    'data-id': post.id,
    'data-root': post.root !== '' ? post.root : post.id,
    'aria-labelledby': textId
  },
  face,
  warning(post),
  h('div', { class: 'card-bar' },
    h('div', { class: 'card-info' },
      tags.length > 0 ? h('span', { class: 'tags' }, tags) : null,
      place(post),
      timeOf(post.createdAt),
      post.isMine ? h('span', { class: 'badge you', title: 'You posted this' }, 'You') : null
    ),
    h('div', { class: 'card-actions' },
      votes(post, actions),
      h('a', {
        class: 'replies-link',
        href: `#/post/${post.id}`,
        'aria-label': `${plural(post.replies, 'reply', 'replies')}, open the thread`
      }, icon('reply', 17), h('span', { class: 'reply-count' }, String(post.replies))),
      post.isMine ? deleteButton(post, actions) : reportButton(post, actions)
    )
  ))
}

/** The pseudonym's colour as a CSS variable (the stylesheet lightens it on dark backgrounds). */
export function whoStyle (color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `--who:${color}` : ''
}

export function replyRow (reply: PostView, actions: CardActions): HTMLElement {
  const textId = `reply-${reply.id.slice(0, 16)}`
  return h('li', {
    class: `reply${reply.isMine ? ' mine' : ''}${reply.warnings != null ? ' warned' : ''}`,
    'data-id': reply.id,
    'data-root': reply.root,
    'aria-labelledby': textId
  },
  avatar(reply.author, reply.authorColor),
  h('div', { class: 'reply-main' },
    h('div', { class: 'reply-head' },
      h('span', { class: 'who', style: whoStyle(reply.authorColor) }, reply.author),
      reply.isOp ? h('span', { class: 'badge op', title: 'Original poster', 'aria-label': 'original poster' }, 'OP') : null,
      reply.isMine ? h('span', { class: 'badge you', title: 'You wrote this' }, 'You') : null,
      timeOf(reply.createdAt)
    ),
    h('p', { class: 'reply-text', id: textId }, reply.text),
    warning(reply),
    h('div', { class: 'reply-actions' },
      votes(reply, actions, true),
      reply.isMine ? deleteButton(reply, actions) : reportButton(reply, actions),
      !reply.isMine && actions.mute != null
        ? h('button', { type: 'button', class: 'button subtle small mute', title: 'Hide this pseudonym in this thread', onclick: () => { actions.mute?.(reply) } }, 'Mute')
        : null
    )
  )
  )
}

/** Brings every card or row of this post on the page up to date. */
export function updateCounters (post: PostView): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-id="${CSS.escape(post.id)}"]`)) {
    const score = el.querySelector<HTMLElement>(':scope .score')
    if (score != null) {
      score.textContent = String(post.score)
      score.setAttribute('aria-label', `Score ${post.score}`)
    }
    el.querySelector(':scope .vote.up')?.setAttribute('aria-pressed', String(post.myReaction === 1))
    el.querySelector(':scope .vote.down')?.setAttribute('aria-pressed', String(post.myReaction === -1))
    const replies = el.querySelector<HTMLElement>(':scope .reply-count')
    if (replies != null) {
      replies.textContent = String(post.replies)
      replies.parentElement?.setAttribute('aria-label', `${plural(post.replies, 'reply', 'replies')}, open the thread`)
    }
  }
}

/** Refreshes the "5m" labels. */
export function refreshAges (root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('time.age[data-created]')) {
    const created = Number(el.dataset.created)
    el.textContent = age(created)
    el.setAttribute('aria-label', ageLong(created))
  }
}
