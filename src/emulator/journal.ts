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

/**
 * What one journal entry keeps at most: a path of 1 024 characters, 32 query parameters, each
 * name and value cut to 256 characters (a value that is not a string is kept as its JSON text,
 * cut the same way), a user of 256. An entry is then a few KiB at the most, whatever a client
 * sends, so `--journal-size` entries bound the journal's memory.
 */
export const JOURNAL_LIMITS = { path: 1024, queryParams: 32, text: 256 } as const

const clip = (text: string, max: number): string => text.length > max ? `${text.slice(0, max)}...` : text

function cut (entry: JournalEntry): JournalEntry {
  const query: Record<string, string> = {}
  for (const [key, value] of Object.entries(entry.query).slice(0, JOURNAL_LIMITS.queryParams)) {
    query[clip(key, JOURNAL_LIMITS.text)] = clip(typeof value === 'string' ? value : JSON.stringify(value) ?? '', JOURNAL_LIMITS.text)
  }
  return {
    ...entry,
    path: clip(entry.path, JOURNAL_LIMITS.path),
    query,
    user: entry.user === null ? null : clip(entry.user, JOURNAL_LIMITS.text)
  }
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

  /** Keeps `entry`, cut to size (see `JOURNAL_LIMITS`), so that the journal is bounded in bytes too. */
  record (entry: JournalEntry): void {
    if (this.capacity === 0) return
    this.entries[this.next] = cut(entry)
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
