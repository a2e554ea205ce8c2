import { randomUUID } from 'node:crypto'

/** A source of randomness: reproducible when seeded (`--seed`), else the system's. */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** A UUID v4 string. */
  uuid(): string
}

/**
 * sfc32, a small fast PRNG with a 128-bit state, seeded by hashing the seed text (cyrb128).
 * Not cryptographic: ids only need to be unique and, with a seed, the same run after run.
 */
export function createSeededRandom (seed: string): Random {
  let [a, b, c, d] = cyrb128(seed)
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
    const t = (a + b | 0) + d | 0
    d = d + 1 | 0
    a = b ^ b >>> 9
    b = c + (c << 3) | 0
    c = (c << 21 | c >>> 11)
    c = c + t | 0
    return (t >>> 0) / 4294967296
  }
  const hex = (n: number, digits: number): string => Math.floor(next() * 16 ** digits).toString(16).padStart(digits, '0')
  return {
    next,
    uuid: () => flat(`${hex(8, 8)}-${hex(4, 4)}-4${hex(3, 3)}-${(8 + Math.floor(next() * 4)).toString(16)}${hex(3, 3)}-${hex(6, 6)}${hex(6, 6)}`)
  }
}

/**
 * The same string, stored flat. `randomUUID()` (and any id built by concatenation) returns a
 * string made of pieces, about 480 bytes on V8 instead of 56; reading a character makes V8
 * flatten it in place. With two ids per task, this halves a task's memory.
 */
export function flat (text: string): string {
  text.charCodeAt(0)
  return text
}

export const systemRandom: Random = { next: Math.random, uuid: () => flat(randomUUID()) }

function cyrb128 (text: string): [number, number, number, number] {
  let h1 = 1779033703; let h2 = 3144134277; let h3 = 1013904242; let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= (h2 ^ h3 ^ h4); h2 ^= h1; h3 ^= h1; h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}
