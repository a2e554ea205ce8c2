/**
 * Model-based tests of the task engine: random sequences of create, advance, step, cancel, get
 * (with and without a result TTL), amend, run-until and reset run against the real engine and
 * against a small reference model written from the contract (sections 1-3 and 6); after every
 * command every task must look the same in both.
 *
 * The default run uses a fixed seed (CI is reproducible); `DEEP=1` runs 20 times as many cases
 * from a random seed. fast-check prints the seed and the shrunk command list of a failure; replay
 * it with `FC_SEED=<seed>`.
 */
import { describe, it, expect } from 'vitest'
import fc, { type Command } from 'fast-check'
import { createClock } from '../../src/engine/clock.js'
import { createEngine, type Engine, type TaskSpec, type TaskAmendment } from '../../src/engine/engine.js'
import { PHASES } from '../../src/engine/phases.js'
import { retainAndGet } from './helpers.js'

const DEEP = process.env.DEEP === '1'
const SCALE = DEEP ? 20 : 1
const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : DEEP ? undefined : 20260101
const settings = (numRuns: number): fc.Parameters<unknown> => ({ numRuns: numRuns * SCALE, ...(SEED === undefined ? {} : { seed: SEED }) })
const TIMEOUT = DEEP ? 600_000 : 20_000

/** 2026-01-01T00:00:00Z: the manual clock starts here; the model shows times as ms after it. */
const T = Date.UTC(2026, 0, 1)
const CLUSTER = 'model.example.com'
/** The engine's defaults (seconds), used when a spec leaves a field out. */
const DEFAULT_DURATIONS = { queued: 2.5, running: 10, commit: 1 }
const DEFAULT_TTL = 500

function makeEngine (): Engine {
  return createEngine({
    clock: createClock({ mode: 'manual', start: T }),
    clusterName: CLUSTER,
    durations: DEFAULT_DURATIONS,
    resultTtl: DEFAULT_TTL,
    maxTasks: 100_000,
    seed: 'model'
  })
}

// ---------------------------------------------------------------------------------------------
// The reference model: written from the contract, not from the engine's code.

/** Contract section 1: the wire `status` of each phase. */
const WIRE_STATUS = {
  queued: 'queued',
  running: 'started',
  commit: 'started',
  completed: 'finished',
  failed: 'failed',
  canceled: 'failed'
} as const
type MPhase = keyof typeof WIRE_STATUS
type MActive = 'queued' | 'running' | 'commit'
const ACTIVE_INDEX: Record<MActive, 0 | 1 | 2> = { queued: 0, running: 1, commit: 2 }
const isActive = (phase: MPhase): phase is MActive => phase === 'queued' || phase === 'running' || phase === 'commit'

interface MTask {
  id: string
  createdAt: number
  /** ms per active phase; null holds the task there until stepped. */
  durations: [number | null, number | null, number | null]
  outcome: 'finished' | 'failed'
  /** Seconds an ended task is kept. */
  ttl: number
  policy: 'accept' | 'conflict'
  /** ms between an accepted cancel of a running task and its effect. */
  delay: number
  phase: MPhase
  phaseStart: number
  /** When the current active phase ends by itself; null when held or ended. */
  phaseEnd: number | null
  startedAt: number | null
  endedAt: number | null
  expiresAt: number | null
  pending: { at: number, force: boolean } | null
  errorCodes: string[]
  /** [ms after T, phase, cause], as the control API's history shows it. */
  history: Array<[number, string, string]>
}

/** What a test compares of one task: everything a client can see, times in ms after T. */
interface Seen {
  id: string
  phase: string
  status: string
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  expiresAt: number | null
  errors: string[]
  hasGuid: boolean
  history: Array<[number, string, string]>
}

const rel = (ms: number | null): number | null => ms === null ? null : ms - T
const toMs = (seconds: number | null): number | null => seconds === null ? null : Math.round(seconds * 1000)

class Model {
  now = T
  /** Tasks ever created (ids `t0`, `t1`, ...: never reused, not even after a reset). */
  created = 0
  /** Live tasks, in creation order. */
  readonly tasks = new Map<string, MTask>()
  /** What each ended task looked like when first seen ended (from the engine, not the model). */
  readonly endedSeen = new Map<string, string>()

