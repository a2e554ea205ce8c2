import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { Type } from '@sinclair/typebox'
import { FaultRuleInputSchema, type FaultRuleInput } from './faults.js'

/**
 * Reads `--faults FILE`: a JSON array of fault rules, as `POST /__emulator/faults` takes them.
 * Throws an error whose one-line message names the file and what is wrong.
 */
export function readFaultsFile (path: string): FaultRuleInput[] {
  let text
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`Invalid --faults file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new Error(`Invalid --faults file ${path}: it is not valid JSON.`)
  }
  return parseFaultRules(data, `--faults file ${path}`)
}

const RulesSchema = Type.Array(FaultRuleInputSchema)

export function parseFaultRules (data: unknown, source: string): FaultRuleInput[] {
  const error = Value.Errors(RulesSchema, data).First()
  if (error !== undefined) {
    const where = error.path === '' ? 'the file' : error.path.replace(/^\/(\d+)/, (_, i: string) => `rule ${Number(i) + 1}`).replaceAll('/', '.')
    const expected = (error.schema as { description?: string }).description
    const what = expected === undefined ? error.message.toLowerCase() : `must be ${expected}`
    throw new Error(`Invalid ${source}: ${where} ${what} (expected a JSON array of {"match", "action", "times", "probability"} rules).`)
  }
  return data as FaultRuleInput[]
}
