import type { Phase } from '../engine/phases.js'
import type { Random } from '../engine/random.js'

/** What a fault rule matches; every field is optional. */
export interface FaultMatch {
  method?: string
  /** `/v1/crdb_tasks/*`: `*` matches one path segment. */
  path?: string
  /** The authenticated user's email. */
  user?: string
  /** The phase of the task named in the path (`/v1/crdb_tasks/{task_id}...`). */
  phase?: Phase
}

export type FaultAction =
  | { status: number, error_code: string, description: string }
  | { delay_ms: number | [number, number] }
  | { drop: true }

export interface FaultRuleInput {
  match?: FaultMatch
  action: FaultAction
  /** How many matching requests the rule hits at the most; absent: no limit. */
  times?: number
  /** The chance that a matching request is hit, drawn from the seeded random source. Default 1. */
  probability?: number
}

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

  add (input: FaultRuleInput): FaultRule {
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
