import { Type, type Static } from '@sinclair/typebox'
import { PHASE_NAMES } from '../engine/phases.js'
import type { Random } from '../engine/random.js'
import { StateError } from '../engine/records.js'
import { StringEnum } from '../engine/schema-kit.js'

const ErrorActionSchema = Type.Object({
  status: Type.Integer({ minimum: 400, maximum: 599, description: 'an HTTP status from 400 to 599' }),
  error_code: Type.String({ minLength: 1, maxLength: 128, description: 'a non-empty string' }),
  description: Type.String({ maxLength: 4096 })
}, { additionalProperties: false })
const DelayMsSchema = Type.Integer({ minimum: 0, maximum: 600_000, description: 'milliseconds from 0 to 600000' })
const DelayActionSchema = Type.Object({
  delay_ms: Type.Union([DelayMsSchema, Type.Tuple([DelayMsSchema, DelayMsSchema])], { description: 'milliseconds from 0 to 600000, or [min, max]' })
}, { additionalProperties: false })
const DropActionSchema = Type.Object({ drop: Type.Literal(true) }, { additionalProperties: false })

/** What a rule does to a request it hits: an error answer, a delay, or a dropped connection. */
export const FaultActionSchema = Type.Union([ErrorActionSchema, DelayActionSchema, DropActionSchema], {
  description: '{"status", "error_code", "description"}, {"delay_ms": n or [min, max]} or {"drop": true}'
})

/**
 * A fault rule as `POST /__emulator/faults`, a `--faults` file and a state file give it. Every
 * `match` field is optional: `path` matches with `*` for one segment, `phase` is the phase of the
 * task named in the path. `times` caps the hits; `probability` (default 1) is drawn from the
 * seeded random source.
 */
export const FaultRuleInputSchema = Type.Object({
  match: Type.Optional(Type.Object({
    method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,16}$', description: 'an HTTP method' })),
    path: Type.Optional(Type.String({ pattern: '^/', maxLength: 1024, description: 'a path starting with /, where * matches one segment' })),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'a user\'s email' })),
    phase: Type.Optional(StringEnum(PHASE_NAMES)),
    cluster: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'the member cluster the request addressed' }))
  }, { additionalProperties: false })),
  action: FaultActionSchema,
  times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'a whole number from 1' })),
  probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'a number from 0 to 1' }))
}, { additionalProperties: false })

export type FaultRuleInput = Static<typeof FaultRuleInputSchema>

/** Fault rules one namespace keeps at most. */
export const MAX_FAULT_RULES = 1000
export type FaultAction = FaultRuleInput['action']

export interface FaultRule extends Required<Pick<FaultRuleInput, 'match' | 'action'>> {
  id: string
  times?: number
  probability: number
  /** How many requests it has hit so far. */
  hits: number
}

/** What a request offers to the rules. `phase` is looked up only if a rule asks for it. */
export interface FaultRequest {
  method: string
  path: string
  user: string | undefined
  /** The member cluster the request addressed. */
  cluster: string
  phase: () => string | undefined
}

/**
 * The fault rules of one fake cluster, tried in the order they were added: the first that
 * matches, has hits left and wins its probability draw decides what happens to the request.
 */
export class FaultSet {
  private rules: Array<FaultRule & { segments: string[] | null }> = []
  private sequence = 0
  /** Counts changes (rules added or removed, hits), for the state file. */
  changes = 0

  constructor (readonly random: Random) {}

  get size (): number {
    return this.rules.length
  }

  /** Adds a rule; undefined when the set already holds `MAX_FAULT_RULES`. */
  add (input: FaultRuleInput): FaultRule | undefined {
    if (this.rules.length >= MAX_FAULT_RULES) return undefined
    const rule = this.makeRule(input, `fault-${++this.sequence}`)
    this.rules.push(rule)
    this.changes++
    return toPublic(rule)
  }

  list (): FaultRule[] {
    return this.rules.map(toPublic)
  }

  remove (id: string): boolean {
    const before = this.rules.length
    this.rules = this.rules.filter((r) => r.id !== id)
    this.changes++
    return this.rules.length < before
  }

  clear (): void {
    this.rules = []
    this.changes++
  }

  /** Replaces every rule with saved ones, keeping their ids and hit counts. */
  restore (rules: Array<FaultRuleInput & { id?: string, hits?: number }>): void {
    const ids = rules.flatMap((r) => r.id === undefined ? [] : [r.id])
    const twice = ids.find((id, i) => ids.indexOf(id) !== i)
    if (twice !== undefined) throw new StateError(`faults: id "${twice}" is listed twice.`)
    if (rules.length > MAX_FAULT_RULES) throw new StateError(`faults: ${rules.length} rules, more than the ${MAX_FAULT_RULES} a namespace keeps.`)
    // new ids never reuse a restored one
    const numbers = rules.map((r) => Number(/^fault-(\d+)$/.exec(r.id ?? '')?.[1] ?? 0))
    this.sequence = Math.max(0, ...numbers)
    this.rules = rules.map((saved) => {
      const rule = this.makeRule(saved, saved.id ?? `fault-${++this.sequence}`)
      rule.hits = saved.hits ?? 0
      return rule
    })
    this.changes++
  }

  private makeRule (input: FaultRuleInput, id: string): FaultRule & { segments: string[] | null } {
    return {
      id,
      match: input.match ?? {},
      action: input.action,
      ...(input.times === undefined ? {} : { times: input.times }),
      probability: input.probability ?? 1,
      hits: 0,
      segments: input.match?.path === undefined ? null : splitPath(input.match.path)
    }
  }

  /** The action for this request, if a rule hits it (and counts the hit). */
  pick (request: FaultRequest): FaultAction | undefined {
    if (this.rules.length === 0) return undefined
    let segments: string[] | undefined
    for (const rule of this.rules) {
      if (rule.times !== undefined && rule.hits >= rule.times) continue
      const m = rule.match
      if (m.method !== undefined && m.method.toUpperCase() !== request.method) continue
      if (m.user !== undefined && m.user !== request.user) continue
      if (m.cluster !== undefined && m.cluster !== request.cluster) continue
      if (rule.segments !== null) {
        segments ??= splitPath(request.path)
        if (!matchSegments(rule.segments, segments)) continue
      }
      if (m.phase !== undefined && m.phase !== request.phase()) continue
      if (rule.probability < 1 && this.random.next() >= rule.probability) continue
      rule.hits++
      this.changes++
      return rule.action
    }
    return undefined
  }
}

/** A delay action's milliseconds: fixed, or drawn from [min, max]. */
export function delayOf (action: { delay_ms: number | [number, number] }, random: Random): number {
  const d = action.delay_ms
  return typeof d === 'number' ? d : d[0] + Math.round(random.next() * (d[1] - d[0]))
}

const splitPath = (path: string): string[] => path.split('?')[0]?.split('/').filter((s) => s !== '') ?? []

function matchSegments (pattern: string[], path: string[]): boolean {
  if (pattern.length !== path.length) return false
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '*' && pattern[i] !== path[i]) return false
  }
  return true
}

function toPublic ({ segments: _segments, ...rule }: FaultRule & { segments: string[] | null }): FaultRule {
  return { ...rule, match: { ...rule.match } }
}
