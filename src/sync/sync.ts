import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SyncFrame {
  open?: Open
  neg?: Uint8Array<ArrayBuffer>
  want?: Ids
  envelopes?: Envelopes
  done?: boolean
  error?: string
}

export namespace SyncFrame {
  let _codec: Codec<SyncFrame>

  export const codec = (): Codec<SyncFrame> => {
    if (_codec == null) {
      _codec = message<SyncFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.open != null) {
          w.uint32(10)
          Open.codec().encode(obj.open, w)
        }

        if (obj.neg != null) {
          w.uint32(18)
          w.bytes(obj.neg)
        }

        if (obj.want != null) {
          w.uint32(34)
          Ids.codec().encode(obj.want, w)
        }

        if (obj.envelopes != null) {
          w.uint32(42)
          Envelopes.codec().encode(obj.envelopes, w)
        }

        if (obj.done != null) {
          w.uint32(48)
          w.bool(obj.done)
        }

        if (obj.error != null) {
          w.uint32(58)
          w.string(obj.error)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.open = Open.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.open
              })
              break
            }
            case 2: {
              obj.neg = reader.bytes()
              break
            }
            case 4: {
              obj.want = Ids.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.want
              })
              break
            }
            case 5: {
              obj.envelopes = Envelopes.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.envelopes
              })
              break
            }
            case 6: {
              obj.done = reader.bool()
              break
            }
            case 7: {
              obj.error = reader.string()
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
              yield * Open.codec().stream(reader, reader.uint32(), `${prefix}.open`, {
                limits: opts.limits?.open
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.neg`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield * Ids.codec().stream(reader, reader.uint32(), `${prefix}.want`, {
                limits: opts.limits?.want
              })

              break
            }
            case 5: {
              yield * Envelopes.codec().stream(reader, reader.uint32(), `${prefix}.envelopes`, {
                limits: opts.limits?.envelopes
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
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

  export interface SyncFrameOpenTopicFieldEvent {
    field: '$.open.topic'
    value: string
  }

  export interface SyncFrameOpenSinceFieldEvent {
    field: '$.open.since'
    value: bigint
  }

  export interface SyncFrameNegFieldEvent {
    field: '$.neg'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameWantIdsFieldEvent {
    field: '$.want.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameEnvelopesItemsFieldEvent {
    field: '$.envelopes.items[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameEnvelopesEndFieldEvent {
    field: '$.envelopes.end'
    value: boolean
  }

  export interface SyncFrameDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export interface SyncFrameErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export function encode (obj: Partial<SyncFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): SyncFrame {
    return decodeMessage(buf, SyncFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): Generator<SyncFrameOpenTopicFieldEvent | SyncFrameOpenSinceFieldEvent | SyncFrameNegFieldEvent | SyncFrameWantIdsFieldEvent | SyncFrameEnvelopesItemsFieldEvent | SyncFrameEnvelopesEndFieldEvent | SyncFrameDoneFieldEvent | SyncFrameErrorFieldEvent> {
    return streamMessage(buf, SyncFrame.codec(), opts)
  }
}

export interface Open {
  topic: string
  since: bigint
}

export namespace Open {
  let _codec: Codec<Open>

  export const codec = (): Codec<Open> => {
    if (_codec == null) {
      _codec = message<Open>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.topic != null && obj.topic !== '')) {
          w.uint32(10)
          w.string(obj.topic)
        }

        if ((obj.since != null && obj.since !== 0n)) {
          w.uint32(16)
          w.uint64(obj.since)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          topic: '',
          since: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.topic = reader.string()
              break
            }
            case 2: {
              obj.since = reader.uint64()
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
                field: `${prefix}.topic`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.since`,
                value: reader.uint64()
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

  export interface OpenTopicFieldEvent {
    field: '$.topic'
    value: string
  }

  export interface OpenSinceFieldEvent {
    field: '$.since'
    value: bigint
  }

  export function encode (obj: Partial<Open>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Open.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Open>): Open {
    return decodeMessage(buf, Open.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Open>): Generator<OpenTopicFieldEvent | OpenSinceFieldEvent> {
    return streamMessage(buf, Open.codec(), opts)
  }
}

export interface Ids {
  ids: Uint8Array<ArrayBuffer>[]
}

export namespace Ids {
  let _codec: Codec<Ids>

  export const codec = (): Codec<Ids> => {
    if (_codec == null) {
      _codec = message<Ids>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.ids != null && obj.ids.length > 0) {
          for (const value of obj.ids) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ids: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
              }

              obj.ids.push(reader.bytes())
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
          ids: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.ids != null && obj.ids === opts.limits.ids) {
                throw new MaxLengthError('Streaming decode error - repeated field "ids" had too many elements')
              }

              yield {
                field: `${prefix}.ids[]`,
                index: obj.ids,
                value: reader.bytes()
              }

              obj.ids++

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

  export interface IdsIdsFieldEvent {
    field: '$.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Ids>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ids.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ids>): Ids {
    return decodeMessage(buf, Ids.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ids>): Generator<IdsIdsFieldEvent> {
    return streamMessage(buf, Ids.codec(), opts)
  }
}

export interface Envelopes {
  items: Uint8Array<ArrayBuffer>[]
  end: boolean
}

export namespace Envelopes {
  let _codec: Codec<Envelopes>

  export const codec = (): Codec<Envelopes> => {
    if (_codec == null) {
      _codec = message<Envelopes>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.items != null && obj.items.length > 0) {
          for (const value of obj.items) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if ((obj.end != null && obj.end !== false)) {
          w.uint32(16)
          w.bool(obj.end)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          items: [],
          end: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.items != null && obj.items.length === opts.limits.items) {
                throw new MaxLengthError('Decode error - repeated field "items" had too many elements')
              }

              obj.items.push(reader.bytes())
              break
            }
            case 2: {
              obj.end = reader.bool()
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
          items: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.items != null && obj.items === opts.limits.items) {
                throw new MaxLengthError('Streaming decode error - repeated field "items" had too many elements')
              }

              yield {
                field: `${prefix}.items[]`,
                index: obj.items,
                value: reader.bytes()
              }

              obj.items++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.end`,
                value: reader.bool()
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

  export interface EnvelopesItemsFieldEvent {
    field: '$.items[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopesEndFieldEvent {
    field: '$.end'
    value: boolean
  }

  export function encode (obj: Partial<Envelopes>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelopes.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelopes>): Envelopes {
    return decodeMessage(buf, Envelopes.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelopes>): Generator<EnvelopesItemsFieldEvent | EnvelopesEndFieldEvent> {
    return streamMessage(buf, Envelopes.codec(), opts)
  }
}
