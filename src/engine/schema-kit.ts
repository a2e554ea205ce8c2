import { Kind, Type, TypeRegistry } from '@sinclair/typebox'

/**
 * TypeBox helpers shared by every layer's schemas.
 *
 * A string enum as a plain JSON Schema `enum` (clearer errors and OpenAPI than a union of
 * literals), registered with TypeBox so that `Value.Check` understands it too.
 */
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))
export const StringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) })

/** An object of any fields (database settings, say), stored and echoed as given. */
export const FreeObject = (description: string) => Type.Object({}, { additionalProperties: true, description })

/** What a task id may be: chosen by a client (`X-Task-ID`, the control API) or made as a UUID. */
export const TASK_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$'
export const TASK_ID_EXPECTED = '1 to 128 of letters, digits, ".", "_", ":" and "-"'

/** One thing wrong with a value, as either validator (Ajv for requests, TypeBox for files) reports it. */
export interface SchemaProblem {
  /** JSON pointer of the value at fault: '' for the whole value. */
  pointer: string
  kind: 'required' | 'unknown' | 'enum' | 'other'
  /** For `required` and `unknown`: the field missing, or not allowed, under `pointer`. */
  field?: string
  /** For `enum`: the values allowed. */
  allowed?: readonly unknown[]
  /** What the schema says it expects (its `description`), when it says. */
  expected?: string
  /** The validator's own words, when the schema says nothing. */
  message: string
}

/** `/instances/0/cluster` -> `instances[0].cluster`. */
export const fieldPath = (pointer: string): string =>
  pointer.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/^(\d+)(?=\/|\[|$)/, '[$1]').replaceAll('/', '.')

/**
 * The one wording of a schema problem, naming the field and what it expects, e.g.
 * `field "instances[0].cluster" is required`. `whole` says what is wrong with the value itself.
 */
export function describeProblem (problem: SchemaProblem, whole: string): string {
  const path = fieldPath(problem.pointer)
  const join = (field: string): string => path === '' ? field : `${path}.${field}`
  if (problem.kind === 'required') return `field "${join(problem.field ?? '')}" is required`
  if (problem.kind === 'unknown') return `unknown field "${join(problem.field ?? '')}"`
  if (path === '') return whole
  if (problem.kind === 'enum' && problem.allowed !== undefined) return `field "${path}" must be one of ${problem.allowed.join(', ')}`
  return `field "${path}" ${problem.expected !== undefined ? `must be ${problem.expected}` : problem.message.toLowerCase()}`
}
