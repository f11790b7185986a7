/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The report dialog: why a post is reported, to which moderator (one the user follows, or an
// id pasted in) and an optional note. The node signs the report with a key made for it alone,
// so the dialog says plainly what a report does and does not reveal.

import { h } from './dom.js'

export const REPORT_REASONS = ['spam', 'harassment', 'hate', 'nsfw', 'other'] as const
const MAX_NOTE_CHARS = 280
const MODERATOR_ID = /^[0-9a-f]{64}$/
const OTHER = 'other-moderator'

export interface ReportChoice {
  moderator: string
  reason: string
  note: string
}

/** Resolves with what the user chose, or undefined when they cancel. */
export async function reportDialog (excerpt: string, moderators: string[]): Promise<ReportChoice | undefined> {
  return await new Promise(resolve => {
    const reason = h('select', { id: 'report-reason', required: true },
      REPORT_REASONS.map(r => h('option', { value: r }, r)))
    const choice = h('select', { id: 'report-moderator' },
      moderators.map(id => h('option', { value: id }, `${id.slice(0, 12)}… (followed)`)),
      h('option', { value: OTHER, selected: moderators.length === 0 }, 'another moderator…'))
    const pasted = h('input', { id: 'report-moderator-id', type: 'text', placeholder: 'moderator id (64 hex characters)', autocomplete: 'off', maxlength: 64, pattern: '[0-9a-f]{64}', hidden: moderators.length > 0, required: moderators.length === 0 })
    choice.addEventListener('change', () => {
      pasted.hidden = choice.value !== OTHER
      pasted.required = !pasted.hidden
    })
    const note = h('textarea', { id: 'report-note', rows: 3, maxlength: MAX_NOTE_CHARS, placeholder: 'what the moderator should know (optional)' })
    const send = h('button', { type: 'submit', value: 'send', class: 'button primary' }, 'Send report')
    const cancel = h('button', { type: 'button', class: 'button subtle' }, 'Cancel')
    const form = h('form', { method: 'dialog' },
      h('h2', { id: 'report-title' }, 'Report this murmur'),
      h('p', { class: 'report-excerpt' }, excerpt.length > 120 ? `${excerpt.slice(0, 120)}…` : excerpt),
      h('label', { for: 'report-reason', class: 'field-label' }, 'Why'), reason,
      h('label', { for: 'report-moderator', class: 'field-label' }, 'To the moderator'), choice, pasted,
      h('label', { for: 'report-note', class: 'field-label' }, 'Note'), note,
      h('p', { class: 'hint' }, 'The report is signed by a key made for it alone: it does not say who sent it, and it does not hide the post. The moderator may label it, and what their labels do is up to each person who follows them.'),
      h('footer', { class: 'dialog-foot' }, cancel, send))
    const dialog = h('dialog', { class: 'confirm report-dialog', 'aria-labelledby': 'report-title' }, form)
    cancel.addEventListener('click', () => { dialog.close('cancel') })
    dialog.addEventListener('close', () => {
      const moderator = choice.value === OTHER ? pasted.value.trim().toLowerCase() : choice.value
      resolve(dialog.returnValue === 'send' && MODERATOR_ID.test(moderator)
        ? { moderator, reason: reason.value, note: note.value.trim() }
        : undefined)
      dialog.remove()
    })
    document.body.appendChild(dialog)
    dialog.showModal()
    reason.focus()
  })
}
