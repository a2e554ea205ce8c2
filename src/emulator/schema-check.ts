import { readFileSync } from 'node:fs'
import type { TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType } from '@sinclair/typebox/value'
import { describeProblem, type SchemaProblem } from '../engine/schema-kit.js'

/**
 * The first thing wrong with `data` against `schema`, worded as every schema error is
 * (`describeProblem`), or undefined when it fits. For the files read at start-up.
 */
export function checkAgainst (schema: TSchema, data: unknown, whole: string, options: { items?: string } = {}): string | undefined {
  const error = Value.Errors(schema, data).First()
  if (error === undefined) return undefined
  // in a list of rules, say "rule 2" rather than "[1]"
  const item = options.items === undefined ? null : /^\/(\d+)(\/.*)?$/.exec(error.path)
  if (item !== null && item !== undefined) {
    const rest = checkAgainst(schema, data, whole)
    return `${options.items ?? ''} ${Number(item[1]) + 1}: ${(rest ?? '').replace(/"\[\d+\]\.?/, '"')}`
  }
  const slash = error.path.lastIndexOf('/')
  const parent = error.path.slice(0, Math.max(slash, 0))
  const last = error.path.slice(slash + 1)
  const problem: SchemaProblem = error.type === ValueErrorType.ObjectRequiredProperty
    ? { pointer: parent, kind: 'required', field: last, message: error.message }
    : error.type === ValueErrorType.ObjectAdditionalProperties
      ? { pointer: parent, kind: 'unknown', field: last, message: error.message }
      : { pointer: error.path, kind: 'other', message: error.message, ...describedBy(error.schema) }
  return describeProblem(problem, whole)
}

const describedBy = (schema: TSchema): { expected?: string } => {
  const expected = (schema as { description?: string }).description
  return expected === undefined ? {} : { expected }
}

/**
 * The JSON in a start-up file (`--faults`, `--clusters`); throws `Invalid <flag> file <path>: ...`
 * on one line when it cannot be read or parsed.
 */
export function readJsonFile (path: string, flag: string): unknown {
  let text
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`Invalid ${flag} file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`Invalid ${flag} file ${path}: it is not valid JSON.`)
  }
}
