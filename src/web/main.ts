/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// murmur's web page: the entry point bundled into app.js. Hash routes (#/hot, #/tag/x,
// #/near, #/post/<id>, #/network, #/channels), live posts over Server-Sent Events, and the
// actions (post, reply, react, delete, join, leave) through the node's API.

import { byId, h, icon, mount } from './dom.js'
import { api, describeError, followEvents, ApiError, UNREACHABLE, type LiveState, type PostView } from './api.js'
import { postCard, refreshAges, replyRow, updateCounters, whoStyle, type CardActions } from './card.js'
import { charCount, createComposer } from './compose.js'
import { renderNetwork } from './network.js'
import { renderSettings } from './settings.js'
import { confirmDialog, hideBanner, showBanner, toast } from './ui.js'
import { reportDialog } from './report.js'
import { avatar } from './art.js'
import { PRECISIONS, cellSize, isPrecision, plural, topicLabel, until } from './format.js'
import { currentCell, distanceTo, isNear, locate, nearQuery, precision, setPrecision } from './location.js'
import { normalizeTag } from '../geo/tags.js'
import { GEO_CELL_PRECISION } from '../geo/topics.js'
import { MAX_TEXT_CHARS } from '../post/constants.js'
import { HIDE_SCORE_THRESHOLD } from '../ranking/scores.js'

type Sort = 'hot' | 'new' | 'top'
type Route =
  | { view: 'feed', feed: 'hot' | 'new' | 'top' }
  | { view: 'channel', topic: string, sort: Sort }
  | { view: 'near', sort: Sort }
  | { view: 'post', id: string }
  | { view: 'network' }
  | { view: 'channels' }
  | { view: 'settings' }

const SORTS: Sort[] = ['hot', 'new', 'top']
const FEEDS = {
  hot: { title: 'Hot', icon: 'flame', sub: 'What people are murmuring about right now.' },
  new: { title: 'New', icon: 'sparkle', sub: 'Every murmur your node hears, newest first.' },
  top: { title: 'Top', icon: 'trophy', sub: 'The best-liked murmurs.' }
} as const

const main = byId('main')
const nav = byId('nav')
const composer = createComposer()

const state = {
  route: parseRoute(location.hash) as Route,
  topics: [] as string[],
  seenTags: new Map<string, number>(),
  live: 'connecting' as LiveState,
  wasDown: false,
  /** incremented on every navigation, so late answers for an old view are dropped */
  token: 0,
  /** the user's hiding threshold (GET /api/moderation); the node applies it too, this keeps live cards in line */
  hideAtOrBelow: HIDE_SCORE_THRESHOLD as number,
  cleanup: undefined as (() => void) | undefined
}

// ---------- routing ----------

function parseRoute (hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(p => { try { return decodeURIComponent(p) } catch { return p } })
  const sortOf = (value: string | undefined): Sort => (SORTS as string[]).includes(value ?? '') ? value as Sort : 'hot'
  switch (parts[0]) {
    case 'hot': case 'new': case 'top': return { view: 'feed', feed: parts[0] }
    case 'tag': if (parts[1] != null && parts[1] !== '') return { view: 'channel', topic: `tag:${parts[1]}`, sort: sortOf(parts[2]) }; break
    case 'geo': if (parts[1] != null && parts[1] !== '') return { view: 'channel', topic: `geo:${parts[1]}`, sort: sortOf(parts[2]) }; break
    case 'near': return { view: 'near', sort: sortOf(parts[1]) }
    case 'post': if (/^[0-9a-f]{8,128}$/i.test(parts[1] ?? '')) return { view: 'post', id: parts[1].toLowerCase() }; break
    case 'network': return { view: 'network' }
    case 'channels': return { view: 'channels' }
    case 'settings': return { view: 'settings' }
  }
  return { view: 'feed', feed: 'hot' }
}

function hrefOf (topic: string, sort?: Sort): string {
  const [kind, name] = [topic.slice(0, 3), topic.slice(4)]
  return `#/${kind}/${encodeURIComponent(name)}${sort != null && sort !== 'hot' ? `/${sort}` : ''}`
}

