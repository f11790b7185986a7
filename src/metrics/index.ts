// Metrics for operators: one Prometheus registry per node holding libp2p's own metrics
// (connections, streams, bytes per protocol, process) and murmur's, read when scraped.

import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Counter, Gauge, Registry } from 'prom-client'
import type { Metrics } from '@libp2p/interface'

/** What murmur reports, gathered by the node at scrape time. */
export interface MetricsSnapshot {
  peers: number
  topics: number
  /** stored messages by kind (root posts, replies, reactions, deletes) */
  stored: Record<string, number>
  /** gossip verdicts since start: accepted, ignored, rejected */
  messages: Record<string, number>
  /** gossip streams opened again on connections that had lost theirs */
  gossipLinksMended: number
  /** connections identified again after identify's own run on them failed */
  identifiedAgain: number
  /** DHT walks topic discovery started, by kind: provide, lookup */
  discoveryWalks: Record<string, number>
  /** finished sync sessions by result: completed, failed */
  syncSessions: Record<string, number>
  syncActive: number
  /** sync payload bytes since start, by direction: in, out */
  syncBytes: Record<string, number>
  /** peers refused sync for breaking the protocol */
  syncDenied: number
  /** circuit-relay reservations held (a relay), else 0 */
  relayReservations: number
  /** posts and replies removed since start because a followed moderator labels them drop */
  moderationDropped: number
  moderatorsFollowed: number
}

export interface NodeMetrics {
  /** handed to createLibp2p, so libp2p's metrics land in the same registry */
  readonly libp2p: (components: any) => Metrics
  /** the Prometheus text exposition of everything */
  render(snapshot: MetricsSnapshot): Promise<{ contentType: string, body: string }>
}

export function createMetrics (): NodeMetrics {
  const registry = new Registry()
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers: [registry] })
  // counters hold totals the node already counts: each scrape sets them to those totals
  const counter = (name: string, help: string, labelNames: string[]): Counter => new Counter({ name, help, labelNames, registers: [registry] })

  const peers = gauge('murmur_peers', 'connected peers')
  const topics = gauge('murmur_topics', 'topics joined')
  const stored = gauge('murmur_messages_stored', 'messages in the store, by kind', ['kind'])
  const messages = counter('murmur_gossip_messages_total', 'gossiped messages validated, by verdict', ['verdict'])
  const mended = counter('murmur_gossip_links_mended_total', 'gossip streams opened again on connections that had lost theirs', [])
  const identifiedAgain = counter('murmur_connections_identified_again_total', 'connections identified again after identify\'s own run on them failed', [])
  const walks = counter('murmur_discovery_walks_total', 'DHT walks started by topic discovery, by kind', ['kind'])
  const sessions = counter('murmur_sync_sessions_total', 'finished history sync sessions, by result', ['result'])
  const active = gauge('murmur_sync_sessions_active', 'history sync sessions running')
  const bytes = counter('murmur_sync_bytes_total', 'history sync bytes, by direction', ['direction'])
  const denied = gauge('murmur_sync_denied_peers', 'peers refused sync for breaking the protocol')
  const reservations = gauge('murmur_relay_reservations', 'circuit-relay reservations held')
  const dropped = gauge('murmur_moderation_dropped', 'posts and replies dropped since start because a followed moderator labels them drop')
  const moderators = gauge('murmur_moderators_followed', 'moderators followed')

  const setAll = (metric: Gauge | Counter, values: Record<string, number>, label: string): void => {
    metric.reset()
    for (const [key, value] of Object.entries(values)) {
      if (metric instanceof Gauge) metric.set({ [label]: key }, value)
      else metric.inc({ [label]: key }, value)
    }
  }

  const setTotal = (metric: Counter, value: number): void => {
    metric.reset()
    metric.inc(value)
  }

  return {
    libp2p: prometheusMetrics({ registry }),
    async render (s) {
      peers.set(s.peers)
      topics.set(s.topics)
      setAll(stored, s.stored, 'kind')
      setAll(messages, s.messages, 'verdict')
      setTotal(mended, s.gossipLinksMended)
      setTotal(identifiedAgain, s.identifiedAgain)
      setAll(walks, s.discoveryWalks, 'kind')
      setAll(sessions, s.syncSessions, 'result')
      active.set(s.syncActive)
      setAll(bytes, s.syncBytes, 'direction')
      denied.set(s.syncDenied)
      reservations.set(s.relayReservations)
      dropped.set(s.moderationDropped)
      moderators.set(s.moderatorsFollowed)
      return { contentType: registry.contentType, body: await registry.metrics() }
    }
  }
}