  /** Applies every event due by now. Tasks do not interact, so each settles on its own. */
  settle (): void {
    for (const t of [...this.tasks.values()]) {
      for (;;) {
        const due = nextDue(t)
        if (due === null || due > this.now) break
        if (!isActive(t.phase)) {
          this.tasks.delete(t.id) // retention ran out
          break
        }
        // a pending cancel wins only if it falls strictly before the running phase's end
        if (t.pending !== null && (t.phaseEnd === null || t.pending.at < t.phaseEnd)) {
          end(t, 'canceled', t.pending.at, t.pending.force ? 'force_cancel' : 'cancel', ['task_canceled'])
        } else {
          moveOn(t, t.phaseEnd as number, 'duration_elapsed')
        }
      }
    }
  }

  /** When the next event of any task is due, or null. */
  nextEventAt (): number | null {
    let next: number | null = null
    for (const t of this.tasks.values()) {
      const due = nextDue(t)
      if (due !== null && (next === null || due < next)) next = due
    }
    return next
  }

  /** The id a command's `pick` names: the pick-th newest task ever created, or an unknown one. */
  idOf (pick: number): string {
    return pick < 0 || this.created === 0 ? 'no-such-task' : `t${this.created - 1 - (pick % this.created)}`
  }
}

function nextDue (t: MTask): number | null {
  if (!isActive(t.phase)) return t.expiresAt
  if (t.pending === null) return t.phaseEnd
  return t.phaseEnd === null ? t.pending.at : Math.min(t.phaseEnd, t.pending.at)
}

function enter (t: MTask, phase: MActive, at: number, cause: string): void {
  t.phase = phase
  t.phaseStart = at
  const d = t.durations[ACTIVE_INDEX[phase]] ?? null
  t.phaseEnd = d === null ? null : at + d
  t.history.push([at - T, phase, cause])
}

function end (t: MTask, phase: 'completed' | 'failed' | 'canceled', at: number, cause: string, errorCodes: string[]): void {
  t.phase = phase
  t.phaseStart = at
  t.phaseEnd = null
  t.pending = null
  t.endedAt = at
  t.expiresAt = at + t.ttl * 1000
  t.errorCodes = errorCodes
  t.history.push([at - T, phase, cause])
}

/** The next phase, at `at`: by the end of a duration, or by a step. */
function moveOn (t: MTask, at: number, cause: string): void {
  switch (t.phase) {
    case 'queued':
      t.startedAt = at
      enter(t, 'running', at, cause)
      return
    case 'running':
      if (t.outcome === 'failed') {
        end(t, 'failed', at, cause, ['internal_error'])
        return
      }
      enter(t, 'commit', at, cause)
      // "tasks may complete before they can be cancelled": a pending cancel dies at commit
      if (t.pending !== null) {
        t.pending = null
        t.history.push([at - T, 'commit', 'cancel_dropped'])
      }
      return
    case 'commit':
      end(t, 'completed', at, cause, [])
  }
}

const expectedView = (t: MTask): Seen => ({
  id: t.id,
  phase: t.phase,
  status: WIRE_STATUS[t.phase],
  createdAt: t.createdAt - T,
  startedAt: rel(t.startedAt),
  endedAt: rel(t.endedAt),
  expiresAt: rel(t.expiresAt),
  errors: t.errorCodes,
  // a create_crdb task gets its GUID when it starts
  hasGuid: t.startedAt !== null,
  history: t.history
})

const realView = (engine: Engine, id: string): Seen | undefined => {
  const task = engine.get(id)
  if (task === undefined) return undefined
  for (const e of task.errors) expect(e.cluster_name).toBe(CLUSTER)
  return {
    id: task.id,
    phase: task.phase,
    status: PHASES[task.phase].status,
    createdAt: task.createdAt - T,
    startedAt: rel(task.startedAt),
    endedAt: rel(task.endedAt),
    expiresAt: rel(task.expiresAt),
    errors: task.errors.map((e) => e.error_code),
    hasGuid: task.crdbGuid !== null,
    history: task.history.map((h) => [h.at - T, h.phase, h.cause])
  }
}

