/** One request as the journal keeps it. Credentials are never part of it. */
export interface JournalEntry {
  method: string
  path: string
  query: Record<string, unknown>
  /** 0 when the connection was dropped by a fault. */
  status: number
  user: string | null
  /** The member cluster the request addressed. */
  cluster: string
  /** Emulated time the request arrived (ms; shown as ISO-8601). */
  at: number
  duration_ms: number
}

export interface JournalFilter {
  method?: string
  path?: string
  status?: number
  cluster?: string
}

/** The last `capacity` requests, in a ring buffer: memory stays bounded whatever the load. */
export class Journal {
  private readonly entries: Array<JournalEntry | undefined>
  private next = 0
  private count = 0

  constructor (readonly capacity: number) {
    this.entries = new Array<JournalEntry | undefined>(capacity)
  }

  get size (): number {
    return this.count
  }

  record (entry: JournalEntry): void {
    if (this.capacity === 0) return
    this.entries[this.next] = entry
    this.next = (this.next + 1) % this.capacity
    if (this.count < this.capacity) this.count++
  }

  /** Oldest first (newest last), filtered. */
  list (filter: JournalFilter = {}): JournalEntry[] {
    const method = filter.method?.toUpperCase()
    const out: JournalEntry[] = []
    const start = (this.next - this.count + this.capacity) % Math.max(this.capacity, 1)
    for (let i = 0; i < this.count; i++) {
      const e = this.entries[(start + i) % this.capacity] as JournalEntry
      if (method !== undefined && e.method !== method) continue
      if (filter.path !== undefined && e.path !== filter.path) continue
      if (filter.status !== undefined && e.status !== filter.status) continue
      if (filter.cluster !== undefined && e.cluster !== filter.cluster) continue
      out.push(e)
    }
    return out
  }

  clear (): void {
    this.entries.fill(undefined)
    this.next = 0
    this.count = 0
  }
}
