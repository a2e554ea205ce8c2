import { randomUUID } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { checkAgainst } from './schema-check.js'
import { StateSchema, type State } from './state-schema.js'

/**
 * Reads a state or fixtures file. Returns undefined when it does not exist; throws an error
 * with a one-line message naming the file and what is wrong when it cannot be used.
 */
export function readStateFile (path: string, what: '--state-file' | '--fixtures'): State | undefined {
  let text
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && what === '--state-file') return undefined
    throw new Error(`Failed to load ${what} ${path}: cannot read it (${code ?? 'error'}).`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new Error(`Failed to load ${what} ${path}: it is not valid JSON (a torn or hand-edited file?). It was left as it is.`)
  }
  const problem = checkAgainst(StateSchema, data, 'it must be a JSON object with "namespaces"')
  if (problem !== undefined) throw new Error(`Failed to load ${what} ${path}: ${problem}. It was left as it is.`)
  return data as State
}

/**
 * A new temp file beside `path`, uniquely named and opened with O_EXCL (`wx`): it is never one
 * that exists already, nor a symlink planted there.
 */
const tempName = (path: string): string => `${path}.${randomUUID()}.tmp`

/**
 * Writes a file so that a reader sees the old or the new one, never a torn one: the whole text
 * to a new temp file, synced, then renamed over `path`. On any failure the temp file is removed
 * and `path` is left as it was.
 */
export async function writeFileAtomic (path: string, text: string): Promise<void> {
  const tmp = tempName(path)
  try {
    const handle = await open(tmp, 'wx')
    try {
      await handle.writeFile(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

export function writeFileAtomicSync (path: string, text: string): void {
  const tmp = tempName(path)
  try {
    const fd = openSync(tmp, 'wx')
    try {
      writeFileSync(fd, text) // loops until every byte is written, unlike one writeSync
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

export interface StateSaver {
  /** Saves now, synchronously (on shutdown). */
  saveNow: () => void
  stop: () => void
}

/**
 * Saves the state to `path` within `intervalMs` of a change, off the request path (from a timer),
 * atomically. `changes` is a counter that grows with every change.
 */
export function startStateSaver (options: {
  path: string
  snapshot: () => State
  changes: () => number
  onError: (err: unknown) => void
  intervalMs?: number
}): StateSaver {
  let saved = -1
  let writing = false
  const timer = setInterval(() => {
    const count = options.changes()
    if (writing || count === saved) return
    writing = true
    writeFileAtomic(options.path, JSON.stringify(options.snapshot()))
      .then(() => { saved = count }, options.onError)
      .finally(() => { writing = false })
  }, options.intervalMs ?? 250)
  timer.unref()
  return {
    saveNow () {
      writeFileAtomicSync(options.path, JSON.stringify(options.snapshot()))
      saved = options.changes()
    },
    stop () { clearInterval(timer) }
  }
}