/** The invariants, checked after every command. */
function checkAll (m: Model, engine: Engine): void {
  m.settle()
  expect(engine.now() - T, 'now (ms after T)').toBe(m.now - T)
  for (let i = 0; i < m.created; i++) {
    const id = `t${i}`
    const want = m.tasks.get(id)
    const seen = realView(engine, id)
    if (want === undefined) {
      // unknown or expired: gone everywhere
      expect(seen, `task ${id} should be gone`).toBeUndefined()
      expect(engine.cancel(id, false)).toMatchObject({ ok: false, reason: 'task_not_found' })
      expect(engine.cancel(id, true)).toMatchObject({ ok: false, reason: 'task_not_found' })
      expect(engine.step(id)).toMatchObject({ ok: false, reason: 'task_not_found' })
      continue
    }
    expect(seen, `task ${id}`).toEqual(expectedView(want))
    if (seen !== undefined && PHASES[seen.phase as MPhase].ended) {
      // an ended task never changes again (only its expiry may move, by X-Result-TTL)
      const frozen = JSON.stringify([seen.phase, seen.startedAt, seen.endedAt, seen.errors, seen.history])
      const first = m.endedSeen.get(id)
      if (first === undefined) m.endedSeen.set(id, frozen)
      else expect(frozen, `ended task ${id} changed`).toBe(first)
    }
  }
  // oldest first, live tasks only; nothing kept past its expiry
  expect([...engine.list()].map((t) => t.id), 'list').toEqual([...m.tasks.keys()])
  expect(engine.size, 'size').toBe(m.tasks.size)
  expect(rel(engine.nextEventAt()), 'next event (ms after T)').toBe(rel(m.nextEventAt()))
  // a save's task texts, kept from one save to the next, are never stale: the same as exported afresh
  const saved = engine.exportForSave()
  expect(JSON.parse(`[${saved.tasks.join(',')}]`), 'saved task texts').toEqual(engine.exportState().tasks)
}

// ---------------------------------------------------------------------------------------------
// Commands

type Cmd = Command<Model, Engine>
const secs = (v: number | null | undefined): string => v === undefined ? '-' : v === null ? 'held' : String(v)

interface CreateInput {
  durations?: { queued?: number | null, running?: number | null, commit?: number | null }
  outcome?: 'finished' | 'failed'
  resultTtl?: number
  cancel?: 'accept' | 'conflict'
  cancelDelay?: number
}

class CreateCommand implements Cmd {
  private id = '?'
  constructor (readonly input: CreateInput) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = `t${m.created++}`
    const spec: TaskSpec = { id: this.id, ...this.input }
    const result = engine.create(spec)
    const d = this.input.durations
    const pick = (key: 'queued' | 'running' | 'commit'): number | null =>
      toMs(d?.[key] !== undefined ? d[key] : DEFAULT_DURATIONS[key])
    const t: MTask = {
      id: this.id,
      createdAt: m.now,
      durations: [pick('queued'), pick('running'), pick('commit')],
      outcome: this.input.outcome ?? 'finished',
      ttl: this.input.resultTtl ?? DEFAULT_TTL,
      policy: this.input.cancel ?? 'accept',
      delay: toMs(this.input.cancelDelay ?? 0) as number,
      phase: 'queued',
      phaseStart: m.now,
      phaseEnd: null,
      startedAt: null,
      endedAt: null,
      expiresAt: null,
      pending: null,
      errorCodes: [],
      history: []
    }
    enter(t, 'queued', m.now, 'created')
    m.tasks.set(t.id, t)
    expect(result.ok).toBe(true)
    if (result.ok) expect([result.task.id, result.task.phase]).toEqual([this.id, 'queued'])
    checkAll(m, engine)
  }

  toString (): string {
    const d = this.input.durations
    const parts = [
      d === undefined ? 'durations=default' : `q=${secs(d.queued)} r=${secs(d.running)} c=${secs(d.commit)}`,
      `outcome=${this.input.outcome ?? '-'}`,
      `ttl=${secs(this.input.resultTtl)}`,
      `cancel=${this.input.cancel ?? '-'}`,
      `delay=${secs(this.input.cancelDelay)}`
    ]
    return `create(${this.id}: ${parts.join(' ')})`
  }
}

class AdvanceCommand implements Cmd {
  constructor (readonly seconds: number) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    engine.advance(this.seconds)
    m.now += Math.round(this.seconds * 1000)
    checkAll(m, engine)
  }

  toString (): string { return `advance(${this.seconds})` }
}