function routeKey (route: Route): string {
  switch (route.view) {
    case 'feed': return route.feed
    case 'channel': return route.topic
    case 'near': return 'near'
    case 'post': return 'post'
    default: return route.view
  }
}

function show (focus: boolean): void {
  state.cleanup?.()
  state.cleanup = undefined
  state.route = parseRoute(location.hash)
  const token = ++state.token
  renderNav()
  const route = state.route
  switch (route.view) {
    case 'feed': void renderFeed(token, route.feed, { sort: route.feed }); break
    case 'channel': void renderFeed(token, route.topic, { sort: route.sort, topic: route.topic }); break
    case 'near': void renderNear(token, route.sort); break
    case 'post': void renderThread(token, route.id); break
    case 'network': state.cleanup = renderNetwork(main); break
    case 'channels': renderChannels(); break
    case 'settings': {
      const mine = token
      renderSettings(main, { changed: (s) => { state.hideAtOrBelow = s.hideAtOrBelow }, isCurrent: () => mine === state.token })
      break
    }
  }
  const title = main.querySelector('h1')?.textContent
  document.title = title != null && title !== '' ? `${title} · murmur` : 'murmur'
  if (focus) main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true })
  window.scrollTo({ top: 0 })
}

// ---------- navigation and channels ----------

function navLink (href: string, label: string, iconName: string, current: boolean, extra?: string): HTMLElement {
  return h('a', { href, class: `nav-link${current ? ' current' : ''}${extra != null ? ` ${extra}` : ''}`, 'aria-current': current ? 'page' : null },
    icon(iconName, 18), h('span', null, label))
}

function renderNav (): void {
  const key = routeKey(state.route)
  const channels = state.topics.filter(t => t.startsWith('tag:') || t.startsWith('geo:'))
  const suggestions = suggestedTags(6)
  mount(nav,
    h('div', { class: 'nav-group feeds' },
      navLink('#/hot', 'Hot', 'flame', key === 'hot'),
      navLink('#/new', 'New', 'sparkle', key === 'new'),
      navLink('#/top', 'Top', 'trophy', key === 'top'),
      navLink('#/near', 'Near me', 'near', key === 'near')
    ),
    h('div', { class: 'nav-group channels' },
      h('h2', { class: 'nav-title' }, 'Your channels'),
      channels.length === 0 ? h('p', { class: 'nav-empty hint' }, 'Join a #tag to follow it.') : null,
      channels.map(t => navLink(hrefOf(t), topicLabel(t), t.startsWith('tag:') ? 'hash' : 'pin', key === t, 'channel')),
      navLink('#/channels', 'Channels', 'channels', key === 'channels', 'manage')
    ),
    suggestions.length > 0
      ? h('div', { class: 'nav-group suggested' },
        h('h2', { class: 'nav-title' }, 'Suggested'),
        h('div', { class: 'chip-row' }, suggestions.map(tag => h('a', { class: 'chip', href: `#/tag/${encodeURIComponent(tag)}` }, `#${tag}`))))
      : null,
    h('div', { class: 'nav-group bottom' },
      navLink('#/network', 'Network', 'network', key === 'network', 'network-link'),
      navLink('#/settings', 'Settings', 'shield', key === 'settings', 'settings-link'))
  )
}

function noteTags (posts: PostView[]): void {
  for (const post of posts) {
    for (const tag of post.tags) state.seenTags.set(tag, (state.seenTags.get(tag) ?? 0) + 1)
  }
}

function suggestedTags (max: number): string[] {
  return [...state.seenTags]
    .filter(([tag]) => !state.topics.includes(`tag:${tag}`))
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([tag]) => tag)
}

async function loadTopics (): Promise<void> {
  try {
    state.topics = await api.topics()
    renderNav()
  } catch (err) {
    handleError(err, 'Could not load your channels')
  }
}

async function join (topic: string): Promise<boolean> {
  try {
    state.topics = await api.join(topic)
    renderNav()
    toast(`Joined ${topicLabel(topic)}. Your node now listens for its murmurs.`, 'success')
    return true
  } catch (err) {
    handleError(err, `Could not join ${topicLabel(topic)}`)
    return false
  }
}

