// The JSON shape of a post that the API, the CLI and the web page show: stored fields plus
// what only this node knows (is it mine, is its author the thread's OP) and the pseudonym.

import { pseudonym } from '../post/index.js'
import { score } from '../ranking/index.js'
import type { StoredPost } from '../store/index.js'

export interface PostView {
  id: string
  kind: StoredPost['kind']
  text: string
  tags: string[]
  geohash: string
  createdAt: number
  expiresAt: number
  /** the thread pseudonym's short display form */
  author: string
  authorColor: string
  isMine: boolean
  isOp: boolean
  up: number
  down: number
  score: number
  replies: number
  parent: string
  root: string
  /** the local user's own reaction, if any */
  myReaction: number
  /** a coarse distance bucket, only in near-me feeds */
  distance?: string
  /** labels a followed moderator gave it whose action here is `warn` (the page blurs it); absent when none */
  warnings?: string[]
  /** true when the user's mutes or a followed moderator's label hide it (a thread's root, a live event); absent otherwise */
  hidden?: boolean
}

export interface ViewContext {
  isMine: boolean
  /** author key of the thread's root post, when known */
  opAuthor?: string
  myReaction?: number
  distance?: string
  warnings?: string[]
  hidden?: boolean
}

export function toView (post: StoredPost, ctx: ViewContext): PostView {
  const who = pseudonym(post.author)
  return {
    id: post.id,
    kind: post.kind,
    text: post.text,
    tags: post.tags,
    geohash: post.geohash,
    createdAt: post.createdAt,
    expiresAt: post.expiresAt,
    author: who.name,
    authorColor: who.color,
    isMine: ctx.isMine,
    isOp: post.kind === 'post' || (ctx.opAuthor != null && ctx.opAuthor === post.author),
    up: post.up,
    down: post.down,
    score: score(post.up, post.down),
    replies: post.replies,
    parent: post.parent,
    root: post.root,
    myReaction: ctx.myReaction ?? 0,
    ...(ctx.distance != null ? { distance: ctx.distance } : {}),
    ...(ctx.warnings != null && ctx.warnings.length > 0 ? { warnings: ctx.warnings } : {}),
    ...(ctx.hidden === true ? { hidden: true } : {})
  }
}