class StepCommand implements Cmd {
  private id = '?'
  constructor (readonly pick: number) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = m.idOf(this.pick)
    const result = engine.step(this.id)
    const t = m.tasks.get(this.id)
    if (t === undefined) {
      expect(result).toMatchObject({ ok: false, reason: 'task_not_found' })
    } else if (!isActive(t.phase)) {
      expect(result).toMatchObject({ ok: false, reason: 'task_already_ended' })
    } else {
      moveOn(t, m.now, 'step')
      expect(result.ok).toBe(true)
      if (result.ok) expect(result.task.phase).toBe(t.phase)
    }
    checkAll(m, engine)
  }

  toString (): string { return `step(${this.id})` }
}

class CancelCommand implements Cmd {
  private id = '?'
  constructor (readonly pick: number, readonly force: boolean) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = m.idOf(this.pick)
    const result = engine.cancel(this.id, this.force)
    const t = m.tasks.get(this.id)
    // contract section 2, the cancel table
    let refusal: string | null = null
    if (t === undefined) refusal = 'task_not_found'
    else if (!isActive(t.phase)) refusal = 'task_cannot_be_canceled' // 406, with or without force
    else if (t.phase === 'commit' && !this.force) refusal = 'task_cannot_be_canceled' // 406
    else if (t.policy === 'conflict') refusal = 'task_cancel_failed' // 409, the task goes on
    if (refusal !== null || t === undefined) {
      expect(result).toMatchObject({ ok: false, reason: refusal })
    } else {
      if (t.phase === 'running' && t.delay > 0) {
        // accepted now, takes effect after cancel_delay; a repeat does not postpone it
        t.pending = t.pending === null
          ? { at: m.now + t.delay, force: this.force }
          : { at: t.pending.at, force: t.pending.force || this.force }
        t.history.push([m.now - T, 'running', 'cancel_requested'])
      } else {
        end(t, 'canceled', m.now, this.force ? 'force_cancel' : 'cancel', ['task_canceled'])
      }
      expect(result.ok).toBe(true)
      if (result.ok) expect([result.task.id, PHASES[result.task.phase].status]).toEqual([this.id, WIRE_STATUS[t.phase]])
    }
    checkAll(m, engine)
  }

  toString (): string { return `cancel(${this.id}${this.force ? ', force' : ''})` }
}

class GetCommand implements Cmd {
  private id = '?'
  constructor (readonly pick: number, readonly resultTtl: number | undefined) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = m.idOf(this.pick)
    const task = retainAndGet(engine, this.id, this.resultTtl)
    const t = m.tasks.get(this.id)
    if (t === undefined) {
      expect(task).toBeUndefined()
    } else {
      // the answer is the task as it is, even with X-Result-TTL: 0
      expect([task?.id, task?.phase]).toEqual([t.id, t.phase])
      if (this.resultTtl !== undefined) {
        t.ttl = this.resultTtl
        if (!isActive(t.phase)) t.expiresAt = m.now + this.resultTtl * 1000
      }
    }
    checkAll(m, engine)
  }

  toString (): string { return `get(${this.id}${this.resultTtl === undefined ? '' : `, X-Result-TTL: ${this.resultTtl}`})` }
}

class AmendCommand implements Cmd {
  private id = '?'
  constructor (readonly pick: number, readonly amendment: TaskAmendment) {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = m.idOf(this.pick)
    const result = engine.amend(this.id, this.amendment)
    const t = m.tasks.get(this.id)
    if (t === undefined) {
      expect(result).toMatchObject({ ok: false, reason: 'task_not_found' })
    } else if (!isActive(t.phase)) {
      expect(result).toMatchObject({ ok: false, reason: 'task_already_ended' })
    } else {
      const a = this.amendment
      if (a.durations !== undefined) {
        const d = a.durations
        if (d.queued !== undefined) t.durations[0] = toMs(d.queued)
        if (d.running !== undefined) t.durations[1] = toMs(d.running)
        if (d.commit !== undefined) t.durations[2] = toMs(d.commit)
        // a new duration of the current phase counts from its start, never back in time
        const current = t.durations[ACTIVE_INDEX[t.phase]] ?? null
        t.phaseEnd = current === null ? null : Math.max(t.phaseStart + current, m.now)
      }
      if (a.outcome !== undefined) t.outcome = a.outcome
      if (a.resultTtl !== undefined) t.ttl = a.resultTtl
      if (a.cancel !== undefined) t.policy = a.cancel
      if (a.cancelDelay !== undefined) t.delay = toMs(a.cancelDelay) as number
      m.settle()
      expect(result.ok).toBe(true)
      if (result.ok) expect(result.task.phase).toBe(t.phase)
    }
    checkAll(m, engine)
  }

