// The name and colour a thread shows for an author key. Derived from the key alone, so every
// node shows the same pseudonym, and unlinkable across threads because the keys are.

import { sha256 } from '@noble/hashes/sha2.js'
import { hexToBytes } from '@noble/hashes/utils.js'

export interface Pseudonym {
  /** e.g. "Amber Otter" */
  name: string
  /** "#rrggbb", dark enough for white text and for text on a light background */
  color: string
}

const ADJECTIVES = [
  'Amber', 'Azure', 'Bold', 'Brave', 'Bright', 'Calm', 'Clever', 'Coral',
  'Cosmic', 'Crimson', 'Curious', 'Daring', 'Dusky', 'Eager', 'Electric', 'Emerald',
  'Fancy', 'Fearless', 'Gentle', 'Gilded', 'Golden', 'Happy', 'Hidden', 'Humble',
  'Indigo', 'Jolly', 'Keen', 'Kind', 'Lively', 'Lucky', 'Lunar', 'Mellow',
  'Merry', 'Misty', 'Noble', 'Nimble', 'Olive', 'Patient', 'Plucky', 'Polar',
  'Quiet', 'Quick', 'Radiant', 'Rapid', 'Rosy', 'Rustic', 'Sandy', 'Scarlet',
  'Serene', 'Silver', 'Sleepy', 'Snowy', 'Solar', 'Sparkly', 'Spry', 'Stormy',
  'Sunny', 'Swift', 'Teal', 'Tidy', 'Velvet', 'Violet', 'Witty', 'Zesty'
]

const ANIMALS = [
  'Otter', 'Badger', 'Bear', 'Beaver', 'Bison', 'Bobcat', 'Camel', 'Cheetah',
  'Condor', 'Coyote', 'Crane', 'Deer', 'Dingo', 'Dolphin', 'Eagle', 'Falcon',
  'Ferret', 'Finch', 'Fox', 'Gecko', 'Gazelle', 'Heron', 'Hedgehog', 'Ibis',
  'Jackal', 'Jaguar', 'Koala', 'Lemur', 'Leopard', 'Lion', 'Llama', 'Lynx',
  'Magpie', 'Marmot', 'Mink', 'Moose', 'Narwhal', 'Newt', 'Ocelot', 'Octopus',
  'Orca', 'Owl', 'Panda', 'Panther', 'Parrot', 'Pelican', 'Penguin', 'Puffin',
  'Quokka', 'Rabbit', 'Raccoon', 'Raven', 'Seal', 'Sloth', 'Sparrow', 'Swan',
  'Tapir', 'Tiger', 'Toucan', 'Turtle', 'Walrus', 'Wolf', 'Yak', 'Zebra'
]

/** WCAG AA contrast against white: the colour works as text on a light page and behind white text. */
const MIN_CONTRAST = 4.5

/** The pseudonym of a hex author key; names repeat (4096 of them), the colour tells them apart. */
export function pseudonym (author: string): Pseudonym {
  const h = sha256(hexToBytes(author))
  const name = `${ADJECTIVES[h[0] % ADJECTIVES.length]} ${ANIMALS[h[1] % ANIMALS.length]}`
  const hue = ((h[2] << 8) | h[3]) % 360
  const saturation = 0.55 + (h[4] / 255) * 0.25
  // yellows and greens look lighter than blues at the same lightness, so darken until readable
  let lightness = 0.3 + (h[5] / 255) * 0.15
  let rgb = hslToRgb(hue, saturation, lightness)
  while (contrastWithWhite(rgb) < MIN_CONTRAST) {
    lightness -= 0.02
    rgb = hslToRgb(hue, saturation, lightness)
  }
  return { name, color: `#${rgb.map(c => c.toString(16).padStart(2, '0')).join('')}` }
}

function hslToRgb (hue: number, saturation: number, lightness: number): number[] {
  const a = saturation * Math.min(lightness, 1 - lightness)
  return [0, 8, 4].map(n => {
    const k = (n + hue / 30) % 12
    return Math.round((lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))) * 255)
  })
}

function contrastWithWhite (rgb: number[]): number {
  const [r, g, b] = rgb.map(c => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  })
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)
}
