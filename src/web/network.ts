/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The network page: this node, its peers and topics, history sync progress, and a live chart
// of gossip messages accepted, ignored and rejected per second (status polled every second).

import { h, icon, mount } from './dom.js'
import { api, describeError, type PeerView, type Status } from './api.js'
import { RateChart, SERIES, formatRate, type RateSample } from './chart.js'
import { plural, shortId, topicLabel } from './format.js'
import { topicProgress, syncingTopics } from '../sync/progress.js'

const POLL_MS = 1000

export function renderNetwork (main: HTMLElement): () => void {
  const tiles = h('div', { class: 'tiles' })
  const canvas = h('canvas', { class: 'chart', role: 'img', 'aria-label': 'Messages per second over the last minute' })
  const chart = new RateChart(canvas)
  const now = h('p', { class: 'chart-now', 'aria-live': 'off' }, 'Measuring…')
  const legend = h('ul', { class: 'legend' }, SERIES.map(series =>
    h('li', null, h('span', { class: `swatch ${series.key}`, 'aria-hidden': 'true' }), series.label)))
  const sync = h('div', { class: 'sync' })
  const peers = h('ul', { class: 'peer-list', 'aria-label': 'Connected peers' })
  const topics = h('div', { class: 'chip-row' })
  const self = h('div', { class: 'self' })
  const problem = h('p', { class: 'form-error', role: 'alert' })

  mount(main,
    h('header', { class: 'view-head' },
      h('h1', { tabindex: -1 }, icon('network', 24), 'Network'),
      h('p', { class: 'sub' }, 'Your node talks to other nodes directly: no server in the middle.')
    ),
    problem,
    tiles,
    h('section', { class: 'panel', 'aria-labelledby': 'rate-title' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'rate-title' }, 'Messages per second'), legend),
      canvas,
      now
    ),
    h('div', { class: 'grid-2' },
      h('section', { class: 'panel', 'aria-labelledby': 'peers-title' }, h('h2', { id: 'peers-title' }, 'Peers'), peers),
      h('section', { class: 'panel', 'aria-labelledby': 'sync-title' },
        h('h2', { id: 'sync-title' }, 'History sync'), sync,
        h('h2', { id: 'topics-title', class: 'spaced' }, 'Listening on'), topics)
    ),
    h('section', { class: 'panel', 'aria-labelledby': 'self-title' }, h('h2', { id: 'self-title' }, 'This node'), self)
  )

  let previous: { at: number, counters: RateSample } | undefined
  let stopped = false
  let ticks = 0
  let samples = 0

  async function poll (): Promise<void> {
    try {
      const status = await api.status()
      if (stopped) return
      problem.textContent = ''
      const at = performance.now()
      const counters: RateSample = {
        accepted: status.gossip?.accepted ?? 0,
        rejected: status.gossip?.rejected ?? 0,
        ignored: status.gossip?.ignored ?? 0
      }
      if (previous != null) {
        const seconds = Math.max(0.001, (at - previous.at) / 1000)
        const rate: RateSample = {
          accepted: Math.max(0, counters.accepted - previous.counters.accepted) / seconds,
          rejected: Math.max(0, counters.rejected - previous.counters.rejected) / seconds,
          ignored: Math.max(0, counters.ignored - previous.counters.ignored) / seconds
        }
        chart.push(rate)
        canvas.dataset.samples = String(chart.length)
        canvas.dataset.total = String(++samples)
        now.textContent = `Last second: ${formatRate(rate.accepted)} accepted, ${formatRate(rate.rejected)} rejected, ${formatRate(rate.ignored)} ignored.`
        canvas.setAttribute('aria-label', `Messages per second over the last minute. ${now.textContent}`)
      }
      previous = { at, counters }
      renderStatus(status)
      if (ticks++ % 3 === 0) renderPeers(await api.peers())
    } catch (err) {
      if (!stopped) problem.textContent = describeError(err, 'Could not read the node’s status')
    }
  }

  function renderStatus (status: Status): void {
    mount(tiles,
      tile('Peers', String(status.peers), 'connected now'),
      tile('Posts', String(status.posts), 'stored on this node'),
      tile('Topics', String(status.topics.length), 'joined'),
      tile('Work', `${status.powBits} bits`, 'proof of work per post')
    )
    mount(topics, status.topics.length === 0
      ? h('p', { class: 'hint' }, 'No topics yet: join a channel or use Near me.')
      : status.topics.map(t => h('span', { class: 'chip' }, topicLabel(t))))
    renderSync(status.sync)
    mount(self,
      h('dl', { class: 'facts' },
        h('dt', null, 'Peer id'),
        h('dd', null, h('code', { title: status.peerId }, status.peerId)),
        h('dt', null, 'Listening on'),
        h('dd', null, status.addresses.length === 0
          ? 'no addresses yet'
          : h('ul', { class: 'addresses' }, status.addresses.map(a => h('li', null, h('code', null, a)))))
      ),
      h('p', { class: 'hint' }, icon('shield', 14), ' The peer id is a transport address only: it is never attached to your posts.')
    )
  }

  function renderSync (status: Status['sync']): void {
    const summary = h('p', { class: 'hint' },
      `${plural(status.completed, 'session')} done, ${status.failed} failed · ${formatBytes(status.bytesIn)} in, ${formatBytes(status.bytesOut)} out`,
      status.denied > 0 ? ` · ${plural(status.denied, 'peer')} refused for breaking the protocol` : '')
    const rows = syncingTopics(status.sessions).map(topic => {
      const p = topicProgress(topic, status.sessions)
      const label = topicLabel(topic)
      if (p.reconciling && p.need === 0) {
        return h('div', { class: 'sync-row' }, h('span', null, label), h('span', { class: 'hint' }, `comparing histories with ${plural(p.peers, 'peer')}…`))
      }
      const pct = p.need === 0 ? 100 : Math.min(100, Math.round((p.received / p.need) * 100))
      return h('div', { class: 'sync-row' },
        h('span', null, label),
        h('progress', { max: 100, value: pct, 'aria-label': `${label} sync ${pct}%` }),
        h('span', { class: 'hint' }, `${p.received} / ${p.need} from ${plural(p.peers, 'peer')}`))
    })
    mount(sync, rows.length > 0
      ? [...rows, summary]
      : [h('p', { class: 'hint' }, 'Up to date: when your node catches up on a channel’s history from its peers, the progress shows here.'), summary])
  }

  function renderPeers (list: PeerView[]): void {
    mount(peers, list.length === 0
      ? h('li', { class: 'empty-small' }, 'No peers yet. Nodes on your network find each other by themselves; or start yours with a bootstrap address.')
      : list.map(peer => h('li', { class: 'peer' },
        h('span', { class: `dot ${peer.direction === 'inbound' ? 'in' : 'out'}`, 'aria-hidden': 'true' }),
        h('div', null,
          h('code', { title: peer.peerId }, shortId(peer.peerId, 8)),
          h('div', { class: 'hint' }, `${peer.direction} · ${plural(peer.topics.length, 'shared topic')}`,
            peer.topics.length > 0 ? `: ${peer.topics.map(topicLabel).join(', ')}` : ''))
      )))
  }

  void poll()
  const timer = setInterval(() => { void poll() }, POLL_MS)
  const onResize = (): void => { chart.draw() }
  window.addEventListener('resize', onResize)
  return () => {
    stopped = true
    clearInterval(timer)
    window.removeEventListener('resize', onResize)
  }
}

function tile (label: string, value: string, hint: string): HTMLElement {
  return h('div', { class: 'tile' },
    h('span', { class: 'tile-label' }, label),
    h('strong', { class: 'tile-value' }, value),
    h('span', { class: 'hint' }, hint))
}

function formatBytes (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
