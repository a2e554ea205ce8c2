import { Type } from '@sinclair/typebox'
import { FaultRuleInputSchema, type FaultRuleInput } from './faults.js'
import { checkAgainst, readJsonFile } from './schema-check.js'

/**
 * Reads `--faults FILE`: a JSON array of fault rules, as `POST /__emulator/faults` takes them.
 * Throws an error whose one-line message names the file and what is wrong.
 */
export function readFaultsFile (path: string): FaultRuleInput[] {
  return parseFaultRules(readJsonFile(path, '--faults'), `--faults file ${path}`)
}

const RulesSchema = Type.Array(FaultRuleInputSchema)

export function parseFaultRules (data: unknown, source: string): FaultRuleInput[] {
  const problem = checkAgainst(RulesSchema, data, 'it must be a JSON array', { items: 'rule' })
  if (problem !== undefined) throw new Error(`Invalid ${source}: ${problem} (expected a JSON array of {"match", "action", "times", "probability"} rules).`)
  return data as FaultRuleInput[]
}
