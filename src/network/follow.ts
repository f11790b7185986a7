// Following every topic: a community relay joins each murmur topic its peers subscribe to,
// so it is a mesh peer and a history keeper for whatever its community talks about.

import { fromGossipTopic, formatTopic } from '../geo/index.js'
import type { MurmurLibp2p } from './libp2p.js'
import type { Logger, Startable } from '@libp2p/interface'
import type { SubscriptionChangeData } from '@libp2p/gossipsub'

export interface TopicFollowerInit {
  libp2p: MurmurLibp2p
  log: Logger
  /** topics joined now, API form */
  joined: () => string[]
  join: (topic: string) => Promise<unknown>
  /** a peer announcing thousands of topics must not make us join them all */
  maxTopics: number
}

export type TopicFollower = Startable

export function createTopicFollower ({ libp2p, log, joined, join, maxTopics }: TopicFollowerInit): TopicFollower {
  let full = false
  // joins in flight count against the limit: a burst of subscriptions must not overshoot it
  const joining = new Set<string>()

  const onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    for (const { topic, subscribe } of evt.detail.subscriptions) {
      if (!subscribe) continue
      // anything that is not a murmur topic name is not ours to carry
      const parsed = fromGossipTopic(topic)
      if (parsed == null) continue
      const name = formatTopic(parsed)
      const current = new Set([...joined(), ...joining])
      if (current.has(name)) continue
      if (current.size >= maxTopics) {
        if (!full) log('following no more topics: %d joined, the limit', current.size)
        full = true
        continue
      }
      joining.add(name)
      join(name)
        .catch(err => { log.error('could not follow %s - %e', name, err) })
        .finally(() => { joining.delete(name) })
    }
  }

  return {
    start () {
      libp2p.services.pubsub.addEventListener('subscription-change', onSubscriptionChange)
    },
    stop () {
      libp2p.services.pubsub.removeEventListener('subscription-change', onSubscriptionChange)
    }
  }
}
