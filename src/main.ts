#!/usr/bin/env node
// The only impure shell: reads argv and env, makes the logger, listens, handles signals.
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { ConfigError, loadConfig, USAGE, type Config } from './config.js'
import { assemble } from './emulator.js'
import { readFaultsFile } from './faults-file.js'

function readVersion (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function main (): Promise<void> {
  let request
  try {
    request = loadConfig(process.argv.slice(2), process.env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`crdb-tasks-emulator: ${err.message}\n`)
    process.exit(2)
  }
  if (request.kind === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (request.kind === 'version') {
    process.stdout.write(`${readVersion()}\n`)
    return
  }
  const config = request.config
  const logger = pino({
    level: config.logLevel,
    base: { name: 'crdb-tasks-emulator' },
    // belt and braces: request logs never carry headers, but redact them if one ever does
    redact: ['req.headers.authorization', 'headers.authorization', 'password']
  })
  let faults
  try {
    faults = config.faultsFile === undefined ? undefined : readFaultsFile(config.faultsFile)
  } catch (err) {
    process.stderr.write(`crdb-tasks-emulator: ${(err as Error).message}\n`)
    process.exit(2)
  }
  const { app } = await assemble(config, { logger, ...(faults === undefined ? {} : { faults }) })

  let address: string
  try {
    address = await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'EADDRINUSE' ? `port ${config.port} is in use; pick another with --port or PORT` : e.message
    process.stderr.write(`crdb-tasks-emulator: Failed to listen on ${config.host}:${config.port}: ${why}.\n`)
    process.exit(1)
  }
  logger.info(startupFields(config, address), startupMessage(config, address))

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'Stopping: finishing in-flight requests')
    const force = setTimeout(() => process.exit(1), 8000)
    force.unref()
    app.close().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'Failed to stop cleanly')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

function startupFields (config: Config, url: string) {
  return {
    url,
    cluster: config.clusterName,
    clock: config.clock,
    time_scale: config.timeScale,
    control: config.control,
    users: config.users.map((u) => ({ email: u.email, role: u.role, ...(config.defaultUsers ? { password: u.password } : {}) }))
  }
}

/** One line a person can read: where, which clock, who may log in. */
function startupMessage (config: Config, url: string): string {
  const clock = config.clock === 'real' ? `real clock${config.timeScale === 1 ? '' : ` x${config.timeScale}`}` : 'manual clock'
  const users = config.users.map((u) => `${u.email} (${u.role}${config.defaultUsers ? `, password "${u.password}"` : ''})`).join(', ')
  return `CRDB tasks emulator listening on ${url} (cluster ${config.clusterName}, ${clock}${config.control ? '' : ', control API off'}); users: ${users}`
}

main().catch((err: unknown) => {
  process.stderr.write(`crdb-tasks-emulator: Failed to start: ${(err as Error).message}\n`)
  process.exit(1)
})