async function leave (topic: string): Promise<boolean> {
  try {
    state.topics = await api.leave(topic)
    renderNav()
    toast(`Left ${topicLabel(topic)}.`)
    return true
  } catch (err) {
    handleError(err, `Could not leave ${topicLabel(topic)}`)
    return false
  }
}

function joinForm (idSuffix: string, after?: (topic: string) => void): HTMLElement {
  const input = h('input', { id: `join-${idSuffix}`, type: 'text', placeholder: '#tag', autocomplete: 'off', maxlength: 40 })
  const error = h('p', { class: 'form-error', role: 'alert' })
  const form = h('form', { class: 'join-form' },
    h('label', { for: `join-${idSuffix}`, class: 'sr-only' }, 'Channel to join'),
    input,
    h('button', { type: 'submit', class: 'button primary' }, 'Join'),
    error
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    let tag: string
    try {
      tag = normalizeTag(input.value.trim())
    } catch {
      error.textContent = 'A channel name is 1 to 32 letters, digits or _ (no spaces).'
      return
    }
    error.textContent = ''
    void join(`tag:${tag}`).then(ok => {
      if (ok) {
        input.value = ''
        after?.(`tag:${tag}`)
      }
    })
  })
  return form
}

function renderChannels (): void {
  const list = h('ul', { class: 'channel-list' })
  const suggestions = h('div', { class: 'chip-row' })
  const draw = (): void => {
    const channels = state.topics.filter(t => t.startsWith('tag:') || t.startsWith('geo:'))
    mount(list, channels.length === 0
      ? h('li', { class: 'empty-small' }, 'You have not joined any channel yet.')
      : channels.map(topic => h('li', { class: 'channel-item' },
        h('a', { href: hrefOf(topic) }, icon(topic.startsWith('tag:') ? 'hash' : 'pin', 18), topicLabel(topic)),
        h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Leave ${topicLabel(topic)}`, onclick: () => { void leave(topic).then(draw) } }, 'Leave'))))
    const ideas = suggestedTags(12)
    mount(suggestions, ideas.length === 0
      ? h('p', { class: 'hint' }, 'Tags you see in murmurs will be suggested here.')
      : ideas.map(tag => h('button', {
        type: 'button',
        class: 'chip suggestion',
        'aria-label': `Join #${tag}`,
        onclick: () => { void join(`tag:${tag}`).then(draw) }
      }, icon('plus', 12), `#${tag}`)))
  }
  mount(main,
    h('header', { class: 'view-head' },
      h('h1', { tabindex: -1 }, icon('channels', 24), 'Channels'),
      h('p', { class: 'sub' }, 'A channel is a #tag your node listens to. Your direct peers can see which channels you join, not what you post.')),
    h('section', { class: 'panel' }, h('h2', null, 'Join a channel'), joinForm('page', draw)),
    h('section', { class: 'panel' }, h('h2', null, 'Your channels'), list),
    h('section', { class: 'panel' }, h('h2', null, 'Suggested from recent murmurs'), suggestions)
  )
  draw()
}

// ---------- feeds ----------

interface FeedQuery { sort: Sort, topic?: string, near?: string, precision?: number }

function sortTabs (current: Sort, href: (sort: Sort) => string): HTMLElement {
  return h('div', { class: 'segmented', role: 'group', 'aria-label': 'Sort by' },
    SORTS.map(sort => h('a', { href: href(sort), class: sort === current ? 'current' : '', 'aria-current': sort === current ? 'true' : null },
      FEEDS[sort].title)))
}

function composeTeaser (tags: string[], withPlace = false): HTMLElement {
  return h('button', {
    type: 'button',
    class: 'compose-teaser',
    'aria-label': 'Write a new murmur',
    onclick: () => { openComposer(tags, withPlace) }
  }, h('span', { class: 'teaser-mark', 'aria-hidden': 'true' }, icon('plus', 18)), h('span', null, 'What’s on your mind?'))
}

