import { EmulatorError } from '../lib/transport.js'

/**
 * The exit codes of crdb-cli. The real tool's docs name none, so these are ours (docs/crdb-cli.md):
 * a script can tell "the API said no" from "the task failed" from "nobody answered".
 */
export const EXIT = {
  ok: 0,
  /** The API refused the request (an error answer), or a clock advance asked for failed. */
  refused: 1,
  /** The command line is wrong: unknown command or flag, a missing or malformed value. */
  usage: 2,
  /** The task the command waited for ended `failed` (a canceled task also ends `failed`). */
  taskFailed: 3,
  /** The task was still active when `--timeout` ran out. */
  timeout: 4,
  /** The emulator could not be reached, or answered something that is not the API. */
  unreachable: 5
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** An error crdb-cli reports as one line on stderr, with the exit code it ends with. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor (readonly exitCode: ExitCode, message: string) {
    super(message)
  }
}

/** A wrong command line: exit code 2. */
export class UsageError extends CliError {
  constructor (message: string) {
    super(EXIT.usage, message)
  }
}

/** The emulator could not be reached (or did not answer as the API does): exit code 5. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError'
  /** `why` completes "the emulator at <url> ..."; `hint` is what to do about it. */
  constructor (why: string, readonly hint = 'Start it, or point crdb-cli at it with --api-url or CRDB_CLI_URL.') {
    super(why)
  }
}

/** What to do next, for the error codes where the description alone leaves a script's author guessing. */
const HINTS: Record<string, string> = {
  task_not_found: 'Run crdb-cli task list to see the tasks there are.',
  crdb_not_found: 'Run crdb-cli crdb list to see the CRDBs there are.',
  crdb_instance_not_found: 'Run crdb-cli crdb get --crdb-guid <guid> to see its instances.',
  unauthorized: 'Give an admin\'s email and password with CRDB_CLI_USER and CRDB_CLI_PASSWORD (or --api-user and --api-password).',
  forbidden: 'Use a user whose role may do this (CRDB_CLI_USER, or --api-user).'
}

/** `text`, ending in a full stop. */
export const sentence = (text: string): string => /[.!?]$/.test(text) ? text : `${text}.`

/**
 * The one stderr line for an error met while doing `action` ("create the CRDB", "get task 42"):
 * "Failed to X: why. Do Y", with the API's status, error code and description as the why.
 */
export function describeFailure (action: string, err: unknown, url: string): CliError {
  if (err instanceof CliError) return err
  if (err instanceof EmulatorError) {
    const hint = HINTS[err.errorCode]
    return new CliError(EXIT.refused, `Failed to ${action}: ${err.status} ${err.errorCode}: ${sentence(err.description)}${hint === undefined ? '' : ` ${hint}`}`)
  }
  if (err instanceof UnreachableError) {
    return new CliError(EXIT.unreachable, `Failed to ${action}: the emulator at ${url} ${err.message}. ${err.hint}`)
  }
  return new CliError(EXIT.unreachable, `Failed to ${action}: ${sentence((err as Error).message ?? String(err))}`)
}