  toString (): string { return `amend(${this.id}, ${JSON.stringify(this.amendment)})` }
}

/** Moves time from event to event until a task shows a status (control API `clock/run`). */
class RunUntilCommand implements Cmd {
  private id = '?'
  constructor (readonly pick: number, readonly status: 'queued' | 'started' | 'finished' | 'failed') {}
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    this.id = m.idOf(this.pick)
    const result = engine.runUntil(this.id, this.status)
    let expected: string
    for (;;) {
      const t = m.tasks.get(this.id)
      if (t === undefined) { expected = 'task_not_found'; break }
      const shown = WIRE_STATUS[t.phase]
      if (shown === this.status) { expected = 'ok'; break }
      // ended, or past that status: never again
      if (!isActive(t.phase) || this.status === 'queued' || (this.status === 'started' && shown !== 'queued')) { expected = 'unreachable'; break }
      // held in its phase: not until stepped
      if (nextDue(t) === null) { expected = 'unreachable'; break }
      m.now = m.nextEventAt() as number
      m.settle()
    }
    expect(result.ok ? 'ok' : result.reason).toBe(expected)
    checkAll(m, engine)
  }

  toString (): string { return `runUntil(${this.id}, ${this.status})` }
}

/** Moves time from event to event until no task is active (control API `clock/run`, empty body). */
class RunUntilIdleCommand implements Cmd {
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    m.settle()
    const result = engine.runUntilIdle()
    let expected: string
    for (;;) {
      const active = [...m.tasks.values()].filter((t) => isActive(t.phase))
      if (active.length === 0) { expected = 'ok'; break }
      if (active.every((t) => nextDue(t) === null)) { expected = 'unreachable'; break }
      m.now = m.nextEventAt() as number
      m.settle()
    }
    expect(result.ok ? 'ok' : result.reason).toBe(expected)
    checkAll(m, engine)
  }

  toString (): string { return 'runUntilIdle()' }
}

class ResetCommand implements Cmd {
  check (): boolean { return true }
  run (m: Model, engine: Engine): void {
    engine.reset()
    m.tasks.clear()
    m.endedSeen.clear()
    // everything is gone; the clock stays
    expect(engine.size).toBe(0)
    expect([...engine.list()]).toEqual([])
    expect(engine.nextEventAt()).toBeNull()
    checkAll(m, engine)
  }

  toString (): string { return 'reset()' }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const durationArb = fc.constantFrom<number | null>(0, 1, 2.5, 10, null)
const durationsArb = fc.record({ queued: durationArb, running: durationArb, commit: durationArb }, { requiredKeys: [] })
const ttlArb = fc.constantFrom(0, 1, 5, 500)
const delayArb = fc.constantFrom(0, 1, 3)
/** Tiny steps that land on phase boundaries, and huge ones that cross many events at once. */
const advanceArb = fc.oneof(
  { arbitrary: fc.constantFrom(0.001, 0.5, 1, 2.5, 3), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 4000 }).map((ms) => ms / 1000), weight: 1 },
  { arbitrary: fc.constantFrom(100, 1000, 100_000), weight: 1 }
)
/** Mostly one of the tasks ever created (expired ones included; recent ones more often); sometimes an unknown id. */
const pickArb = fc.oneof(
  { arbitrary: fc.nat({ max: 2 }), weight: 6 },
  { arbitrary: fc.nat(), weight: 3 },
  { arbitrary: fc.constant(-1), weight: 1 }
)

const createInputArb: fc.Arbitrary<CreateInput> = fc.record({
  durations: durationsArb,
  outcome: fc.constantFrom<'finished' | 'failed'>('finished', 'failed'),
  resultTtl: ttlArb,
  cancel: fc.constantFrom<'accept' | 'conflict'>('accept', 'conflict'),
  cancelDelay: delayArb
}, { requiredKeys: [] })

const amendmentArb: fc.Arbitrary<TaskAmendment> = fc.record({
  durations: durationsArb,
  outcome: fc.constantFrom<'finished' | 'failed'>('finished', 'failed'),
  resultTtl: ttlArb,
  cancel: fc.constantFrom<'accept' | 'conflict'>('accept', 'conflict'),
  cancelDelay: delayArb
}, { requiredKeys: [] })

const commandArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: createInputArb.map((input) => new CreateCommand(input)), weight: 6 },
  { arbitrary: advanceArb.map((s) => new AdvanceCommand(s)), weight: 6 },
  { arbitrary: pickArb.map((p) => new StepCommand(p)), weight: 3 },
  { arbitrary: fc.tuple(pickArb, fc.boolean()).map(([p, force]) => new CancelCommand(p, force)), weight: 5 },
  { arbitrary: fc.tuple(pickArb, fc.option(ttlArb, { nil: undefined })).map(([p, ttl]) => new GetCommand(p, ttl)), weight: 3 },
  { arbitrary: fc.tuple(pickArb, amendmentArb).map(([p, a]) => new AmendCommand(p, a)), weight: 2 },
  {
    arbitrary: fc.tuple(pickArb, fc.constantFrom<'queued' | 'started' | 'finished' | 'failed'>('queued', 'started', 'finished', 'failed'))
      .map(([p, s]) => new RunUntilCommand(p, s)),
    weight: 1
  },
  { arbitrary: fc.constant(null).map(() => new RunUntilIdleCommand()), weight: 1 },
  { arbitrary: fc.constant(null).map(() => new ResetCommand()), weight: 1 }
)

// ---------------------------------------------------------------------------------------------

describe('the engine against a reference model of the task lifecycle', () => {
  it('agrees with the model after every command of a random sequence', () => {
    fc.assert(
      fc.property(fc.commands([commandArb], { maxCommands: 80, size: 'max' }), (cmds) => {
        fc.modelRun(() => ({ model: new Model(), real: makeEngine() }), cmds)
      }),
      settings(400)
    )
  }, TIMEOUT)
})

describe('exact timestamps however the clock gets there', () => {
  /** Something done to both engines before the clock moves (the same in both). */
  type Prep =
    | { kind: 'create', input: CreateInput }
    | { kind: 'advance', ms: number }
    | { kind: 'cancel', pick: number, force: boolean }
    | { kind: 'get', pick: number, ttl: number }

  const prepArb: fc.Arbitrary<Prep> = fc.oneof(
    { arbitrary: createInputArb.map((input) => ({ kind: 'create' as const, input })), weight: 4 },
    { arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ kind: 'advance' as const, ms })), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), force: fc.boolean() }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('get' as const), pick: fc.nat(), ttl: ttlArb }), weight: 1 }
  )
  /** The parts of the total: mostly small, some huge (to cross expiries). */
  const partArb = fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 3000 }), weight: 9 },
    { arbitrary: fc.constantFrom(100_000, 500_000), weight: 1 }
  )

  function prepare (engine: Engine, preps: Prep[]): string[] {
    const ids: string[] = []
    for (const p of preps) {
      const id = ids.length === 0 ? 'none' : ids[('pick' in p ? p.pick : 0) % ids.length] as string
      switch (p.kind) {
        case 'create': {
          const result = engine.create({ id: `t${ids.length}`, ...p.input })
          if (result.ok) ids.push(result.task.id)
          break
        }
        case 'advance': engine.advance(p.ms / 1000); break
        case 'cancel': engine.cancel(id, p.force); break
        case 'get': retainAndGet(engine, id, p.ttl); break
      }
    }
    return ids
  }

  const snapshot = (engine: Engine, ids: string[]): unknown => ({
    now: engine.now() - T,
    tasks: ids.map((id) => realView(engine, id) ?? { id, gone: true }),
    list: [...engine.list()].map((t) => t.id),
    size: engine.size,
    next: rel(engine.nextEventAt())
  })

  it('gives the same phases and timestamps after one big advance as after many small ones', () => {
    fc.assert(
      fc.property(
        fc.array(prepArb, { minLength: 1, maxLength: 25 }),
        fc.array(partArb, { minLength: 2, maxLength: 120 }),
        (preps, parts) => {
          const big = makeEngine()
          const small = makeEngine()
          const ids = prepare(big, preps)
          expect(prepare(small, preps)).toEqual(ids)
          const total = parts.reduce((a, b) => a + b, 0)
          big.advance(total / 1000)
          for (const ms of parts) small.advance(ms / 1000)
          expect(snapshot(small, ids)).toEqual(snapshot(big, ids))
        }
      ),
      settings(1000)
    )
  }, TIMEOUT)
})