function openComposer (tags: string[] = [], withPlace = false): void {
  composer.open({
    tags,
    withPlace,
    onPosted: (post) => {
      toast('Posted. Your murmur is on its way to other nodes.', 'success')
      addLivePost(post)
      if (!feedAccepts(state.route, post)) {
        const where = post.tags[0] != null ? `#/tag/${encodeURIComponent(post.tags[0])}/new` : '#/new'
        location.hash = where
      }
    }
  })
}

function skeletons (n: number): HTMLElement[] {
  return Array.from({ length: n }, () => h('div', { class: 'card skeleton', 'aria-hidden': 'true' }, h('div', { class: 'card-face' }), h('div', { class: 'card-bar' })))
}

async function renderFeed (token: number, key: string, query: FeedQuery): Promise<void> {
  const isChannel = query.topic != null
  const topic = query.topic ?? ''
  const joined = state.topics.includes(topic)
  const list = h('div', { class: 'cards', role: 'feed', 'aria-busy': 'true', 'aria-label': 'Murmurs', id: 'feed' }, skeletons(3))
  const head = isChannel
    ? h('header', { class: 'view-head' },
      h('div', { class: 'head-row' },
        h('h1', { tabindex: -1 }, icon(topic.startsWith('tag:') ? 'hash' : 'pin', 24), topicLabel(topic).replace(/^#/, '')),
        joined
          ? h('button', { type: 'button', class: 'button subtle', id: 'channel-toggle', onclick: () => { void leave(topic).then(ok => { if (ok) show(false) }) } }, 'Leave')
          : h('button', { type: 'button', class: 'button primary', id: 'channel-toggle', onclick: () => { void join(topic).then(ok => { if (ok) show(false) }) } }, 'Join')
      ),
      h('p', { class: 'sub' }, joined
        ? 'You are in this channel: new murmurs arrive live.'
        : 'Join to hear new murmurs in this channel from other nodes.'),
      sortTabs(query.sort, sort => hrefOf(topic, sort)))
    : h('header', { class: 'view-head' },
      h('h1', { tabindex: -1 }, icon(FEEDS[key as Sort].icon, 24), FEEDS[key as Sort].title),
      h('p', { class: 'sub' }, FEEDS[key as Sort].sub))
  mount(main, head, composeTeaser(topic.startsWith('tag:') ? [topic.slice(4)] : []), list)
  await fillFeed(token, list, query, isChannel
    ? joined ? 'Nothing here yet. Be the first to murmur in this channel.' : 'Nothing here yet. Join the channel to hear what others post.'
    : 'No murmurs yet. Join a channel, or write the first one.')
}

async function fillFeed (token: number, list: HTMLElement, query: FeedQuery, emptyText: string): Promise<void> {
  try {
    const posts = await api.feed({ ...query, limit: 60 })
    if (token !== state.token) return
    noteTags(posts)
    renderNav()
    // Cards in the list now are live posts that came while this answer was on its way. The
    // node may have read its store just before storing them, so an answer without them is
    // stale, not a removal: keep them on top rather than make them vanish.
    const answered = new Set(posts.map(p => p.id))
    const arrived = [...list.querySelectorAll<HTMLElement>('article.card[data-id]:not(.leaving)')]
      .filter(card => !answered.has(card.dataset.id ?? ''))
    mount(list, posts.length === 0 && arrived.length === 0
      ? emptyState(emptyText)
      : [...arrived, ...posts.filter(p => p.score > state.hideAtOrBelow && p.hidden !== true).map(p => postCard(p, actions))])
  } catch (err) {
    if (token !== state.token) return
    mount(list, errorState(describeError(err, 'Could not load murmurs'), () => { show(false) }))
    handleError(err)
  } finally {
    if (token === state.token) list.setAttribute('aria-busy', 'false')
  }
}

function emptyState (text: string): HTMLElement {
  return h('div', { class: 'empty' }, h('div', { class: 'empty-art', 'aria-hidden': 'true' }, icon('reply', 40)), h('p', null, text))
}

function errorState (text: string, retry: () => void): HTMLElement {
  return h('div', { class: 'empty error' }, h('p', { role: 'alert' }, text), h('button', { type: 'button', class: 'button subtle', onclick: retry }, 'Try again'))
}

// ---------- near me ----------

async function renderNear (token: number, sort: Sort): Promise<void> {
  const p = precision()
  const select = h('select', { id: 'near-precision', 'aria-label': 'How near' },
    PRECISIONS.map(opt => h('option', { value: opt.value, selected: opt.value === p }, `${opt.label} (${opt.hint.replace('about ', '~')})`)))
  select.addEventListener('change', () => {
    const value = Number(select.value)
    if (isPrecision(value)) {
      setPrecision(value)
      show(false)
    }
  })
  const locateButton = h('button', { type: 'button', class: 'button primary', id: 'near-locate' }, icon('locate', 18), 'Use my location')
  const status = h('p', { class: 'hint', id: 'near-status', 'aria-live': 'polite' })
  const list = h('div', { class: 'cards', role: 'feed', 'aria-busy': 'false', 'aria-label': 'Murmurs near you', id: 'feed' })
  mount(main,
    h('header', { class: 'view-head' },
      h('h1', { tabindex: -1 }, icon('near', 24), 'Near me'),
      h('p', { class: 'sub' }, 'Murmurs from your area and the cells around it.'),
      sortTabs(sort, s => s === 'hot' ? '#/near' : `#/near/${s}`)),
    h('section', { class: 'panel location' },
      h('div', { class: 'location-row' },
        h('label', { for: 'near-precision', class: 'field-label' }, 'Area size'),
        select,
        locateButton),
      status,
      h('p', { class: 'hint privacy' }, icon('shield', 14),
        ' Your position is turned into a coarse geohash cell inside this page. Your node only ever sees that cell, and distances are shown in rough steps.')),
    composeTeaser([], true),
    list)

  const load = async (cell: string): Promise<void> => {
    status.textContent = `Showing murmurs around cell ${cell} (${cellSize(cell)} wide) and its neighbours.`
    locateButton.replaceChildren(icon('locate', 18), 'Update location')
    locateButton.classList.replace('primary', 'subtle')
    // skeletons before joining the area: a live post arriving meanwhile is prepended and kept
    list.setAttribute('aria-busy', 'true')
    mount(list, skeletons(2))
    const area = `geo:${cell.slice(0, GEO_CELL_PRECISION)}`
    if (!state.topics.includes(area)) {
      try {
        state.topics = await api.join(area)
        renderNav()
      } catch (err) {
        handleError(err, 'Could not listen to your area')
      }
    }
    if (token !== state.token) return
    await fillFeed(token, list, { sort, ...nearQuery(cell) }, 'Nobody has murmured near you yet. Say hello to your neighbours!')
  }

  const run = async (): Promise<void> => {
    locateButton.disabled = true
    status.textContent = 'Finding your area…'
    try {
      const cell = await locate(precision())
      if (token === state.token) await load(cell)
    } catch (err) {
      if (token === state.token) {
        status.textContent = describeError(err)
        mount(list, emptyState('Share your location to see murmurs near you. Only a coarse area leaves this page.'))
      }
    } finally {
      locateButton.disabled = false
    }
  }
  locateButton.addEventListener('click', () => { void run() })

  const known = currentCell(p)
  if (known != null) {
    await load(known)
    return
  }
  let granted = false
  try {
    granted = (await navigator.permissions.query({ name: 'geolocation' })).state === 'granted'
  } catch {
    granted = false
  }
  if (token !== state.token) return
  if (granted) {
    await run()
  } else {
    status.textContent = 'Murmur needs your permission to know your area.'
    mount(list, emptyState('Share your location to see murmurs near you. Only a coarse area leaves this page.'))
  }
}

// ---------- thread ----------

async function renderThread (token: number, id: string): Promise<void> {
  const back = h('button', {
    type: 'button',
    class: 'button subtle back',
    onclick: () => { if (history.length > 1) history.back(); else location.hash = '#/hot' }
  }, icon('back', 18), 'Back')
  mount(main, h('header', { class: 'view-head thread-head' }, back, h('h1', { tabindex: -1, class: 'sr-only' }, 'Thread')), skeletons(1))
  let thread
  try {
    thread = await api.thread(id)
  } catch (err) {
    if (token !== state.token) return
    const gone = err instanceof ApiError && err.status === 404
    mount(main, h('header', { class: 'view-head thread-head' }, back, h('h1', { tabindex: -1 }, gone ? 'Murmur not found' : 'Thread')),
      gone
        ? emptyState('This murmur is not on your node: it may have expired or been deleted.')
        : errorState(describeError(err, 'Could not load this thread'), () => { show(false) }))
    if (!gone) handleError(err)
    return
  }
  if (token !== state.token) return
  const { post, replies } = thread
  noteTags([post])
  const title = post.text.length > 40 ? `${post.text.slice(0, 40)}…` : post.text
  const list = h('ol', { class: 'reply-list', id: 'replies' }, replies.map(r => replyRow(r, actions)))
  const count = h('h2', { id: 'replies-title' }, plural(replies.length, 'reply', 'replies'))
  const text = h('textarea', { id: 'reply-text', rows: 2, placeholder: 'Add a reply…', 'aria-describedby': 'reply-count' })
  const counter = h('span', { class: 'counter', id: 'reply-count' }, `0 / ${MAX_TEXT_CHARS}`)
  const submit = h('button', { type: 'submit', class: 'button primary', id: 'reply-submit', disabled: true }, 'Reply')
  const error = h('p', { class: 'form-error', role: 'alert' })
  const form = h('form', { class: 'reply-form', 'aria-label': 'Reply' },
    h('label', { for: 'reply-text', class: 'sr-only' }, 'Your reply'),
    text,
    h('div', { class: 'reply-form-foot' }, h('span', { class: 'hint' }, 'You reply under a pseudonym made for this thread only.'), counter, submit),
    error)
  const update = (): void => {
    const n = charCount(text.value)
    counter.textContent = `${n} / ${MAX_TEXT_CHARS}`
    counter.classList.toggle('over', n > MAX_TEXT_CHARS)
    submit.disabled = text.value.trim() === '' || n > MAX_TEXT_CHARS
  }
  text.addEventListener('input', update)
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit() }
  })
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    if (submit.disabled) return
    submit.disabled = true
    submit.classList.add('loading')
    submit.textContent = 'Sending…'
    error.textContent = ''
    api.reply(post.id, text.value.trim()).then((reply) => {
      text.value = ''
      addReply(reply)
      scheduleRefresh(post.id)
    }, (err: unknown) => {
      error.textContent = describeError(err, 'Your reply was not sent')
      handleError(err)
    }).finally(() => {
      submit.classList.remove('loading')
      submit.textContent = 'Reply'
      update()
    })
  })

  mount(main,
    h('header', { class: 'view-head thread-head' }, back, h('h1', { tabindex: -1, class: 'sr-only' }, title)),
    post.hidden === true
      ? h('p', { class: 'hint hidden-note', role: 'note' }, icon('shield', 14), ' Your mutes or a moderator you follow hide this murmur from your feeds. It opened because you asked for it.')
      : null,
    postCard(post, actions, { full: true }),
    h('div', { class: 'thread-meta' },
      avatar(post.author, post.authorColor, 32),
      h('span', { class: 'who', style: whoStyle(post.authorColor) }, post.author),
      h('span', { class: 'badge op' }, 'OP'),
      h('span', { class: 'hint' }, `· disappears ${until(post.expiresAt)}`)),
    h('section', { class: 'thread', 'aria-labelledby': 'replies-title' }, count, list, form))
}

