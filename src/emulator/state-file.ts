import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
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

/** Writes a file so that a reader sees the old or the new one, never a torn one. */
export async function writeFileAtomic (path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(tmp, path)
}

export function writeFileAtomicSync (path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
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
