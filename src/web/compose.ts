/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The compose dialog: text with a character counter, tags from #hashtags and suggested from
// the words, and an optional place — the user's cell at a precision they pick, never a point.

import { h, icon, mount } from './dom.js'
import { api, describeError, type PostView } from './api.js'
import { extractHashtags, normalizeTag, suggestTags } from '../geo/tags.js'
import { MAX_TAGS, MAX_TEXT_CHARS } from '../post/constants.js'
import { PRECISIONS, cellSize, isPrecision, type Precision } from './format.js'
import { currentCell, locate, precision, setPrecision } from './location.js'

export function charCount (text: string): number {
  return [...text].length
}

export interface ComposeOptions {
  /** tags to start with, e.g. the channel being read */
  tags?: string[]
  /** start with "add my area" on (Near me) */
  withPlace?: boolean
  onPosted(post: PostView): void
}

export function createComposer (): { open(options: ComposeOptions): void } {
  const text = h('textarea', {
    id: 'compose-text',
    rows: 5,
    placeholder: 'Say something. Nobody will know it was you.',
    'aria-describedby': 'compose-count compose-privacy',
    autocomplete: 'off'
  })
  const count = h('span', { id: 'compose-count', class: 'counter', 'aria-live': 'polite' }, `0 / ${MAX_TEXT_CHARS}`)
  const chosen = h('div', { class: 'chip-row', id: 'compose-tags', 'aria-label': 'Tags on this murmur' })
  const suggested = h('div', { class: 'chip-row suggestions', id: 'compose-suggestions', 'aria-label': 'Suggested tags' })
  const tagInput = h('input', { id: 'compose-tag', type: 'text', placeholder: 'Add a #tag', autocomplete: 'off', 'aria-label': 'Add a tag', maxlength: 40 })
  const placeBox = h('input', { type: 'checkbox', id: 'compose-place' })
  const placePrecision = h('select', { id: 'compose-precision', 'aria-label': 'How precise a place to share' },
    PRECISIONS.map(p => h('option', { value: p.value }, `${p.label} (${p.hint})`)))
  const placeNote = h('p', { class: 'hint', id: 'compose-place-note' })
  const error = h('p', { class: 'form-error', role: 'alert', id: 'compose-error' })
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'compose-submit' }, 'Post')
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: () => { dialog.close() } }, icon('close', 20))

  let manual: string[] = []
  let removed = new Set<string>()
  let onPosted: (post: PostView) => void = () => {}
  let busy = false

  const form = h('form', { class: 'compose', method: 'dialog', novalidate: true },
    h('header', { class: 'dialog-head' }, h('h2', { id: 'compose-title' }, 'New murmur'), close),
    h('label', { for: 'compose-text', class: 'sr-only' }, 'Your murmur'),
    text,
    h('div', { class: 'compose-meta' },
      h('span', { class: 'hint', id: 'compose-privacy' }, icon('shield', 14), ' Posted without a name. Replies see a pseudonym made for this thread only.'),
      count
    ),
    h('div', { class: 'field' },
      h('span', { class: 'field-label' }, 'Tags'),
      chosen,
      h('div', { class: 'tag-add' }, tagInput, h('button', { type: 'button', class: 'button subtle', onclick: () => { addManual() } }, 'Add')),
      suggested
    ),
    h('div', { class: 'field place-field' },
      h('label', { class: 'switch', for: 'compose-place' }, placeBox, h('span', null, 'Add my area')),
      placePrecision,
      placeNote
    ),
    error,
    h('footer', { class: 'dialog-foot' },
      h('span', { class: 'hint' }, 'Your node solves a small proof of work before sending.'),
      submit
    )
  )
  const dialog = h('dialog', { id: 'compose', 'aria-labelledby': 'compose-title' }, form)
  document.body.appendChild(dialog)

  function tags (): string[] {
    const all = [...extractHashtags(text.value), ...manual].filter(t => !removed.has(t))
    return [...new Set(all)]
  }

  function render (): void {
    const n = charCount(text.value)
    count.textContent = `${n} / ${MAX_TEXT_CHARS}`
    count.classList.toggle('over', n > MAX_TEXT_CHARS)
    count.classList.toggle('near', n > MAX_TEXT_CHARS * 0.9 && n <= MAX_TEXT_CHARS)
    const current = tags()
    mount(chosen, current.length === 0
      ? h('span', { class: 'hint' }, 'Write a #hashtag or pick one below.')
      : current.map(tag => h('button', {
        type: 'button',
        class: 'chip selected',
        'aria-label': `Remove tag ${tag}`,
        onclick: () => { removed.add(tag); manual = manual.filter(t => t !== tag); render() }
      }, `#${tag}`, icon('close', 12))))
    const ideas = suggestTags(text.value, 4).filter(t => !current.includes(t))
    mount(suggested, ideas.length === 0
      ? null
      : [h('span', { class: 'hint' }, 'Suggested:'), ideas.map(tag => h('button', {
          type: 'button',
          class: 'chip suggestion',
          'aria-label': `Add suggested tag ${tag}`,
          onclick: () => { removed.delete(tag); manual.push(tag); render() }
        }, icon('plus', 12), `#${tag}`))])
    const p = Number(placePrecision.value)
    const cell = isPrecision(p) ? currentCell(p) : undefined
    placePrecision.disabled = !placeBox.checked
    placeNote.textContent = placeBox.checked
      ? cell != null
        ? `Shared: the ${cellSize(cell)} cell ${cell}. Your exact position stays on this device.`
        : 'Your browser will ask for your position; only a coarse cell leaves this page.'
      : 'No place: the murmur travels on its tags only.'
    submit.disabled = busy || n === 0 || n > MAX_TEXT_CHARS || text.value.trim() === ''
  }

  function addManual (): void {
    const raw = tagInput.value.trim()
    if (raw === '') return
    try {
      const tag = normalizeTag(raw)
      removed.delete(tag)
      if (!manual.includes(tag)) manual.push(tag)
      tagInput.value = ''
      error.textContent = ''
    } catch {
      error.textContent = 'A tag is 1 to 32 letters, digits or _ (no spaces).'
    }
    render()
  }

  tagInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      addManual()
    }
  })
  text.addEventListener('input', () => { error.textContent = ''; render() })
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      form.requestSubmit()
    }
  })
  placePrecision.addEventListener('change', () => {
    const p = Number(placePrecision.value)
    if (isPrecision(p)) setPrecision(p)
    render()
  })
  placeBox.addEventListener('change', () => {
    render()
    if (placeBox.checked && currentCell() == null) {
      locate().then(render, (err: unknown) => {
        placeBox.checked = false
        error.textContent = describeError(err)
        render()
      })
    }
  })

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    void send()
  })

  async function send (): Promise<void> {
    if (busy) return
    const body = text.value.trim()
    if (body === '' || charCount(body) > MAX_TEXT_CHARS) return
    const list = tags()
    if (list.length > MAX_TAGS) {
      error.textContent = `Up to ${MAX_TAGS} tags per murmur: remove ${list.length - MAX_TAGS}.`
      return
    }
    let geohash: string | undefined
    if (placeBox.checked) {
      const p = Number(placePrecision.value) as Precision
      try {
        geohash = currentCell(p) ?? await locate(p)
      } catch (err) {
        error.textContent = describeError(err)
        return
      }
    }
    if (list.length === 0 && geohash == null) {
      error.textContent = 'Add at least one #tag or your area: that is how a murmur finds its readers on other nodes.'
      return
    }
    busy = true
    error.textContent = ''
    submit.textContent = 'Posting…'
    submit.classList.add('loading')
    form.setAttribute('aria-busy', 'true')
    render()
    try {
      const post = await api.post({ text: body, tags: list, ...(geohash != null ? { geohash } : {}) })
      text.value = ''
      manual = []
      removed = new Set()
      dialog.close()
      onPosted(post)
    } catch (err) {
      error.textContent = describeError(err, 'Your murmur was not posted')
    } finally {
      busy = false
      submit.textContent = 'Post'
      submit.classList.remove('loading')
      form.removeAttribute('aria-busy')
      render()
    }
  }

  return {
    open (options) {
      onPosted = options.onPosted
      if (!dialog.open) {
        if (text.value === '') {
          manual = [...(options.tags ?? [])]
          removed = new Set()
          placeBox.checked = options.withPlace === true
        }
        placePrecision.value = String(precision())
        error.textContent = ''
        render()
        dialog.showModal()
        text.focus()
      }
    }
  }
}