function addReply (reply: PostView): void {
  const route = state.route
  if (route.view !== 'post' || route.id !== reply.root || reply.hidden === true) return
  const list = document.getElementById('replies')
  if (list == null || list.querySelector(`[data-id="${CSS.escape(reply.id)}"]`) != null) return
  const row = replyRow(reply, actions)
  row.classList.add('enter')
  list.appendChild(row)
  const count = document.getElementById('replies-title')
  if (count != null) count.textContent = plural(list.children.length, 'reply', 'replies')
}

// ---------- actions ----------

const actions: CardActions = {
  react (post, value, button) {
    if (post.myReaction === value) {
      toast(value === 1 ? 'You already liked this.' : 'You already disliked this.')
      return
    }
    button.classList.add('busy')
    button.setAttribute('aria-busy', 'true')
    api.react(post.id, value).then((view) => {
      if (view.id === post.id) {
        Object.assign(post, view)
        updateCounters(view)
      }
      scheduleRefresh(post.root !== '' ? post.root : post.id)
    }, (err: unknown) => {
      handleError(err, value === 1 ? 'Your like was not recorded' : 'Your dislike was not recorded')
    }).finally(() => {
      button.classList.remove('busy')
      button.removeAttribute('aria-busy')
    })
  },
  remove (post) {
    void (async () => {
      const ok = await confirmDialog({
        title: post.kind === 'reply' ? 'Delete your reply?' : 'Delete your murmur?',
        body: [
          'Your node removes it now and asks every other node to delete it too.',
          'Honest nodes honour the request, but anyone may already have seen it or kept a copy. Deletion is a request, not a guarantee.'
        ],
        confirm: 'Delete',
        danger: true
      })
      if (!ok) return
      try {
        await api.remove(post.id)
        removePost(post.id)
        toast('Deleted. Nodes that honour deletion requests will drop it too.', 'success')
        if (post.root !== '') scheduleRefresh(post.root)
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) toast('Only the author can delete a murmur, and this node did not write this one.', 'error')
        else handleError(err, 'Could not delete')
      }
    })()
  },
  report (post) {
    void (async () => {
      let followed: string[] = []
      try {
        followed = (await api.moderation()).moderators.map(m => m.id)
      } catch (err) {
        handleError(err, 'Could not read the moderators you follow')
        return
      }
      const choice = await reportDialog(post.text, followed)
      if (choice == null) return
      try {
        const { recipients } = await api.report(post.id, choice.moderator, choice.reason, choice.note)
        if (recipients > 0) toast('Reported. The moderator gets it without learning who sent it.', 'success')
        else toast('None of your connected peers carries that moderator\'s reports right now, so the report did not leave your node. Try again later.', 'error')
      } catch (err) {
        handleError(err, 'Could not send the report')
      }
    })()
  },
  mute (post) {
    api.mute('pseudonym', post.id).then(() => {
      // the node now leaves every reply of that pseudonym out of the thread: read it again
      show(false)
      toast(`Muted ${post.author} in this thread. Undo it in Settings.`, 'success')
    }, (err: unknown) => { handleError(err, 'Could not mute') })
  }
}

