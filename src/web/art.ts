/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Generated card art, deterministic from a post id (as Whisper put an image behind each
// post): a two-hue gradient with a few soft shapes, all seeded by the id's hex. Same id,
// same picture, on every node. And pseudonym avatars from the API's name and colour.

import { h, s } from './dom.js'

/** A 32-bit seed from a hex id (FNV-1a over its characters). */
function seedOf (id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** mulberry32: small, fast, good enough for pictures. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ArtSpec {
  hueA: number
  hueB: number
  angle: number
  shapes: Array<
    | { type: 'circle', cx: number, cy: number, r: number, fill: string, opacity: number }
    | { type: 'ring', cx: number, cy: number, r: number, width: number, stroke: string, opacity: number }
    | { type: 'blob', d: string, fill: string, opacity: number }
    | { type: 'wave', d: string, fill: string, opacity: number }
  >
}

const W = 400
const H = 300

/** The art of an id as data, so that tests and other renderers can share it. */
export function artSpec (id: string): ArtSpec {
  const r = random(seedOf(id))
  const hueA = Math.floor(r() * 360)
  const hueB = (hueA + 35 + Math.floor(r() * 80)) % 360
  const angle = Math.floor(r() * 360)
  const light = (o: number): string => `hsla(${(hueA + 180 + Math.floor(r() * 60)) % 360}, 90%, 85%, ${o})`
  const shapes: ArtSpec['shapes'] = []
  const count = 3 + Math.floor(r() * 4)
  for (let i = 0; i < count; i++) {
    const kind = r()
    const cx = r() * W
    const cy = r() * H
    if (kind < 0.35) {
      shapes.push({ type: 'circle', cx, cy, r: 30 + r() * 110, fill: r() < 0.5 ? '#ffffff' : light(1), opacity: 0.08 + r() * 0.16 })
    } else if (kind < 0.6) {
      shapes.push({ type: 'ring', cx, cy, r: 25 + r() * 90, width: 4 + r() * 14, stroke: '#ffffff', opacity: 0.1 + r() * 0.15 })
    } else if (kind < 0.85) {
      const points = 5 + Math.floor(r() * 3)
      const radius = 40 + r() * 80
      const pts: Array<[number, number]> = []
      for (let p = 0; p < points; p++) {
        const a = (p / points) * Math.PI * 2
        const rr = radius * (0.7 + r() * 0.5)
        pts.push([cx + Math.cos(a) * rr, cy + Math.sin(a) * rr])
      }
      // a smooth closed curve through the midpoints of the polygon's sides
      const mid = (i: number): [number, number] => {
        const [x1, y1] = pts[i % points]
        const [x2, y2] = pts[(i + 1) % points]
        return [(x1 + x2) / 2, (y1 + y2) / 2]
      }
      let d = `M${mid(0).map(n => n.toFixed(1)).join(' ')}`
      for (let p = 1; p <= points; p++) {
        const [x, y] = pts[p % points]
        const [mx, my] = mid(p)
        d += ` Q${x.toFixed(1)} ${y.toFixed(1)} ${mx.toFixed(1)} ${my.toFixed(1)}`
      }
      shapes.push({ type: 'blob', d: `${d}Z`, fill: r() < 0.5 ? '#ffffff' : light(1), opacity: 0.08 + r() * 0.14 })
    } else {
      const y = H * (0.45 + r() * 0.5)
      const amp = 15 + r() * 35
      const d = `M0 ${y.toFixed(1)} C${(W * 0.3).toFixed(1)} ${(y - amp).toFixed(1)} ${(W * 0.6).toFixed(1)} ${(y + amp).toFixed(1)} ${W} ${(y - amp / 2).toFixed(1)} L${W} ${H} L0 ${H}Z`
      shapes.push({ type: 'wave', d, fill: '#000000', opacity: 0.08 + r() * 0.1 })
    }
  }
  return { hueA, hueB, angle, shapes }
}

let instances = 0

/** The art as an SVG element that fills its box. */
export function cardArt (id: string): SVGSVGElement {
  const spec = artSpec(id)
  const gradient = `art-${id.slice(0, 10)}-${++instances}`
  const rad = (spec.angle * Math.PI) / 180
  const x = Math.cos(rad) / 2
  const y = Math.sin(rad) / 2
  return s('svg', {
    class: 'art',
    viewBox: `0 0 ${W} ${H}`,
    preserveAspectRatio: 'xMidYMid slice',
    'aria-hidden': 'true',
    focusable: 'false'
  },
  s('defs', null,
    s('linearGradient', { id: gradient, x1: 0.5 - x, y1: 0.5 - y, x2: 0.5 + x, y2: 0.5 + y },
      s('stop', { offset: 0, 'stop-color': `hsl(${spec.hueA}, 68%, 46%)` }),
      s('stop', { offset: 1, 'stop-color': `hsl(${spec.hueB}, 72%, 36%)` })
    )
  ),
  s('rect', { width: W, height: H, fill: `url(#${gradient})` }),
  spec.shapes.map(shape => {
    switch (shape.type) {
      case 'circle': return s('circle', { cx: shape.cx.toFixed(1), cy: shape.cy.toFixed(1), r: shape.r.toFixed(1), fill: shape.fill, 'fill-opacity': shape.opacity.toFixed(3) })
      case 'ring': return s('circle', { cx: shape.cx.toFixed(1), cy: shape.cy.toFixed(1), r: shape.r.toFixed(1), fill: 'none', stroke: shape.stroke, 'stroke-width': shape.width.toFixed(1), 'stroke-opacity': shape.opacity.toFixed(3) })
      case 'blob':
      case 'wave': return s('path', { d: shape.d, fill: shape.fill, 'fill-opacity': shape.opacity.toFixed(3) })
    }
    return null
  }))
}

/** "Amber Otter" → "AO". */
export function initials (name: string): string {
  const letters = name.split(/\s+/).filter(Boolean).map(word => [...word][0]?.toUpperCase() ?? '')
  return letters.slice(0, 2).join('') || '?'
}

/** A round avatar in the thread pseudonym's colour. */
export function avatar (name: string, color: string, size = 36): HTMLElement {
  const safe = /^#[0-9a-f]{6}$/i.test(color) ? color : '#5b5b66'
  return h('span', {
    class: 'avatar',
    style: `background:${safe};width:${size}px;height:${size}px;font-size:${Math.round(size * 0.38)}px`,
    'aria-hidden': 'true'
  }, initials(name))
}
