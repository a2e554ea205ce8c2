import { describe, it, expect } from 'vitest'
import { EventQueue, type Scheduled } from '../../src/engine/event-queue.js'

interface Item extends Scheduled {
  name: number
}

const item = (name: number): Item => ({ name, dueAt: 0, dueSeq: 0, heapIndex: -1 })

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The reference: a plain array, sorted on demand by due time, then scheduling order. */
class Model {
  entries: Array<{ item: Item, dueAt: number, seq: number }> = []
  private seq = 0
  schedule (it: Item, dueAt: number): void {
    this.remove(it)
    this.entries.push({ item: it, dueAt, seq: this.seq++ })
  }

  remove (it: Item): void {
    this.entries = this.entries.filter((e) => e.item !== it)
  }

  sorted (): Item[] {
    return [...this.entries].sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq).map((e) => e.item)
  }

  first (): Item | undefined {
    let best = this.entries[0]
    for (const e of this.entries) {
      if (best === undefined || e.dueAt < best.dueAt || (e.dueAt === best.dueAt && e.seq < best.seq)) best = e
    }
    return best?.item
  }

  pop (): Item | undefined {
    const first = this.first()
    if (first !== undefined) this.remove(first)
    return first
  }
}

describe('EventQueue', () => {
  it('pops items by due time, then by the order they were scheduled in', () => {
    const q = new EventQueue<Item>()
    const [a, b, c, d] = [item(1), item(2), item(3), item(4)]
    q.schedule(a, 20)
    q.schedule(b, 10)
    q.schedule(c, 20)
    q.schedule(d, 10)
    expect(q.size).toBe(4)
    expect(q.peek()).toBe(b)
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([b, d, a, c])
    expect(q.pop()).toBeUndefined()
    expect(q.peek()).toBeUndefined()
    expect(q.size).toBe(0)
  })

  it('moves an item that is scheduled again instead of adding it twice, behind others at the same time', () => {
    const q = new EventQueue<Item>()
    const [a, b] = [item(1), item(2)]
    q.schedule(a, 5)
    q.schedule(b, 5)
    q.schedule(a, 5)
    expect(q.size).toBe(2)
    expect(q.pop()).toBe(b)
    expect(q.pop()).toBe(a)
  })

  it('removes items, ignores removal of an unscheduled one, and marks removed items unscheduled', () => {
    const q = new EventQueue<Item>()
    const [a, b, c] = [item(1), item(2), item(3)]
    q.schedule(a, 1)
    q.schedule(b, 2)
    q.remove(a)
    q.remove(a)
    q.remove(c)
    expect(a.heapIndex).toBe(-1)
    expect(q.size).toBe(1)
    expect(q.pop()).toBe(b)
    expect(b.heapIndex).toBe(-1)
  })

  it('clears every item and marks them all unscheduled', () => {
    const q = new EventQueue<Item>()
    const items = [item(1), item(2), item(3)]
    items.forEach((it, i) => q.schedule(it, i))
    q.clear()
    expect(q.size).toBe(0)
    expect(items.map((it) => it.heapIndex)).toEqual([-1, -1, -1])
    q.schedule(items[2] as Item, 7)
    expect(q.pop()).toBe(items[2])
  })

  for (const seed of [1, 2, 3, 42, 1337]) {
    it(`agrees with a sorted-array model over 3000 random operations (seed ${seed})`, () => {
      const rnd = random(seed)
      const q = new EventQueue<Item>()
      const model = new Model()
      const pool = Array.from({ length: 60 }, (_, i) => item(i))
      // plain comparisons in the loop (expect() per step is slow); the first mismatch fails the test
      let mismatch: string | null = null
      for (let step = 0; step < 3000 && mismatch === null; step++) {
        const op = rnd()
        const it = pool[Math.floor(rnd() * pool.length)] as Item
        if (op < 0.5) {
          // few distinct times, so ties are common
          const dueAt = Math.floor(rnd() * 20)
          q.schedule(it, dueAt)
          model.schedule(it, dueAt)
          if (it.dueAt !== dueAt) mismatch = `step ${step}: schedule set dueAt ${it.dueAt}, not ${dueAt}`
        } else if (op < 0.7) {
          q.remove(it)
          model.remove(it)
          if (it.heapIndex !== -1) mismatch = `step ${step}: removed item ${it.name} still has heapIndex ${it.heapIndex}`
        } else {
          const popped = q.pop()
          const expected = model.pop()
          if (popped !== expected) mismatch = `step ${step}: popped ${popped?.name}, expected ${expected?.name}`
          else if (popped !== undefined && popped.heapIndex !== -1) mismatch = `step ${step}: popped item keeps heapIndex`
        }
        if (mismatch === null && q.size !== model.entries.length) mismatch = `step ${step}: size ${q.size}, expected ${model.entries.length}`
        if (mismatch === null && q.peek() !== model.first()) mismatch = `step ${step}: peek ${q.peek()?.name}, expected ${model.first()?.name}`
      }
      expect(mismatch).toBeNull()
      const drained: Item[] = []
      for (let next = q.pop(); next !== undefined; next = q.pop()) drained.push(next)
      expect(drained).toEqual(model.sorted())
      expect(pool.every((it) => it.heapIndex === -1)).toBe(true)
    })
  }
})