function removePost (id: string): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-id="${CSS.escape(id)}"]`)) {
    if (el.classList.contains('full')) {
      mount(main,
        h('header', { class: 'view-head' }, h('h1', { tabindex: -1 }, 'Deleted')),
        emptyState('This murmur was deleted by its author.'),
        h('p', { class: 'center' }, h('a', { class: 'button subtle', href: '#/hot' }, 'Back to the feed')))
      return
    }
    el.classList.add('leaving')
    setTimeout(() => {
      const list = el.parentElement
      el.remove()
      if (list?.id === 'replies') {
        const count = document.getElementById('replies-title')
        if (count != null) count.textContent = plural(list.children.length, 'reply', 'replies')
      }
    }, 250)
  }
}

function feedAccepts (route: Route, post: PostView): boolean {
  switch (route.view) {
    case 'feed': return true
    case 'channel':
      return route.topic.startsWith('tag:') ? post.tags.includes(route.topic.slice(4)) : post.geohash.startsWith(route.topic.slice(4))
    case 'near': {
      const cell = currentCell()
      return cell != null && isNear(cell, post.geohash)
    }
    default: return false
  }
}

function addLivePost (post: PostView): void {
  const list = document.getElementById('feed')
  if (list == null || post.hidden === true || !feedAccepts(state.route, post)) return
  if (list.querySelector(`[data-id="${CSS.escape(post.id)}"]`) != null) return
  if (state.route.view === 'near') {
    const cell = currentCell()
    if (cell != null) post.distance = distanceTo(cell, post.geohash)
  }
  list.querySelector('.empty')?.remove()
  const card = postCard(post, actions)
  card.classList.add('enter', 'fresh')
  list.prepend(card)
}

const pending = new Map<string, ReturnType<typeof setTimeout>>()

/** Re-reads a thread's counters after a reply or reaction, at most every 150 ms per thread. */
function scheduleRefresh (root: string): void {
  if (root === '' || pending.has(root)) return
  pending.set(root, setTimeout(() => {
    pending.delete(root)
    api.thread(root).then(({ post, replies }) => {
      for (const view of [post, ...replies]) {
        updateCounters(view)
        if (view.score <= state.hideAtOrBelow) {
          for (const el of document.querySelectorAll(`#feed [data-id="${CSS.escape(view.id)}"]`)) el.remove()
        }
      }
      for (const reply of replies) addReply(reply)
    }, () => { /* gone or unreachable: the banner says so */ })
  }, 150))
}

