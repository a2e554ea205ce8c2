import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../src/cli/config.js'
import { HISTORY_CAUSES, PHASES } from '../src/engine/phases.js'
import { ERRORS } from '../src/http/errors.js'
import { PERMISSIONS } from '../src/emulator/users.js'
import { makeApp, type TestApp } from './http/helpers.js'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The body rows of the first table after `heading`, each as the exact line. */
function tableAfter (heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`)
  if (start < 0) throw new Error(`README has no heading "${heading}"`)
  const lines = README.slice(start).split('\n')
  const first = lines.findIndex((l) => l.startsWith('|'))
  const table = []
  for (let i = first; i < lines.length && (lines[i] as string).startsWith('|'); i++) table.push(lines[i] as string)
  return table.slice(2)
}
const cells = (row: string): string[] => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim())
const code = (text: string): string => `\`${text}\``

describe('the README', () => {
  it('lists every setting with its flag, variable, default and meaning, as the code has them', () => {
    expect(tableAfter('## Configuration')).toEqual(SETTINGS.map((s) => `| ${code(s.flag)} | ${code(s.env)} | ${s.default === '' ? 'none' : code(s.default)} | ${s.meaning} |`))
  })

  it('has the lifecycle table of the phase table', () => {
    expect(tableAfter('## Task lifecycle')).toEqual(Object.entries(PHASES).map(([phase, p]) =>
      `| ${phase} | ${code(p.status)} | ${code(phase)} | ${p.shows.workerName} | ${p.shows.started} | ${p.shows.ended} |`))
  })

  it('has the error catalog', () => {
    expect(tableAfter('## Error codes')).toEqual(Object.entries(ERRORS).map(([c, e]) => `| ${code(c)} | ${e.status} | ${e.description} |`))
  })

  it('has the permissions table', () => {
    const roles = tableAfter('## Auth: users and roles').map((row) => cells(row)[1])
    expect(roles).toEqual(Object.values(PERMISSIONS).map((list) => list.map(code).join(', ')))
  })

  it('has every history cause', () => {
    expect(tableAfter('History causes:')).toEqual(Object.entries(HISTORY_CAUSES).map(([c, meaning]) => `| ${code(c)} | ${meaning} |`))
  })

  describe('cancel table, each row run against the emulator', () => {
    let t: TestApp
    beforeAll(async () => { t = await makeApp() })
    afterAll(async () => { await t.app.close() })

    let n = 0
    /** Makes a task in the state the row names; returns its id. */
    const setups: Record<string, Array<() => Promise<string>>> = {
      queued: [async () => create({})],
      running: [async () => { const id = await create({ durations: { queued: null, running: null } }); await step(id); return id }],
      commit: [async () => { const id = await create({ durations: { queued: null, running: null, commit: null } }); await step(id); await step(id); return id }],
      'completed, failed or canceled': [
        async () => create({ durations: { queued: 0, running: 0, commit: 0 } }),
        async () => create({ durations: { queued: 0, running: 0 }, outcome: 'failed' }),
        async () => { const id = await create({}); await t.call({ method: 'POST', url: `/v1/crdb_tasks/${id}/actions/cancel` }); return id }
      ],
      'unknown or expired': [
        async () => 'never-made',
        async () => { const id = await create({ durations: { queued: 0, running: 0, commit: 0 }, result_ttl: 1 }); t.advance(1); return id }
      ],
      'queued or running, set up to refuse cancels': [
        async () => create({ cancel: 'conflict' }),
        async () => { const id = await create({ cancel: 'conflict', durations: { queued: null, running: null } }); await step(id); return id }
      ]
    }
    async function create (body: Record<string, unknown>): Promise<string> {
      const res = await t.call({ method: 'POST', url: '/__emulator/tasks', payload: { id: `row-${n++}`, ...body } })
      t.advance(0.001) // let zero-length phases pass
      return res.json.id
    }
    async function step (id: string): Promise<void> { await t.call({ method: 'POST', url: `/__emulator/tasks/${id}/step` }) }

    for (const row of tableAfter('## Cancel')) {
      const [state, without, withForce] = cells(row) as [string, string, string]
      it(`${state}: ${without} / ${withForce}`, async () => {
        const makers = setups[state]
        expect(makers, `no setup for README row "${state}"`).toBeDefined()
        for (const make of makers ?? []) {
          for (const [query, expected] of [['', without], ['?force=true', withForce]] as const) {
            const id = await make()
            const res = await t.call({ method: 'POST', url: `/v1/crdb_tasks/${id}/actions/cancel${query}` })
            expect(res.status, `${state} ${query}`).toBe(Number(expected.slice(0, 3)))
            const codeInCell = /`([a-z_]+)`/.exec(expected)?.[1]
            if (res.status !== 200) expect(res.json.error_code).toBe(codeInCell)
            else if (expected.includes('at once') || expected.includes('default 0')) expect(res.json.status).toBe('failed')
          }
        }
      })
    }
  })
})
