import { runCommand, type CommandIo } from './commands.js'
import { CliTransport, resolveConnection, type ConnectionFlags } from './connection.js'
import { CliError, describeFailure, EXIT, type ExitCode } from './errors.js'
import { parseCommandLine } from './parse-args.js'

/**
 * crdb-cli, start to end: reads the command line, resolves where the emulator is, runs the
 * command, and turns any error into one line on stderr and its exit code. Never throws.
 *
 * @example
 * const code = await runCrdbCli(['task', 'list'], io)   // prints the table through io.out
 */
export async function runCrdbCli (argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  let url = '(unknown)'
  try {
    const line = parseCommandLine(argv)
    if (line.kind === 'help') {
      io.out(line.text)
      return EXIT.ok
    }
    const connection = resolveConnection(line.values as ConnectionFlags, io.env, io.readFile)
    url = connection.url
    return await runCommand(`${line.command.group} ${line.command.name}`, new CliTransport(connection), line.values, io)
  } catch (err) {
    const failure = err instanceof CliError ? err : describeFailure('run the command', err, url)
    io.err(failure.message)
    return failure.exitCode
  }
}