function onLive (post: PostView): void {
  switch (post.kind) {
    case 'post':
      noteTags([post])
      addLivePost(post)
      if (state.route.view !== 'channels') renderNavSoon()
      break
    case 'reply':
      addReply(post)
      scheduleRefresh(post.root)
      break
    case 'reaction':
      scheduleRefresh(post.root !== '' ? post.root : post.parent)
      break
    case 'delete':
      removePost(post.parent)
      if (post.root !== '' && post.root !== post.parent) scheduleRefresh(post.root)
      break
  }
}

let navTimer: ReturnType<typeof setTimeout> | undefined
function renderNavSoon (): void {
  if (navTimer != null) return
  navTimer = setTimeout(() => { navTimer = undefined; renderNav() }, 500)
}

// ---------- connection state ----------

const liveBadge = byId('live')

function setLive (live: LiveState): void {
  state.live = live
  liveBadge.className = `live ${live}`
  liveBadge.textContent = live === 'open' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline'
  liveBadge.title = live === 'open' ? 'New murmurs appear as they arrive' : 'Not receiving live murmurs'
  if (live === 'down') {
    state.wasDown = true
    showBanner('Can’t reach your murmur node. Is it running? This page reconnects by itself.', { label: 'Retry now', run: () => { location.reload() } })
  } else if (live === 'open') {
    hideBanner()
    if (state.wasDown) {
      state.wasDown = false
      void loadTopics()
      show(false)
    }
  }
}

