import { randomUUID } from 'node:crypto'
import { accessSync, closeSync, constants, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
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
 * Text to write: one string, or pieces to write one after another, where a piece that is an
 * array is a list of JSON values to write separated by commas (the tasks of a state, taken
 * as they are kept, with no copy).
 */
export type Text = string | ReadonlyArray<string | readonly string[]>

/** About this much text goes into one write, so that a big save leaves room for requests between writes (and each batch is a small string, cheap to collect). */
const WRITE_BYTES = 1 << 16

/** Groups the pieces into writes of about `WRITE_BYTES`. */
function * batches (text: Text): Generator<string> {
  if (typeof text === 'string') {
    yield text
    return
  }
  let batch: string[] = []
  let length = 0
  const add = function * (piece: string): Generator<string> {
    batch.push(piece)
    length += piece.length
    if (length >= WRITE_BYTES) {
      yield batch.join('')
      batch = []
      length = 0
    }
  }
  for (const piece of text) {
    if (typeof piece === 'string') {
      yield * add(piece)
      continue
    }
    for (const [i, value] of piece.entries()) yield * add(i === 0 ? value : `,${value}`)
  }
  if (batch.length > 0) yield batch.join('')
}

/** The whole text, as one string (what a save writes). */
export function joinText (text: Text): string {
  return [...batches(text)].join('')
}

/** Makes a rename in `dir` durable: the directory's entry is synced too (where the system can). */
async function syncDirectory (dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
  } catch {
    return // a system that cannot open a directory cannot sync it either
  }
  try {
    await handle.sync()
  } catch (err) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
  } finally {
    await handle.close()
  }
}

function syncDirectorySync (dir: string): void {
  let fd
  try {
    fd = openSync(dir, 'r')
  } catch {
    return
  }
  try {
    fsyncSync(fd)
  } catch (err) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err
  } finally {
    closeSync(fd)
  }
}

/**
 * Writes a file so that a reader sees the old or the new one, never a torn one: the whole text
 * to a new temp file (in writes of about a MiB, each awaited, so that requests are answered
 * between them), synced, renamed over `path`, and the directory synced. On any failure the temp
 * file is removed and `path` is left as it was.
 */
export async function writeFileAtomic (path: string, text: Text): Promise<void> {
  const tmp = tempName(path)
  try {
    const handle = await open(tmp, 'wx')
    try {
      for (const batch of batches(text)) await handle.writeFile(batch) // each loops until every byte is written
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDirectory(dirname(path))
}

export function writeFileAtomicSync (path: string, text: Text): void {
  const tmp = tempName(path)
  try {
    const fd = openSync(tmp, 'wx')
    try {
      for (const batch of batches(text)) writeFileSync(fd, batch) // loops until every byte is written, unlike one writeSync
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  syncDirectorySync(dirname(path))
}

export interface StateSaver {
  /** Saves now, synchronously (on shutdown). */
  saveNow: () => void
  stop: () => void
}

/**
 * Saves the state to `path` within `intervalMs` of a change, off the request path (from a timer),
 * atomically. `changes` is a counter that grows with every change; `snapshot` takes the state
 * as it is now, as text (see `NamespaceRegistry.exportStateText`), after `prepare` has readied it
 * a part at a time.
 */
export function startStateSaver (options: {
  path: string
  /** Work to do before a save, a part per turn of the event loop (see `NamespaceRegistry.prepareSave`). */
  prepare?: () => Iterable<void>
  snapshot: () => Text
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
    const save = async (): Promise<void> => {
      const parts = options.prepare?.()[Symbol.iterator]()
      while (parts?.next().done === false) await new Promise((resolve) => setImmediate(resolve))
      await writeFileAtomic(options.path, options.snapshot())
    }
    save()
      .then(() => { saved = count }, options.onError)
      .finally(() => { writing = false })
  }, options.intervalMs ?? 250)
  timer.unref()
  return {
    saveNow () {
      writeFileAtomicSync(options.path, options.snapshot())
      saved = options.changes()
    },
    stop () { clearInterval(timer) }
  }
}

/** A temp file a save left behind (`<file>.<uuid>.tmp`), named so that nothing else matches. */
const TEMP = /^\.?(.+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/** Removes the temp files of saves of `path` (a crash midway, or a save cut short by the exit). */
export function removeTempFiles (path: string): void {
  const dir = dirname(path)
  for (const name of readdirSync(dir)) {
    if (TEMP.exec(name)?.[1] === basename(path)) rmSync(join(dir, name), { force: true })
  }
}

/**
 * Readies `--state-file` before anything starts: the path must be a regular file or nothing, in
 * a directory that exists and can be written; temp files an earlier save left (a crash midway)
 * are removed; and the file is locked (`<file>.lock`, holding the pid), so that two emulators
 * never share one state file. A lock whose process is gone is taken over. Throws with a one-line
 * message when the file cannot be used. Answers how to release the lock.
 */
export function prepareStateFile (path: string, me: { pid: number, isAlive: (pid: number) => boolean }): { release: () => void } {
  const dir = dirname(path)
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory')
    accessSync(dir, constants.W_OK)
  } catch {
    throw new Error(`Failed to use --state-file ${path}: its directory ${dir} does not exist or cannot be written. Create it, or pick another path.`)
  }
  let stat
  try {
    stat = lstatSync(path)
  } catch {}
  if (stat !== undefined && !stat.isFile()) throw new Error(`Failed to use --state-file ${path}: it is not a regular file (a directory, a FIFO or a link?). Pick another path.`)
  removeTempFiles(path)
  const lock = `${path}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${me.pid}\n`, { flag: 'wx' })
      return { release: () => { rmSync(lock, { force: true }) } }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Failed to lock --state-file ${path}: cannot write ${lock} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`)
      const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10)
      if (Number.isInteger(holder) && holder !== me.pid && me.isAlive(holder)) {
        throw new Error(`Failed to use --state-file ${path}: another emulator (pid ${holder}) uses it. Stop that one, or pick another path.`)
      }
      rmSync(lock, { force: true }) // its process is gone
    }
  }
  throw new Error(`Failed to lock --state-file ${path}: ${lock} keeps coming back.`)
}
