import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

/** The built executable, as `npm install` links it (`bin.crdb-cli` in package.json). */
export const CLI = fileURLToPath(new URL('../../../dist/crdb-cli/main.js', import.meta.url))

export interface CliRun { code: number | null, out: string[], err: string[] }

/** The test's environment without any CRDB_CLI_* of the shell it runs in, plus `env`. */
export function cliEnv (env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CRDB_CLI_') && !k.startsWith('EMULATOR_') && k !== 'PORT'))
  return { ...clean, ...env }
}

/** A crdb-cli started as a script starts it, with its output gathered line by line. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams
  /** Resolves with the first stdout line `match` accepts; rejects after 5 s. */
  line: (match: RegExp) => Promise<string>
  /** Resolves when it exits (it is killed after `timeoutMs`). */
  done: Promise<CliRun>
}

export function startCli (url: string, args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv({ CRDB_CLI_URL: url, ...env }), stdio: 'pipe' })
  const out: string[] = []
  const err: string[] = []
  const collect = (into: string[]) => {
    let partial = ''
    return (chunk: Buffer): void => {
      const parts = (partial + chunk.toString()).split('\n')
      partial = parts.pop() as string
      into.push(...parts)
    }
  }
  child.stdout.on('data', collect(out))
  child.stderr.on('data', collect(err))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const done = (once(child, 'close') as Promise<[number | null]>).then(([code]) => { clearTimeout(timer); return { code, out, err } })
  const line = async (match: RegExp): Promise<string> => await new Promise((resolve, reject) => {
    const found = (): string | undefined => out.find((l) => match.test(l))
    const give = setTimeout(() => { child.stdout.off('data', look); reject(new Error(`no line ${String(match)} in 5 s: ${out.join('\n')}`)) }, 5000)
    const look = (): void => {
      const hit = found()
      if (hit === undefined) return
      clearTimeout(give)
      child.stdout.off('data', look)
      resolve(hit)
    }
    child.stdout.on('data', look)
    look()
  })
  return { child, line, done }
}

/** Runs crdb-cli against `url` until it exits. */
export async function runCli (url: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return await startCli(url, args, env).done
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/**
 * Checks `actual` against a documented output line by line: the same text, but that a UUID,
 * a `<placeholder>` or a time of the sample may be any such value.
 */
export function expectLikeSample (actual: string[], documented: string[]): void {
  const pattern = (line: string): RegExp => new RegExp(`^${line
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(new RegExp(UUID, 'g'), UUID)
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')
    .replace(/<[a-z-]+>/gi, '\\S+')}$`)
  expect(actual.length, `${actual.join('\n')}\n--- documented ---\n${documented.join('\n')}`).toBe(documented.length)
  actual.forEach((line, i) => { expect(line).toMatch(pattern(documented[i] as string)) })
}