function handleError (err: unknown, doing?: string): void {
  if (err instanceof ApiError && err.code === UNREACHABLE) {
    showBanner('Can’t reach your murmur node. Is it running? This page reconnects by itself.', { label: 'Retry now', run: () => { location.reload() } })
    return
  }
  if (doing != null) toast(describeError(err, doing), 'error')
}

// ---------- start ----------

function start (): void {
  byId('new-post').addEventListener('click', () => { openComposer(currentTags(), state.route.view === 'near') })
  byId('fab').addEventListener('click', () => { openComposer(currentTags(), state.route.view === 'near') })
  window.addEventListener('hashchange', () => { show(true) })
  document.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement | null
    const typing = target != null && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
    if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector('dialog[open]') != null) return
    if (event.key === 'n') {
      event.preventDefault()
      openComposer(currentTags(), state.route.view === 'near')
    }
  })
  setInterval(() => { refreshAges() }, 30_000)
  followEvents(onLive, setLive)
  api.moderation().then(s => { state.hideAtOrBelow = s.hideAtOrBelow }, () => {})
  show(false)
  void loadTopics()
  // seed suggested channels from recent murmurs
  api.feed({ sort: 'new', limit: 100 }).then(posts => { noteTags(posts); renderNav() }, () => {})
}

function currentTags (): string[] {
  const route = state.route
  return route.view === 'channel' && route.topic.startsWith('tag:') ? [route.topic.slice(4)] : []
}

start()
