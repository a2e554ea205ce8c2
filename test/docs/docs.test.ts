import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../../src/cli/config.js'
import { HISTORY_CAUSES, OPERATIONS, PHASES } from '../../src/engine/phases.js'
import { ERRORS } from '../../src/http/errors.js'
import { PERMISSIONS } from '../../src/emulator/users.js'
import { makeApp, type TestApp } from '../http/helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

const API = read('docs/api.md')
const CONFIGURATION = read('docs/configuration.md')
const CONTROL_API = read('docs/control-api.md')

/** The README and every page in docs/, as paths from the repository's root. */
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]

/** The body rows of the first table after `heading` in `page`, each as the exact line. */
function tableAfter (page: string, heading: string): string[] {
  const start = page.indexOf(`\n${heading}\n`)
  if (start < 0) throw new Error(`the page has no heading "${heading}"`)
  const lines = page.slice(start).split('\n')
  const first = lines.findIndex((l) => l.startsWith('|'))
  const table = []
  for (let i = first; i < lines.length && (lines[i] as string).startsWith('|'); i++) table.push(lines[i] as string)
  return table.slice(2)
}
const cells = (row: string): string[] => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim())
const code = (text: string): string => `\`${text}\``

/** The text outside fenced code blocks: a `#` or a `[x](y)` in a shell sample is neither a heading nor a link. */
function prose (markdown: string): string {
  let fenced = false
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) { fenced = !fenced; return '' }
    return fenced ? '' : line
  }).join('\n')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2, ... */
function anchors (markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const found = new Set<string>()
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const base = (text as string).trim().toLowerCase()
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    found.add(n === 0 ? base : `${base}-${n}`)
  }
  return found
}

interface Link { page: string, target: string, file: string, anchor: string }

/** Every relative link and image of a page (not in code), with the file it leads to. */
function relativeLinks (page: string): Link[] {
  const text = prose(read(page)).replace(/`[^`\n]*`/g, '')
  const links: Link[] = []
  for (const [, target] of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target as string) || (target as string).startsWith('//')) continue
    const [path = '', anchor = ''] = (target as string).split('#', 2)
    const file = path === '' ? page : relative(ROOT, join(ROOT, dirname(page), decodeURIComponent(path)))
    links.push({ page, target: target as string, file, anchor: decodeURIComponent(anchor) })
  }
  return links
}

describe('the README', () => {
  it('is at most 12 KiB', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(12_288)
  })
})

describe('the links of the README and docs/', () => {
  const links = PAGES.flatMap(relativeLinks)

  it('are there to check', () => {
    expect(links.length).toBeGreaterThan(PAGES.length)
  })

  it('each lead to a file that exists', () => {
    expect(links.filter((l) => !existsSync(join(ROOT, l.file))).map((l) => `${l.page}: ${l.target}`)).toEqual([])
  })

  it('each name, after a #, a heading of the Markdown file they lead to', () => {
    const broken = links
      .filter((l) => l.anchor !== '' && l.file.endsWith('.md') && existsSync(join(ROOT, l.file)))
      .filter((l) => !anchors(read(l.file)).has(l.anchor))
    expect(broken.map((l) => `${l.page}: ${l.target}`)).toEqual([])
  })
})

describe('the docs', () => {
  it('list every setting with its flag, variable, default and meaning, as the code has them', () => {
    expect(tableAfter(CONFIGURATION, '## Settings')).toEqual(SETTINGS.map((s) => `| ${code(s.flag)} | ${code(s.env)} | ${s.default === '' ? 'none' : code(s.default)} | ${s.meaning} |`))
  })

  it('have the lifecycle table of the phase table', () => {
    expect(tableAfter(API, '## Task lifecycle')).toEqual(Object.entries(PHASES).map(([phase, p]) =>
      `| ${phase} | ${code(p.status)} | ${code(phase)} | ${p.shows.workerName} | ${p.shows.started} | ${p.shows.ended} |`))
  })

  it('have the error catalog', () => {
    expect(tableAfter(API, '## Error codes')).toEqual(Object.entries(ERRORS).map(([c, e]) => `| ${code(c)} | ${e.status} | ${e.description} |`))
  })

  it('have the permissions table', () => {
    const rows = tableAfter(API, '## Auth: users and roles').map(cells)
    expect(rows.map((row) => row[0])).toEqual(Object.keys(PERMISSIONS).map(code))
    expect(rows.map((row) => row[1])).toEqual(Object.values(PERMISSIONS).map((list) => list.map(code).join(', ')))
  })

  it('list every /v1 request the app serves but the task ones, with the permission it checks and its task\'s operation', async () => {
    const t = await makeApp()
    try {
      const served = t.app.routeList.filter((r) => r.url.startsWith('/v1/') && !r.url.startsWith('/v1/crdb_tasks'))
      const documented = tableAfter(API, '### Requests').map(cells)
      expect(documented.map((row) => row[0]).sort()).toEqual(served.map((r) => code(`${r.method} ${r.url}`)).sort())
      for (const row of documented) {
        const [method, url] = (row[0] ?? '').replaceAll('`', '').split(' ')
        expect(row[1], row[0]).toBe(code(served.find((r) => r.method === method && r.url === url)?.permission ?? ''))
        const operation = (row[2] ?? '').replaceAll('`', '')
        if (operation !== '(no task)') expect(OPERATIONS, row[0]).toContain(operation)
      }
    } finally {
      await t.app.close()
    }
  })

  it('have every history cause', () => {
    expect(tableAfter(CONTROL_API, '### History causes')).toEqual(Object.entries(HISTORY_CAUSES).map(([c, meaning]) => `| ${code(c)} | ${meaning} |`))
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

    for (const row of tableAfter(API, '## Cancel')) {
      const [state, without, withForce] = cells(row) as [string, string, string]
      it(`${state}: ${without} / ${withForce}`, async () => {
        const makers = setups[state]
        expect(makers, `no setup for docs/api.md row "${state}"`).toBeDefined()
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
