import { readdirSync } from 'node:fs'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { LAYERS } from '../../eslint.config.js'

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname })

/** The rules lint reports for `code` as if it were the file at `path`. */
async function violations (path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: path })
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message).filter((r) => r === 'no-restricted-imports' || r === 'no-restricted-globals')
}

describe('the layer check', () => {
  it('knows every folder of src/: a checked layer, or the shell (cli, lib, crdb-cli) and the browser page (ui)', () => {
    const folders = readdirSync(new URL('../../src', import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    expect(folders).toEqual([...Object.keys(LAYERS), 'cli', 'crdb-cli', 'lib', 'ui'].sort())
  })

  const planted: Array<[string, string, boolean]> = [
    // [file, import, allowed]
    ['src/engine/planted.ts', "import { buildApp } from '../http/app.js'", false],
    ['src/engine/planted.ts', "import type { FakeCluster } from '../emulator/cluster.js'", false],
    ['src/engine/planted.ts', "export type { Config } from '../cli/config.js'", false],
    ['src/engine/planted.ts', "import Fastify from 'fastify'", false],
    ['src/engine/planted.ts', "import { createClock } from './clock.js'", true],
    ['src/engine/planted.ts', "import { Type } from '@sinclair/typebox'", true],
    ['src/engine/planted.ts', "import { randomUUID } from 'node:crypto'", true],
    ['src/emulator/planted.ts', "import { ApiError } from '../http/errors.js'", false],
    ['src/emulator/planted.ts', "import type { Config } from '../cli/config.js'", false],
    ['src/emulator/planted.ts', "import { pino } from 'pino'", false],
    ['src/emulator/planted.ts', "import { createEngine } from '../engine/engine.js'", true],
    ['src/http/planted.ts', "import { loadConfig } from '../cli/config.js'", false],
    ['src/http/planted.ts', "import { createEmulator } from '../lib/index.js'", false],
    ['src/http/routes/planted.ts', "import type { Config } from '../../cli/config.js'", false],
    ['src/http/routes/planted.ts', "import { pino } from 'pino'", false],
    ['src/http/routes/planted.ts', "import { ApiError } from '../errors.js'", true],
    ['src/http/routes/planted.ts', "import type { Engine } from '../../engine/engine.js'", true],
    ['src/http/plugins/planted.ts', "import fp from 'fastify-plugin'", true],
    ['src/http/plugins/planted.ts', "import fastifyBasicAuth from '@fastify/basic-auth'", true],
    ['src/cli/planted.ts', "import { buildApp } from '../http/app.js'", true],
    ['src/lib/planted.ts', "import { assemble } from '../cli/assemble.js'", true]
  ]
  for (const [file, line, allowed] of planted) {
    it(`${allowed ? 'allows' : 'refuses'} in ${file}: ${line}`, async () => {
      expect(await violations(file, line)).toEqual(allowed ? [] : ['no-restricted-imports'])
    })
  }

  it('refuses the process in the engine, emulator and HTTP layers, not in the shell', async () => {
    for (const layer of Object.keys(LAYERS)) {
      expect(await violations(`src/${layer}/planted.ts`, 'export const env = process.env')).toEqual(['no-restricted-globals'])
    }
    expect(await violations('src/cli/planted.ts', 'export const env = process.env')).toEqual([])
  })
})
