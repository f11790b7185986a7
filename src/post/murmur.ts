import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Envelope {
  body: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Envelope {
  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EnvelopeBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeBodyFieldEvent | EnvelopeSignatureFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

export enum Kind {
  KIND_UNSPECIFIED = 'KIND_UNSPECIFIED',
  POST = 'POST',
  REPLY = 'REPLY',
  REACTION = 'REACTION',
  DELETE = 'DELETE',
  LABEL = 'LABEL',
  REPORT = 'REPORT'
}

enum __KindValues {
  KIND_UNSPECIFIED = 0,
  POST = 1,
  REPLY = 2,
  REACTION = 3,
  DELETE = 4,
  LABEL = 5,
  REPORT = 6
}

export namespace Kind {
  export const codec = (): Codec<Kind> => {
    return enumeration<Kind>(__KindValues)
  }
}

export interface Body {
  version: number
  kind: Kind
  author: Uint8Array<ArrayBuffer>
  createdAt: bigint
  expiresAt: bigint
  tags: string[]
  geohash: string
  text: string
  parent: Uint8Array<ArrayBuffer>
  root: Uint8Array<ArrayBuffer>
  value: number
  nonce: bigint
  targets: Uint8Array<ArrayBuffer>[]
  label: string
  moderator: Uint8Array<ArrayBuffer>
}

export namespace Body {
  let _codec: Codec<Body>

  export const codec = (): Codec<Body> => {
    if (_codec == null) {
      _codec = message<Body>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(16)
          Kind.codec().encode(obj.kind, w)
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.author)
        }

        if ((obj.createdAt != null && obj.createdAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.createdAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.expiresAt)
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(50)
            w.string(value)
          }
        }

        if ((obj.geohash != null && obj.geohash !== '')) {
          w.uint32(58)
          w.string(obj.geohash)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(66)
          w.string(obj.text)
        }

        if ((obj.parent != null && obj.parent.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.parent)
        }

        if ((obj.root != null && obj.root.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.root)
        }

        if ((obj.value != null && obj.value !== 0)) {
          w.uint32(88)
          w.sint32(obj.value)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(96)
          w.uint64(obj.nonce)
        }

        if (obj.targets != null && obj.targets.length > 0) {
          for (const value of obj.targets) {
            w.uint32(106)
            w.bytes(value)
          }
        }

        if ((obj.label != null && obj.label !== '')) {
          w.uint32(114)
          w.string(obj.label)
        }

        if ((obj.moderator != null && obj.moderator.byteLength > 0)) {
          w.uint32(122)
          w.bytes(obj.moderator)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          kind: Kind.KIND_UNSPECIFIED,
          author: uint8ArrayAlloc(0),
          createdAt: 0n,
          expiresAt: 0n,
          tags: [],
          geohash: '',
          text: '',
          parent: uint8ArrayAlloc(0),
          root: uint8ArrayAlloc(0),
          value: 0,
          nonce: 0n,
          targets: [],
          label: '',
          moderator: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.kind = Kind.codec().decode(reader)
              break
            }
            case 3: {
              obj.author = reader.bytes()
              break
            }
            case 4: {
              obj.createdAt = reader.uint64()
              break
            }
            case 5: {
              obj.expiresAt = reader.uint64()
              break
            }
            case 6: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.string())
              break
            }
            case 7: {
              obj.geohash = reader.string()
              break
            }
            case 8: {
              obj.text = reader.string()
              break
            }
            case 9: {
              obj.parent = reader.bytes()
              break
            }
            case 10: {
              obj.root = reader.bytes()
              break
            }
            case 11: {
              obj.value = reader.sint32()
              break
            }
            case 12: {
              obj.nonce = reader.uint64()
              break
            }
            case 13: {
              if (opts.limits?.targets != null && obj.targets.length === opts.limits.targets) {
                throw new MaxLengthError('Decode error - repeated field "targets" had too many elements')
              }

              obj.targets.push(reader.bytes())
              break
            }
            case 14: {
              obj.label = reader.string()
              break
            }
            case 15: {
              obj.moderator = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          tags: 0,
          targets: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: Kind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.string()
              }

              obj.tags++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.geohash`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.parent`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.root`,
                value: reader.bytes()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.value`,
                value: reader.sint32()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.uint64()
              }
              break
            }
            case 13: {
              if (opts.limits?.targets != null && obj.targets === opts.limits.targets) {
                throw new MaxLengthError('Streaming decode error - repeated field "targets" had too many elements')
              }

              yield {
                field: `${prefix}.targets[]`,
                index: obj.targets,
                value: reader.bytes()
              }

              obj.targets++

              break
            }
            case 14: {
              yield {
                field: `${prefix}.label`,
                value: reader.string()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.moderator`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BodyVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface BodyKindFieldEvent {
    field: '$.kind'
    value: Kind
  }

  export interface BodyAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyCreatedAtFieldEvent {
    field: '$.createdAt'
    value: bigint
  }

  export interface BodyExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export interface BodyTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: string
  }

  export interface BodyGeohashFieldEvent {
    field: '$.geohash'
    value: string
  }

  export interface BodyTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface BodyParentFieldEvent {
    field: '$.parent'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyRootFieldEvent {
    field: '$.root'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyValueFieldEvent {
    field: '$.value'
    value: number
  }

  export interface BodyNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface BodyTargetsFieldEvent {
    field: '$.targets[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyLabelFieldEvent {
    field: '$.label'
    value: string
  }

  export interface BodyModeratorFieldEvent {
    field: '$.moderator'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Body>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Body.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Body>): Body {
    return decodeMessage(buf, Body.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Body>): Generator<BodyVersionFieldEvent | BodyKindFieldEvent | BodyAuthorFieldEvent | BodyCreatedAtFieldEvent | BodyExpiresAtFieldEvent | BodyTagsFieldEvent | BodyGeohashFieldEvent | BodyTextFieldEvent | BodyParentFieldEvent | BodyRootFieldEvent | BodyValueFieldEvent | BodyNonceFieldEvent | BodyTargetsFieldEvent | BodyLabelFieldEvent | BodyModeratorFieldEvent> {
    return streamMessage(buf, Body.codec(), opts)
  }
}
