/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The Settings view (#/settings): what you mute, the score below which posts are hidden, the
// moderators you follow and what their labels do, your own moderator id and the reports
// addressed to it. Everything is stored by your node; nothing here is sent to anyone else.

import { h, icon, mount } from './dom.js'
import { api, describeError, type ModerationView, type MuteType, type ReportView } from './api.js'
import { pseudonym } from '../post/pseudonym.js'
import { LABELS } from '../post/constants.js'
import { age } from './format.js'
import { toast } from './ui.js'

const ACTIONS = ['none', 'hide', 'warn', 'drop'] as const
const ACTION_HINTS: Record<string, string> = {
  hide: 'hide: left out of your feeds',
  warn: 'warn: shown blurred, with the label',
  drop: 'drop: hidden, and your node stops carrying it for others'
}

export interface SettingsHooks {
  /** the page keeps the threshold to filter what it shows */
  changed(settings: ModerationView): void
  isCurrent(): boolean
}

export function renderSettings (main: HTMLElement, hooks: SettingsHooks): void {
  const body = h('div', { class: 'settings-body', 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading your settings…'))
  mount(main,
    h('header', { class: 'view-head' },
      h('h1', { tabindex: -1 }, icon('shield', 24), 'Settings'),
      h('p', { class: 'sub' }, 'What you see is your choice. These settings stay on your node and are never sent.')),
    body)

  const apply = (settings: ModerationView): void => {
    hooks.changed(settings)
    if (hooks.isCurrent()) draw(settings)
  }
  const attempt = (work: Promise<ModerationView>, done: string): void => {
    work.then(settings => { apply(settings); toast(done, 'success') }, (err) => { toast(describeError(err, 'Not saved'), 'error') })
  }

  function muteSection (type: MuteType, title: string, items: string[], display: (v: string) => string, placeholder: string | null): HTMLElement {
    const id = `mute-${type}`
    const form = placeholder == null
      ? h('p', { class: 'hint' }, 'Mute a pseudonym from its reply in a thread (the Mute button). A pseudonym exists in one thread only.')
      : (() => {
          const input = h('input', { id, type: 'text', placeholder, autocomplete: 'off', maxlength: 100 })
          const f = h('form', { class: 'join-form' },
            h('label', { for: id, class: 'sr-only' }, title), input,
            h('button', { type: 'submit', class: 'button primary' }, 'Mute'))
          f.addEventListener('submit', (event) => {
            event.preventDefault()
            const value = input.value.trim()
            if (value !== '') attempt(api.mute(type, value), `Muted ${display(value)}`)
          })
          return f
        })()
    return h('section', { class: 'panel settings-section' },
      h('h2', null, title),
      items.length === 0
        ? h('p', { class: 'empty-small' }, 'Nothing muted.')
        : h('ul', { class: 'chip-row mutes' }, items.map(v => h('li', { class: 'chip muted' },
          h('span', null, display(v)),
          h('button', { type: 'button', class: 'icon-button small', 'aria-label': `Unmute ${display(v)}`, onclick: () => { attempt(api.unmute(type, v), `Unmuted ${display(v)}`) } }, icon('close', 14))))),
      form)
  }

  function thresholdSection (settings: ModerationView): HTMLElement {
    const input = h('input', { id: 'hide-below', type: 'number', max: 0, step: 1, value: settings.hideAtOrBelow })
    const form = h('form', { class: 'join-form' },
      h('label', { for: 'hide-below', class: 'field-label' }, 'Hide posts at score'), input, h('span', null, 'or lower'),
      h('button', { type: 'submit', class: 'button primary' }, 'Save'))
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      attempt(api.hideAtOrBelow(Number(input.value)), `Posts at score ${input.value} or lower are hidden`)
    })
    return h('section', { class: 'panel settings-section' }, h('h2', null, 'Low scores'), form)
  }

  function moderatorSection (settings: ModerationView): HTMLElement {
    const rows = settings.moderators.map(m => h('li', { class: 'channel-item moderator' },
      h('code', { class: 'mod-id', title: m.id }, `${m.id.slice(0, 12)}…`),
      h('span', { class: 'hint' }, LABELS.map(l => `${l}: ${m.actions[l] ?? 'none'}`).join(' · ')),
      h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Unfollow moderator ${m.id.slice(0, 12)}`, onclick: () => { attempt(api.unfollow(m.id), 'Moderator unfollowed') } }, 'Unfollow')))
    const idInput = h('input', { id: 'mod-id', type: 'text', placeholder: 'moderator id (64 hex characters)', autocomplete: 'off', maxlength: 64, pattern: '[0-9a-f]{64}' })
    const defaults: Record<string, string> = { spam: 'hide', harassment: 'hide', hate: 'hide', nsfw: 'warn' }
    const selects = LABELS.map(label => {
      const select = h('select', { id: `mod-action-${label}`, 'aria-label': `What to do with posts labelled ${label}` },
        ACTIONS.map(a => h('option', { value: a, selected: a === defaults[label] }, a)))
      return { label, select }
    })
    const form = h('form', { class: 'follow-form' },
      h('label', { for: 'mod-id', class: 'field-label' }, 'Follow a moderator'), idInput,
      h('div', { class: 'label-actions' }, selects.map(({ label, select }) => h('label', { class: 'label-action' }, h('span', null, label), select))),
      h('p', { class: 'hint' }, Object.values(ACTION_HINTS).join(' · ')),
      h('button', { type: 'submit', class: 'button primary' }, 'Follow'))
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const lists: Partial<Record<'hide' | 'warn' | 'drop', string[]>> = { hide: [], warn: [], drop: [] }
      for (const { label, select } of selects) if (select.value !== 'none') lists[select.value as 'hide' | 'warn' | 'drop']?.push(label)
      attempt(api.follow(idInput.value.trim().toLowerCase(), lists), 'Following the moderator')
    })
    return h('section', { class: 'panel settings-section' },
      h('h2', null, 'Moderators you follow'),
      h('p', { class: 'hint' }, 'A moderator is just a key that labels posts. Only the moderators you follow change what you see.'),
      rows.length === 0 ? h('p', { class: 'empty-small' }, 'You follow no moderator.') : h('ul', { class: 'channel-list' }, rows),
      form)
  }

  function yourModeratorSection (settings: ModerationView): HTMLElement {
    const list = h('div', { class: 'reports' })
    const load = h('button', { type: 'button', class: 'button subtle' }, 'Show reports addressed to me')
    load.addEventListener('click', () => {
      api.reports().then(reports => { mount(list, reportList(reports)) }, (err) => { toast(describeError(err, 'Could not load reports'), 'error') })
    })
    return h('section', { class: 'panel settings-section' },
      h('h2', null, 'You as a moderator'),
      h('p', { class: 'hint' }, 'Share this id with people who want to follow your labels (label with `murmur label ID spam`). Reports reach you signed by one-off keys: they never say who sent them.'),
      h('code', { class: 'mod-id own', id: 'own-mod-id' }, settings.moderatorId),
      load, list)
  }

  function reportList (reports: ReportView[]): HTMLElement {
    if (reports.length === 0) return h('p', { class: 'empty-small' }, 'No reports yet. Your node now listens for them.')
    return h('ul', { class: 'channel-list' }, reports.map(r => h('li', { class: 'report' },
      h('strong', null, r.reason), ` · ${age(r.createdAt)} · `,
      h('a', { href: `#/post/${r.target}` }, r.post != null ? r.post.text.slice(0, 80) : `${r.target.slice(0, 12)}… (not on this node)`),
      r.note !== '' ? h('p', { class: 'hint' }, r.note) : null)))
  }

  function draw (settings: ModerationView): void {
    body.setAttribute('aria-busy', 'false')
    mount(body,
      muteSection('word', 'Muted words', settings.mutes.words, v => `“${v}”`, 'a word or phrase'),
      muteSection('tag', 'Muted tags', settings.mutes.tags, v => `#${v}`, '#tag'),
      muteSection('pseudonym', 'Muted pseudonyms', settings.mutes.pseudonyms, v => pseudonym(v).name, null),
      thresholdSection(settings),
      moderatorSection(settings),
      yourModeratorSection(settings))
  }

  api.moderation().then(apply, (err) => {
    if (hooks.isCurrent()) mount(body, h('p', { class: 'empty error', role: 'alert' }, describeError(err, 'Could not load your settings')))
  })
}
