/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Page-wide feedback: toasts, the "node unreachable" banner and a confirm dialog.

import { byId, h, icon, mount } from './dom.js'

export function toast (message: string, kind: 'info' | 'error' | 'success' = 'info'): void {
  const region = byId(kind === 'error' ? 'alerts' : 'toasts')
  const item = h('div', { class: `toast ${kind}` },
    h('span', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss', onclick: () => { item.remove() } }, icon('close', 16))
  )
  region.appendChild(item)
  setTimeout(() => { item.classList.add('leaving'); setTimeout(() => { item.remove() }, 300) }, kind === 'error' ? 9000 : 4500)
}

export function showBanner (message: string, action?: { label: string, run(): void }): void {
  const banner = byId('banner')
  mount(banner,
    h('span', { class: 'banner-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'banner-text' }, message),
    action != null ? h('button', { type: 'button', class: 'button subtle small', onclick: action.run }, action.label) : null
  )
  banner.hidden = false
}

export function hideBanner (): void {
  byId('banner').hidden = true
}

/** A modal yes/no question; resolves true when confirmed. */
export async function confirmDialog (options: { title: string, body: string[], confirm: string, danger?: boolean }): Promise<boolean> {
  return await new Promise(resolve => {
    const yes = h('button', { type: 'submit', value: 'yes', class: `button ${options.danger === true ? 'danger' : 'primary'}` }, options.confirm)
    const no = h('button', { type: 'submit', value: 'no', class: 'button subtle' }, 'Cancel')
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, options.title),
        h('div', { id: 'confirm-body' }, options.body.map(p => h('p', null, p))),
        h('footer', { class: 'dialog-foot' }, no, yes)
      )
    )
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes')
      dialog.remove()
    })
    document.body.appendChild(dialog)
    dialog.showModal()
    no.focus()
  })
}
