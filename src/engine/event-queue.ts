/**
 * An indexed binary min-heap of scheduled items, ordered by due time and then by the order in
 * which they were scheduled (so events due at the same instant fire deterministically).
 *
 * Each item holds its own position, so rescheduling or removing one is O(log n) and an item is
 * never in the heap twice: a task has at most one pending event at a time.
 */
export interface Scheduled {
  /** When the item is due (emulated ms). Set by the queue. */
  dueAt: number
  /** Tie-breaker among equal due times. Set by the queue. */
  dueSeq: number
  /** Position in the heap, -1 when not scheduled. Owned by the queue. */
  heapIndex: number
}

export class EventQueue<T extends Scheduled> {
  private readonly heap: T[] = []
  private seq = 0

  get size (): number {
    return this.heap.length
  }

  /** The item due first, without removing it. */
  peek (): T | undefined {
    return this.heap[0]
  }

  /** Schedules `item` at `dueAt`, moving it if it was already scheduled. */
  schedule (item: T, dueAt: number): void {
    item.dueAt = dueAt
    item.dueSeq = this.seq++
    if (item.heapIndex < 0) {
      item.heapIndex = this.heap.length
      this.heap.push(item)
      this.up(item.heapIndex)
    } else {
      this.fix(item.heapIndex)
    }
  }

  /** Removes `item` if it is scheduled. */
  remove (item: T): void {
    const i = item.heapIndex
    if (i < 0) return
    const last = this.heap.pop() as T
    item.heapIndex = -1
    if (last !== item) {
      this.heap[i] = last
      last.heapIndex = i
      this.fix(i)
    }
  }

  /** Removes and returns the item due first. */
  pop (): T | undefined {
    const top = this.heap[0]
    if (top !== undefined) this.remove(top)
    return top
  }

  clear (): void {
    for (const item of this.heap) item.heapIndex = -1
    this.heap.length = 0
  }

  private fix (i: number): void {
    if (!this.up(i)) this.down(i)
  }

  private less (a: T, b: T): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.dueSeq < b.dueSeq)
  }

  private up (i: number): boolean {
    const heap = this.heap
    const item = heap[i] as T
    let moved = false
    while (i > 0) {
      const parentIndex = (i - 1) >> 1
      const parent = heap[parentIndex] as T
      if (!this.less(item, parent)) break
      heap[i] = parent
      parent.heapIndex = i
      i = parentIndex
      moved = true
    }
    heap[i] = item
    item.heapIndex = i
    return moved
  }

  private down (i: number): void {
    const heap = this.heap
    const n = heap.length
    const item = heap[i] as T
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      let child = left
      if (right < n && this.less(heap[right] as T, heap[left] as T)) child = right
      const c = heap[child] as T
      if (!this.less(c, item)) break
      heap[i] = c
      c.heapIndex = i
      i = child
    }
    heap[i] = item
    item.heapIndex = i
  }
}
