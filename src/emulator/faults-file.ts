import { readFileSync } from 'node:fs'
import { Type } from '@sinclair/typebox'
import { FaultRuleInputSchema, type FaultRuleInput } from './faults.js'
import { checkAgainst } from './schema-check.js'

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
  const problem = checkAgainst(RulesSchema, data, 'it must be a JSON array', { items: 'rule' })
  if (problem !== undefined) throw new Error(`Invalid ${source}: ${problem} (expected a JSON array of {"match", "action", "times", "probability"} rules).`)
  return data as FaultRuleInput[]
}
