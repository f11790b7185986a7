// The decoded, validated form of a wire message that the rest of murmur works with.
// Built only by the validation pipeline (validate.ts); everything downstream may trust it.

export type MessageKind = 'post' | 'reply' | 'reaction' | 'delete' | 'label' | 'report'

export interface Message {
  /** hex of sha256(body bytes): the message id */
  id: string
  kind: MessageKind
  /** hex of the 32-byte ed25519 public key that signed it (a per-post or per-thread pseudonym) */
  author: string
  /** ms since the Unix epoch */
  createdAt: number
  expiresAt: number
  /** normalised tags; for reply/reaction/delete, the root post's */
  tags: string[]
  /** geohash ('' for none); for reply/reaction/delete, the root post's */
  geohash: string
  text: string
  /** hex id the message acts on ('' for a post) */
  parent: string
  /** hex id of the thread's root post ('' for a post) */
  root: string
  /** +1 or -1 for a reaction, 0 otherwise */
  value: number
  /** hex ids labelled (label) or reported (report); [] otherwise */
  targets: string[]
  /** the label (label) or the reason (report); '' otherwise */
  label: string
  /** hex key of the moderator whose topic it travels on: the author of a label, the addressee of a report; '' otherwise */
  moderator: string
  /** the exact envelope bytes received or built: stored and forwarded as they are, never re-encoded */
  envelope: Uint8Array
}
