/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// A live line chart of gossip messages per second, drawn by hand on a <canvas>: the node's
// status holds cumulative counters, the chart plots their per-second deltas.

export interface RateSample {
  accepted: number
  rejected: number
  ignored: number
}

interface Series { key: keyof RateSample, label: string, colorVar: string, dashed?: boolean }

export const SERIES: Series[] = [
  { key: 'accepted', label: 'Accepted', colorVar: '--good' },
  { key: 'rejected', label: 'Rejected', colorVar: '--bad' },
  { key: 'ignored', label: 'Ignored', colorVar: '--warn', dashed: true }
]

export class RateChart {
  readonly canvas: HTMLCanvasElement
  private readonly samples: RateSample[] = []
  private readonly capacity: number

  constructor (canvas: HTMLCanvasElement, capacity = 60) {
    this.canvas = canvas
    this.capacity = capacity
  }

  push (sample: RateSample): void {
    this.samples.push(sample)
    if (this.samples.length > this.capacity) this.samples.shift()
    this.draw()
  }

  get length (): number {
    return this.samples.length
  }

  draw (): void {
    const canvas = this.canvas
    const ratio = window.devicePixelRatio || 1
    const width = canvas.clientWidth
    const height = canvas.clientHeight
    if (width === 0 || height === 0) return
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio)
      canvas.height = Math.round(height * ratio)
    }
    const ctx = canvas.getContext('2d')
    if (ctx == null) return
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.clearRect(0, 0, width, height)

    const style = getComputedStyle(canvas)
    const color = (name: string): string => style.getPropertyValue(name).trim() || '#888'
    const left = 34
    const right = 8
    const top = 10
    const bottom = 20
    const plotW = width - left - right
    const plotH = height - top - bottom

    const peak = Math.max(1, ...this.samples.flatMap(s => SERIES.map(series => s[series.key])))
    const { max, divisions } = niceScale(peak)

    // grid and y labels
    ctx.font = '11px system-ui, sans-serif'
    ctx.fillStyle = color('--muted')
    ctx.strokeStyle = color('--line')
    ctx.lineWidth = 1
    ctx.textAlign = 'right'
    ctx.textBaseline = 'middle'
    for (let i = 0; i <= divisions; i++) {
      const y = top + plotH - (plotH * i) / divisions
      ctx.beginPath()
      ctx.moveTo(left, Math.round(y) + 0.5)
      ctx.lineTo(width - right, Math.round(y) + 0.5)
      ctx.stroke()
      ctx.fillText(formatRate((max * i) / divisions), left - 6, y)
    }
    ctx.textAlign = 'left'
    ctx.textBaseline = 'alphabetic'
    ctx.fillText(`${this.capacity} s ago`, left, height - 4)
    ctx.textAlign = 'right'
    ctx.fillText('now', width - right, height - 4)

    const step = plotW / Math.max(1, this.capacity - 1)
    const offset = this.capacity - this.samples.length
    for (const series of SERIES) {
      if (this.samples.length === 0) break
      const stroke = color(series.colorVar)
      const points = this.samples.map((s, i): [number, number] => [
        left + (offset + i) * step,
        top + plotH - (s[series.key] / max) * plotH
      ])
      if (series.key === 'accepted') {
        ctx.beginPath()
        ctx.moveTo(points[0][0], top + plotH)
        for (const [x, y] of points) ctx.lineTo(x, y)
        ctx.lineTo(points[points.length - 1][0], top + plotH)
        ctx.closePath()
        ctx.globalAlpha = 0.16
        ctx.fillStyle = stroke
        ctx.fill()
        ctx.globalAlpha = 1
      }
      ctx.beginPath()
      points.forEach(([x, y], i) => { if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y) })
      ctx.strokeStyle = stroke
      ctx.lineWidth = 2
      ctx.lineJoin = 'round'
      ctx.setLineDash(series.dashed === true ? [4, 4] : [])
      ctx.stroke()
      ctx.setLineDash([])
      const [lx, ly] = points[points.length - 1]
      ctx.beginPath()
      ctx.arc(lx, ly, 3, 0, Math.PI * 2)
      ctx.fillStyle = stroke
      ctx.fill()
    }
  }
}

/** A round top for the y axis (1, 2 or 5 × 10ⁿ) and a division count that gives round ticks. */
function niceScale (value: number): { max: number, divisions: number } {
  const power = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) {
    if (value <= m * power) return { max: m * power, divisions: m === 2 ? 4 : 5 }
  }
  return { max: 10 * power, divisions: 5 }
}

export function formatRate (value: number): string {
  if (value === 0) return '0'
  if (value < 10) return value.toFixed(1).replace(/\.0$/, '')
  return String(Math.round(value))
}
