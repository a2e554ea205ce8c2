import type { ClockWire, TaskWire } from '../lib/index.js'
import { EmulatorError } from '../lib/transport.js'
import { progressLines, type Shown } from './formats.js'

/** What waiting needs of the world: the API, the emulator's clock, real time and the output. */
export interface WaitHost {
  getTask: (id: string) => Promise<TaskWire>
  /** `GET /__emulator/clock`, or undefined when it cannot be read (`--no-control`, not an admin). */
  clock: () => Promise<ClockWire | undefined>
  /** `POST /__emulator/clock/run`: moves time until the task has `status`. */
  runUntil: (id: string, status: 'started' | 'finished') => Promise<void>
  sleep: (ms: number) => Promise<void>
  /** Real milliseconds, for `--timeout` only (never for the task's own times). */
  now: () => number
  out: (line: string) => void
  err: (line: string) => void
}

export interface WaitOptions {
  /** Move the emulator's clock to the task's next status instead of waiting for it. */
  advance: boolean
  /** Real seconds to wait at most; 0 for no limit. */
  timeoutSeconds: number
  /** Real seconds between polls; undefined for one emulated second, from 0.01 to 1. */
  pollSeconds: number | undefined
}

export type WaitResult = { ended: true, task: TaskWire } | { ended: false, task: TaskWire }

const isEnded = (task: TaskWire): boolean => task.status === 'finished' || task.status === 'failed'

/** Real seconds between polls for a clock: about one emulated second, as the real tool polls each second. */
export function pollSecondsFor (clock: ClockWire | undefined): number {
  if (clock === undefined) return 1
  if (clock.mode === 'manual') return 0.2
  return Math.min(1, Math.max(0.01, 1 / clock.scale))
}

/**
 * Waits for `task` (as its creation answered it) to end, printing `  ---> Status changed: ...`
 * on each change and the GUID of a create. With a manual clock and no `advance`, it says once
 * on stderr how to make time move, and keeps polling: a test may be advancing the clock itself.
 */
export async function waitForTask (task: TaskWire, options: WaitOptions, host: WaitHost): Promise<WaitResult> {
  const clock = await host.clock()
  const interval = options.pollSeconds ?? pollSecondsFor(clock)
  const deadline = options.timeoutSeconds > 0 ? host.now() + options.timeoutSeconds * 1000 : Infinity
  let shown: Shown = { status: 'queued', guid: false }
  let current = task
  let advancing = options.advance
  let hinted = false
  for (;;) {
    const seen = progressLines(shown, current)
    for (const line of seen.lines) host.out(line)
    shown = seen.shown
    if (isEnded(current)) return { ended: true, task: current }
    if (host.now() >= deadline) return { ended: false, task: current }
    if (advancing) {
      try {
        await host.runUntil(current.id, current.status === 'queued' ? 'started' : 'finished')
      } catch (err) {
        // 422: it fails instead (time moved to its end), or it is held until stepped
        if (!(err instanceof EmulatorError) || err.status !== 422) throw err
        const after = await host.getTask(current.id)
        if (!isEnded(after) && after.status === current.status) {
          advancing = false
          hinted = true
          host.err(`Task ${current.id} is held in its phase, so crdb-cli cannot move time to its end; it waits for the task to be stepped (POST /__emulator/tasks/${current.id}/step).`)
        }
        current = after
        continue
      }
    } else {
      if (!hinted && clock?.mode === 'manual') {
        hinted = true
        host.err(`Waiting for task ${current.id}: the emulator's clock is manual and moves only when advanced. Advance it (POST /__emulator/clock/advance), or pass --advance-clock (CRDB_CLI_ADVANCE_CLOCK=true) to let crdb-cli move it.`)
      }
      await host.sleep(Math.min(interval * 1000, Math.max(0, deadline - host.now())))
    }
    current = await host.getTask(current.id)
  }
}
