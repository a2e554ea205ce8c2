import { parseArgs } from 'node:util'
import { commandHelp, COMMANDS, findCommand, GLOBAL_FLAGS, overviewHelp, type CommandSpec, type Flag } from './command-table.js'
import { UsageError } from './errors.js'

export type FlagValues = Record<string, string | boolean | string[] | undefined>

/** What the command line asks for: a help text, or a command with its flags. */
export type CommandLine =
  | { kind: 'help', text: string }
  | { kind: 'run', command: CommandSpec, values: FlagValues }

const asOptions = (flags: Record<string, Flag>): Record<string, { type: 'string' | 'boolean', multiple?: boolean }> =>
  Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.multiple === true ? { multiple: true } : {}) }]))

/** The first line of a parseArgs error, without its advice about positionals. */
const firstSentence = (err: unknown): string => ((err as Error).message.split('\n')[0] ?? '')
  .replace(/\. To specify a positional.*$/, '')
  .replace(/^Option '([^']+)' argument is ambiguous\.$/, 'Option \'$1\' needs a value, and the next word is a flag')
  .replace(/\.$/, '')

function parse (args: string[], flags: Record<string, Flag>, helpWith: string): FlagValues {
  try {
    return parseArgs({ args, strict: true, allowPositionals: false, options: { ...asOptions(flags), help: { type: 'boolean', short: 'h' } } }).values as FlagValues
  } catch (err) {
    throw new UsageError(`Failed to read the command line: ${firstSentence(err)}. Run ${helpWith} --help to see the flags.`)
  }
}

/** The global flags given before the group (`crdb-cli --api-url ... task list`), and where the group starts. */
function leadingGlobals (argv: readonly string[]): { values: FlagValues, rest: string[] } {
  let i = 0
  while (i < argv.length && (argv[i] as string).startsWith('-')) {
    const name = (argv[i] as string).replace(/^--?/, '').split('=')[0] as string
    const f = GLOBAL_FLAGS[name]
    i += f !== undefined && f.type === 'string' && !(argv[i] as string).includes('=') ? 2 : 1
  }
  return { values: parse(argv.slice(0, i), GLOBAL_FLAGS, 'crdb-cli'), rest: argv.slice(i) }
}

/**
 * Reads `crdb-cli <group> <command> [flags]` (global flags may come first or among the
 * command's). Throws `UsageError` (exit code 2) with one line saying what is wrong.
 */
export function parseCommandLine (argv: readonly string[]): CommandLine {
  const { values: globals, rest } = leadingGlobals(argv)
  if (globals.help === true) return { kind: 'help', text: overviewHelp() }
  const [group, name, ...args] = rest
  if (group === undefined) throw new UsageError('Failed to read the command line: no command given. Run crdb-cli --help to see the commands.')
  if (group !== 'crdb' && group !== 'task') throw new UsageError(`Failed to read the command line: "${group}" is not a command group. Use crdb or task (crdb-cli --help).`)
  if (name === undefined || name === '--help' || name === '-h') {
    if (name === undefined) throw new UsageError(`Failed to read the command line: crdb-cli ${group} needs a command: ${COMMANDS.filter((c) => c.group === group).map((c) => c.name).join(', ')}.`)
    return { kind: 'help', text: overviewHelp(group) }
  }
  const command = findCommand(group, name)
  if (command === undefined) {
    throw new UsageError(`Failed to read the command line: "${group} ${name}" is not a command. The ${group} commands are ${COMMANDS.filter((c) => c.group === group).map((c) => c.name).join(', ')}.`)
  }
  const own = parse(args, { ...GLOBAL_FLAGS, ...command.flags }, `crdb-cli ${group} ${name}`)
  if (own.help === true) return { kind: 'help', text: commandHelp(command) }
  const values: FlagValues = { ...globals, ...own }
  for (const [flagName, f] of Object.entries(command.flags)) {
    if (f.required === true && values[flagName] === undefined) {
      throw new UsageError(`Failed to read the command line: crdb-cli ${group} ${name} needs --${flagName} ${f.value ?? ''}. Run crdb-cli ${group} ${name} --help to see the flags.`.replace(' .', '.'))
    }
  }
  for (const [a, b] of [['wait', 'no-wait'], ['verbose', 'no-verbose'], ['default-db-config', 'default-db-config-file']] as const) {
    if (values[a] !== undefined && values[b] !== undefined) throw new UsageError(`Failed to read the command line: --${a} and --${b} cannot be used together. Give one of them.`)
  }
  return { kind: 'run', command, values }
}

/** A string flag's value (the last one when it was given more than once). */
export function stringOf (values: FlagValues, name: string): string | undefined {
  const v = values[name]
  return Array.isArray(v) ? v[v.length - 1] : typeof v === 'string' ? v : undefined
}

/** A repeatable flag's values, in the order given. */
export function listOf (values: FlagValues, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
}
