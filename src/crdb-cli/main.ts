#!/usr/bin/env node
// crdb-cli's only impure part: the process's arguments, environment, files, output and time,
// handed to runCrdbCli. It sets the exit code rather than calling process.exit, so that
// stdout is flushed when it is a pipe.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { runCrdbCli } from './run.js'

// `crdb-cli task list | head -1` closes the pipe early: stop quietly, as shell tools do
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(process.exitCode ?? 0)
  })
}

process.exitCode = await runCrdbCli(process.argv.slice(2), {
  out: (line) => { process.stdout.write(`${line}\n`) },
  err: (line) => { process.stderr.write(`${line}\n`) },
  readFile: (path) => readFileSync(path, 'utf8'),
  sleep: async (ms) => { await sleep(ms) },
  now: () => performance.now(),
  env: process.env
})
