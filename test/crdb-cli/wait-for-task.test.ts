import { describe, expect, it } from 'vitest'
import type { ClockWire, TaskWire } from '../../src/lib/index.js'
import { EmulatorError } from '../../src/lib/transport.js'
import { pollSecondsFor, waitForTask, type WaitHost, type WaitOptions } from '../../src/crdb-cli/wait-for-task.js'

const ID = 'c0ffee'
const GUID = 'd84f6fe4-5bb7-49d2-a188-8900e09c6f66'
const queued: TaskWire = { id: ID, operation: 'create_crdb', status: 'queued' }
const started: TaskWire = { ...queued, status: 'started', crdb_guid: GUID, started: '2026-01-01T00:00:01Z' }
const finished: TaskWire = { ...started, status: 'finished', ended: '2026-01-01T00:00:14Z' }
const failed: TaskWire = { ...started, status: 'failed', ended: '2026-01-01T00:00:11Z', errors: [{ cluster_name: 'cluster.local', error_code: 'internal_error', description: 'boom' }] }

/** What a fake host saw: the lines printed, the sleeps asked for. */
interface Seen { out: string[], err: string[], slept: number[] }

/**
 * A host whose task is `polls[n]` at the n-th GET (the last one from then on), with a fake
 * real time that only the sleeps move: no test here waits on the wall clock.
 */
function fakeHost (polls: TaskWire[], clock: ClockWire | undefined, runUntil: WaitHost['runUntil'] = async () => {}): { host: WaitHost, seen: Seen } {
  let now = 0
  let gets = 0
  const seen: Seen = { out: [], err: [], slept: [] }
  const host: WaitHost = {
    getTask: async () => polls[Math.min(gets++, polls.length - 1)] as TaskWire,
    clock: async () => clock,
    runUntil,
    sleep: async (ms) => { seen.slept.push(ms); now += ms },
    now: () => now,
    out: (line) => { seen.out.push(line) },
    err: (line) => { seen.err.push(line) }
  }
  return { host, seen }
}

const options = (o: Partial<WaitOptions> = {}): WaitOptions => ({ advance: false, timeoutSeconds: 600, pollSeconds: undefined, ...o })
const REAL: ClockWire = { mode: 'real', now: '2026-01-01T00:00:00.000Z', scale: 1 }
const MANUAL: ClockWire = { mode: 'manual', now: '2026-01-01T00:00:00.000Z', scale: 1 }

describe('waiting for a task', () => {
  it('polls until the task ends, printing each change and the GUID', async () => {
    const { host, seen } = fakeHost([queued, started, started, finished], REAL)
    const result = await waitForTask(queued, options(), host)
    expect(result).toEqual({ ended: true, task: finished })
    expect(seen.out).toEqual([
      '  ---> Status changed: queued -> started',
      `  ---> CRDB GUID Assigned: crdb:${GUID}`,
      '  ---> Status changed: started -> finished'
    ])
  })

  it('polls about once per emulated second, between 10 ms and 1 s of real time', () => {
    expect(pollSecondsFor(undefined)).toBe(1)
    expect(pollSecondsFor(REAL)).toBe(1)
    expect(pollSecondsFor({ ...REAL, scale: 10 })).toBe(0.1)
    expect(pollSecondsFor({ ...REAL, scale: 1000 })).toBe(0.01)
    expect(pollSecondsFor({ ...REAL, scale: 0.5 })).toBe(1)
  })

  it('sleeps the --poll-interval when given', async () => {
    const { host, seen } = fakeHost([finished], REAL)
    await waitForTask(queued, options({ pollSeconds: 0.25 }), host)
    expect(seen.slept).toEqual([250])
  })

  it('with --advance-clock, moves time to started, then to finished, and never sleeps', async () => {
    const asked: string[] = []
    const { host, seen } = fakeHost([started, finished], MANUAL, async (_id, status) => { asked.push(status) })
    const result = await waitForTask(queued, options({ advance: true }), host)
    expect(result.ended).toBe(true)
    expect(asked).toEqual(['started', 'finished'])
    expect(seen.slept).toEqual([])
    expect(seen.err).toEqual([])
  })

  it('with --advance-clock, takes a failure (422 from clock/run) as the end it is', async () => {
    const { host, seen } = fakeHost([started, failed], MANUAL, async (_id, status) => {
      if (status === 'finished') throw new EmulatorError(422, 'unreachable', 'Task c0ffee is failed (failed) and can never be finished.')
    })
    const result = await waitForTask(queued, options({ advance: true }), host)
    expect(result).toEqual({ ended: true, task: failed })
    expect(seen.out.at(-1)).toBe('  ---> Status changed: started -> failed')
  })

  it('with --advance-clock, says so once and polls when the task is held in its phase', async () => {
    const { host, seen } = fakeHost([queued, queued, queued, started, finished], MANUAL, async () => {
      throw new EmulatorError(422, 'unreachable', 'held')
    })
    const result = await waitForTask(queued, options({ advance: true, pollSeconds: 0.01 }), host)
    expect(result.ended).toBe(true)
    expect(seen.err).toEqual([`Task ${ID} is held in its phase, so crdb-cli cannot move time to its end; it waits for the task to be stepped (POST /__emulator/tasks/${ID}/step).`])
  })

  it('under a manual clock without --advance-clock, says once how to make time move, and keeps polling', async () => {
    const { host, seen } = fakeHost([queued, queued, finished], MANUAL)
    const result = await waitForTask(queued, options(), host)
    expect(result.ended).toBe(true)
    expect(seen.slept).toEqual([200, 200, 200])
    expect(seen.err).toHaveLength(1)
    expect(seen.err[0]).toMatch(/the emulator's clock is manual and moves only when advanced\. Advance it \(POST \/__emulator\/clock\/advance\), or pass --advance-clock/)
  })

  it('gives up after --timeout real seconds with the task as last seen', async () => {
    const { host, seen } = fakeHost([queued], MANUAL)
    const result = await waitForTask(queued, options({ timeoutSeconds: 1 }), host)
    expect(result).toEqual({ ended: false, task: queued })
    expect(seen.slept.reduce((a, b) => a + b, 0)).toBe(1000)
  })

  it('passes on an error other than 422 from clock/run', async () => {
    const { host } = fakeHost([queued], MANUAL, async () => { throw new EmulatorError(403, 'forbidden', 'no') })
    await expect(waitForTask(queued, options({ advance: true }), host)).rejects.toThrow(/403 forbidden/)
  })
})
