import { existsSync, mkdirSync } from 'node:fs'
import { once } from 'node:events'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TIMELINE_TASKS } from '../../src/http/schemas.js'
import { api, AUTH, startServer, type Server } from '../e2e/helpers.js'

// The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the
// built server, as a newcomer would use it. Screenshots of the main states go to docs/.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
if (!HAVE_CHROMIUM) console.warn(`Dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`)
const DOCS = new URL('../../docs/', import.meta.url).pathname

/**
 * How far the page scrolls sideways (px), which of its tables overflow their box (and so
 * scroll in it), and how far anything drawn in the timeline passes its box's sides (px).
 */
async function overflows (page: Page): Promise<{ page: number, boxes: string[], timeline: number }> {
  return await page.evaluate(() => {
    const { document } = globalThis as unknown as { document: InPage }
    const root = document.scrollingElement
    const boxes = [...document.querySelectorAll('.scroll')].filter((b) => b.offsetParent !== null && b.scrollWidth > b.clientWidth)
    const frame = (document.querySelector('#timeline') as InPage).getBoundingClientRect()
    let timeline = 0
    for (const e of document.querySelectorAll('#timeline *')) {
      const r = e.getBoundingClientRect()
      if (r.width > 0 || r.height > 0) timeline = Math.max(timeline, frame.left - r.left, r.right - frame.right)
    }
    return { page: Math.max(0, root.scrollWidth - root.clientWidth), boxes: boxes.map((b) => b.firstElementChild?.id ?? '?'), timeline: Math.round(timeline) }
  })
}

/** What the functions run in the page use of the DOM (the tests' TypeScript has no DOM types: they run in Node). */
interface InPage {
  scrollingElement: InPage
  querySelector: (selector: string) => InPage | null
  querySelectorAll: (selector: string) => Iterable<InPage>
  getBoundingClientRect: () => { x: number, left: number, right: number, width: number, height: number }
  dataset: Record<string, string | undefined>
  classList: { contains: (name: string) => boolean }
  offsetParent: unknown
  firstElementChild: InPage | null
  id: string
  scrollWidth: number
  clientWidth: number
}

interface Placed { from: string, to: string, x: number, width: number }
interface Drawn extends Placed { kind: 'phase' | 'planned' | 'kept', phase: string }
interface Chart {
  start: string
  end: string
  now: { at: string, x: number }
  track: { x: number, width: number }
  rows: Array<{ id: string, track: { x: number, width: number }, expiry: string | null, segments: Drawn[] }>
}

/** The timeline as drawn: its axis, the now line and each row's segments, with their times and where they are on the screen. */
async function chartOf (page: Page): Promise<Chart> {
  return await page.evaluate(() => {
    const { document } = globalThis as unknown as { document: InPage }
    const box = (e: InPage): { x: number, width: number } => { const r = e.getBoundingClientRect(); return { x: r.x, width: r.width } }
    const chart = document.querySelector('.tl') as InPage
    const now = chart.querySelector('.tl-now') as InPage
    const nowBox = box(now)
    return {
      start: chart.dataset.start as string,
      end: chart.dataset.end as string,
      now: { at: now.dataset.at as string, x: nowBox.x + nowBox.width / 2 },
      track: box(chart.querySelector('.tl-ticks') as InPage),
      rows: [...chart.querySelectorAll('.tl-row')].map((row) => ({
        id: row.dataset.timelineTask as string,
        track: box(row.querySelector('.tl-track') as InPage),
        expiry: row.querySelector('.tl-expiry')?.dataset.at ?? null,
        segments: [...row.querySelectorAll('.tl-seg')].map((s) => ({
          kind: s.classList.contains('tl-kept') ? 'kept' as const : s.classList.contains('tl-planned') ? 'planned' as const : 'phase' as const,
          phase: s.dataset.phase as string,
          from: s.dataset.from as string,
          to: s.dataset.to as string,
          ...box(s)
        }))
      }))
    }
  })
}

/** That a segment (or the now line) is where its times put it on the axis, cut at the axis' ends. */
function expectPlaced (chart: Chart, track: { x: number, width: number }, s: Placed): void {
  const start = Date.parse(chart.start)
  const span = Date.parse(chart.end) - start
  const at = (iso: string): number => track.x + track.width * Math.min(1, Math.max(0, (Date.parse(iso) - start) / span))
  expect(Math.abs(s.x - at(s.from)), `${JSON.stringify(s)} starts where its time is`).toBeLessThan(1.5)
  expect(Math.abs(s.x + s.width - at(s.to)), `${JSON.stringify(s)} ends where its time is`).toBeLessThan(1.5)
}

describe.skipIf(!HAVE_CHROMIUM)('the dashboard in Chromium', () => {
  let server: Server
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    server = await startServer(['--clock', 'manual'])
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, httpCredentials: { username: 'admin@example.com', password: 'admin' } })
    context.setDefaultTimeout(10_000)
    page = await context.newPage()
    await page.goto(`${server.url}/__emulator/ui`)
  }, 30_000)

  afterAll(async () => {
    await browser?.close()
    if (server !== undefined) {
      server.child.kill('SIGTERM')
      await once(server.child, 'exit')
    }
  })

  const row = (id: string) => page.locator(`tr[data-task="${id}"]`)

  it('opens on the clock, the tasks and the forms', async () => {
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('CRDB tasks emulator')
    await page.locator('#clock-mode', { hasText: 'Manual clock' }).waitFor()
    await page.locator('#no-tasks').waitFor()
  })

  it('creates a task from the form and, by advancing the clock, watches it reach finished', async () => {
    await page.getByLabel('Id').fill('from-form')
    await page.getByLabel('Queued').fill('1')
    await page.getByLabel('Running').fill('2')
    await page.getByLabel('Commit', { exact: true }).fill('1')
    await page.getByRole('button', { name: 'Create task' }).click()
    await row('from-form').locator('td.status', { hasText: 'queued' }).waitFor()
    await page.getByRole('button', { name: '+1 s' }).click()
    await row('from-form').locator('td.status', { hasText: 'started' }).waitFor()
    // the keyboard works too: focus a button and press Enter
    await page.getByRole('button', { name: '+10 s' }).focus()
    await page.keyboard.press('Enter')
    await row('from-form').locator('td.status', { hasText: 'finished' }).waitFor()
    expect(await row('from-form').locator('td').nth(5).textContent()).toBe('completed')
    await page.screenshot({ path: `${DOCS}dashboard.png` })
  })

  it('refuses a cancel during commit, and force-cancels it', async () => {
    await page.getByLabel('Id').fill('committing')
    await page.getByLabel('Queued').fill('0')
    await page.getByLabel('Running').fill('0')
    await page.getByLabel('Commit', { exact: true }).fill('hold')
    await page.getByRole('button', { name: 'Create task' }).click()
    await row('committing').waitFor()
    await page.getByRole('button', { name: '+1 s' }).click()
    await row('committing').locator('td', { hasText: /^commit$/ }).waitFor()
    await page.getByRole('button', { name: 'Cancel task committing', exact: true }).click()
    await page.locator('#status', { hasText: 'cannot be canceled' }).waitFor()
    await page.getByRole('button', { name: 'Force cancel task committing' }).click()
    await row('committing').locator('td.status', { hasText: 'failed' }).waitFor()
    expect(await row('committing').locator('td').nth(5).textContent()).toBe('canceled')
  })

  it('shows a task\'s history and verbose JSON', async () => {
    await page.getByRole('button', { name: 'Show task from-form' }).click()
    await page.locator('#detail').waitFor()
    await page.locator('#history tbody tr', { hasText: 'completed' }).waitFor()
    expect(await page.locator('#history tbody tr').count()).toBe(4)
    expect(JSON.parse(await page.locator('#detail-json').textContent() ?? '{}')).toMatchObject({ id: 'from-form', status: 'finished' })
  })

  it('shows a request of the code under test in the journal, and adds and removes a fault', async () => {
    const res = await fetch(`${server.url}/v1/crdb_tasks/from-form?verbose=true`, { headers: { authorization: AUTH } })
    expect(res.status).toBe(200)
    await page.locator('#journal tbody tr', { hasText: '/v1/crdb_tasks/from-form' }).waitFor()
    // no request of the code under test was a POST
    await page.getByLabel('Filter').fill('POST')
    expect(await page.locator('#journal tbody tr').count()).toBe(0)
    await page.getByLabel('Filter').fill('')
    await page.getByRole('button', { name: '503 on the next poll' }).click()
    await page.locator('#faults li', { hasText: 'answer 503 cluster_busy' }).waitFor()
    expect((await fetch(`${server.url}/v1/crdb_tasks/from-form`, { headers: { authorization: AUTH } })).status).toBe(503)
    await page.locator('#journal tbody tr', { hasText: '503' }).waitFor()
    await page.screenshot({ path: `${DOCS}dashboard-journal.png`, fullPage: true })
    await page.locator('#faults button', { hasText: 'Remove' }).click()
    await page.locator('#no-faults').waitFor()
  })

  it('lists the clusters, with the CRDBs each spans, and makes one unreachable and back', async () => {
    await page.locator('#clusters tbody tr', { hasText: 'cluster.local' }).waitFor()
    await page.getByRole('button', { name: 'Make unreachable' }).click()
    await page.locator('#clusters tbody tr', { hasText: 'no' }).waitFor()
    const state = await (await fetch(`${server.url}/__emulator/clusters`, { headers: { authorization: AUTH } })).json() as Array<{ reachable: boolean }>
    expect(state[0]?.reachable).toBe(false)
    await page.getByRole('button', { name: 'Make reachable' }).click()
    await page.locator('#clusters tbody tr', { hasText: 'yes' }).waitFor()
  })

  it('fits its tables in the page at 1280 px, cutting long ids and showing them whole on hover', async () => {
    const long = 'a-task-with-a-rather-long-identifier-0123456789'
    expect((await api(server, 'POST', '/__emulator/tasks', { id: long, durations: { queued: 1, running: 30, commit: 1 } })).status).toBe(201)
    expect((await api(server, 'GET', `/v1/crdb_tasks/${long}?verbose=true`)).status).toBe(200)
    await page.getByRole('button', { name: '+1 s' }).click()
    await row(long).locator('td.status', { hasText: 'started' }).waitFor()
    await page.locator('#journal tbody tr', { hasText: long }).waitFor()
    expect(await row(long).getByRole('button', { name: `Show task ${long}` }).getAttribute('title')).toBe(long)
    const guid = (await api(server, 'GET', `/v1/crdb_tasks/${long}`)).json.crdb_guid as string
    expect(guid).toMatch(/^[0-9a-f-]{36}$/)
    expect(await row(long).locator(`span[title="${guid}"]`).textContent()).toBe(guid)
    expect(await overflows(page)).toEqual({ page: 0, boxes: [], timeline: 0 })
  })

  describe('the timeline', () => {
    const NS = '/ns/timeline'
    let tl: Page
    const control = async (method: string, path: string, body?: unknown): Promise<any> => {
      const res = await api(server, method, NS + path, body)
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300)
      return res.json
    }
    const advance = async (seconds: number): Promise<void> => { await control('POST', '/__emulator/clock/advance', { seconds }) }
    const nowShown = async (): Promise<void> => {
      const clock = await control('GET', '/__emulator/clock') as { now: string }
      await tl.locator(`.tl-now[data-at="${clock.now}"]`).waitFor({ state: 'attached' })
    }

    beforeAll(async () => {
      await control('PUT', '/__emulator/namespaces/timeline', { clock: 'manual' })
      tl = await page.context().newPage()
      await tl.setViewportSize({ width: 1280, height: 800 })
      await tl.goto(`${server.url}${NS}/__emulator/ui`)
    })
    afterAll(async () => { await tl?.close() })

    it('draws nothing without tasks, then one bar per task with a segment for each phase it went through', async () => {
      await tl.locator('#no-timeline').waitFor()
      expect(await tl.locator('.tl-row').count()).toBe(0)
      await control('POST', '/__emulator/tasks', { id: 'done', durations: { queued: 2, running: 3, commit: 1 }, result_ttl: 30 })
      await tl.locator('.tl-row[data-timeline-task="done"] .tl-seg.tl-queued').waitFor()
      expect(await tl.locator('.tl-row').count()).toBe(1)
      await advance(1)
      await control('POST', '/__emulator/tasks', { id: 'failed', durations: { queued: 1, running: 2 }, outcome: 'failed' })
      await control('POST', '/__emulator/tasks', { id: 'held', durations: { queued: 1, running: null } })
      await advance(2)
      await control('POST', '/__emulator/tasks', { id: 'canceled', durations: { queued: 5 } })
      await advance(1)
      await control('POST', '/__emulator/tasks/canceled/cancel')
      await control('POST', '/__emulator/tasks', { id: 'slow', durations: { queued: 1, running: 40, commit: 2 }, cancel_delay: 20 })
      await advance(2)
      await control('POST', '/__emulator/tasks/slow/cancel')
      await advance(2)
      await nowShown()
      const chart = await chartOf(tl)
      expect(chart.rows.map((r) => r.id)).toEqual(['done', 'failed', 'held', 'canceled', 'slow'])
      // each phase's segment spans its history entries, placed on the axis where its times are
      for (const r of chart.rows) {
        const { history } = await control('GET', `/__emulator/tasks/${r.id}/history`) as { history: Array<{ at: string, phase: string }> }
        const stays = history.filter((h, i) => i === 0 || h.phase !== history[i - 1]?.phase)
        const phases = r.segments.filter((s) => s.kind === 'phase')
        expect(phases.map((s) => s.phase)).toEqual(stays.filter((h) => ['queued', 'running', 'commit'].includes(h.phase)).map((h) => h.phase))
        phases.forEach((s, i) => {
          expect(s.from).toBe(stays[i]?.at)
          if (stays[i + 1] !== undefined) expect(s.to).toBe(stays[i + 1]?.at)
        })
        for (const s of r.segments) expectPlaced(chart, r.track, s)
      }
      const byId = Object.fromEntries(chart.rows.map((r) => [r.id, r]))
      expect(byId.done?.segments.map((s) => `${s.kind} ${s.phase}`)).toEqual(['phase queued', 'phase running', 'phase commit', 'kept completed'])
      expect(byId.failed?.segments.map((s) => `${s.kind} ${s.phase}`)).toEqual(['phase queued', 'phase running', 'kept failed'])
      expect(byId.canceled?.segments.map((s) => `${s.kind} ${s.phase}`)).toEqual(['phase queued', 'kept canceled'])
      // a held phase runs to now; a running one shows the rest of its planned duration, and its pending cancel
      expect(byId.held?.segments.at(-1)).toMatchObject({ kind: 'phase', phase: 'running', to: chart.now.at })
      expect(byId.slow?.segments.map((s) => `${s.kind} ${s.phase}`)).toEqual(['phase queued', 'phase running', 'planned running'])
      expect(await tl.locator('.tl-row[data-timeline-task="slow"] .tl-cancel').count()).toBe(1)
      expect(await tl.locator('#timeline-count').textContent()).toBe('(5)')
    })

    it('moves the now line when the clock advances', async () => {
      const before = await chartOf(tl)
      await tl.getByRole('button', { name: '+10 s' }).click()
      await nowShown()
      const after = await chartOf(tl)
      expect(Date.parse(after.now.at) - Date.parse(before.now.at)).toBe(10_000)
      // the slow task's planned end holds the axis still, so the line itself moves right
      expect(after.start).toBe(before.start)
      expect(after.end).toBe(before.end)
      expect(after.now.x - before.now.x).toBeCloseTo(after.track.width * 10_000 / (Date.parse(after.end) - Date.parse(after.start)), 0)
      expectPlaced(after, after.track, { from: after.now.at, to: after.now.at, x: after.now.x, width: 0 })
      await tl.locator('#timeline-panel').screenshot({ path: `${DOCS}dashboard-timeline.png` })
    })

    it('shows when an ended task\'s result expires, and drops the task then', async () => {
      const overview = await control('GET', '/__emulator/overview') as { tasks: Array<{ task: { id: string }, expires_at: string | null }> }
      const expiry = (id: string): string => overview.tasks.find((t) => t.task.id === id)?.expires_at as string
      let chart = await chartOf(tl)
      const kept = chart.rows.find((r) => r.id === 'done')?.segments.find((s) => s.kind === 'kept')
      expect(kept?.to).toBe(expiry('done'))
      expect(chart.rows.find((r) => r.id === 'done')?.expiry).toBe(expiry('done'))
      // the others' results are kept 500 s, past the axis, until it is stretched to the last expiry
      expect(chart.rows.find((r) => r.id === 'failed')?.expiry).toBeNull()
      await tl.getByLabel('Up to the last expiry').check()
      await tl.locator('.tl-row[data-timeline-task="failed"] .tl-expiry').waitFor()
      chart = await chartOf(tl)
      for (const id of ['done', 'failed', 'canceled']) expect(chart.rows.find((r) => r.id === id)?.expiry).toBe(expiry(id))
      expect(Date.parse(chart.end)).toBeGreaterThanOrEqual(Date.parse(expiry('failed')))
      for (const r of chart.rows) for (const s of r.segments) expectPlaced(chart, r.track, s)
      await tl.getByLabel('Up to the last expiry').uncheck()
      await advance((Date.parse(expiry('done')) - Date.parse(chart.now.at)) / 1000)
      await tl.locator('.tl-row[data-timeline-task="done"]').waitFor({ state: 'detached' })
      expect(await tl.locator('.tl-row').count()).toBe(4)
    })

    it(`stays readable with 200 tasks: it draws the latest ${TIMELINE_TASKS}`, async () => {
      const many = '/ns/timeline-many'
      expect((await api(server, 'PUT', '/__emulator/namespaces/timeline-many', { clock: 'manual' })).status).toBe(201)
      for (let i = 0; i < 200; i++) {
        const id = `many-${String(i).padStart(3, '0')}`
        expect((await api(server, 'POST', `${many}/__emulator/tasks`, { id, durations: { queued: 1 + (i % 3), running: 2 + (i % 5), commit: 1 }, outcome: i % 7 === 0 ? 'failed' : 'finished' })).status).toBe(201)
        expect((await api(server, 'POST', `${many}/__emulator/clock/advance`, { seconds: 0.5 })).status).toBe(200)
      }
      await tl.goto(`${server.url}${many}/__emulator/ui`)
      await tl.locator('#timeline-count', { hasText: `(the latest ${TIMELINE_TASKS} of 200)` }).waitFor()
      const chart = await chartOf(tl)
      expect(chart.rows.map((r) => r.id)).toEqual(Array.from({ length: TIMELINE_TASKS }, (_, i) => `many-${String(200 - TIMELINE_TASKS + i).padStart(3, '0')}`))
      for (const r of chart.rows) {
        expect(r.segments.filter((s) => s.kind === 'phase').length).toBeGreaterThan(0)
        for (const s of r.segments) expectPlaced(chart, r.track, s)
      }
      expect(await overflows(tl)).toEqual({ page: 0, boxes: [], timeline: 0 })
    })
  })

  it('reads on a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 900 })
    await page.getByRole('button', { name: '+60 s' }).click()
    await page.locator('.tl-now-label', { hasText: 'now' }).waitFor()
    // wide tables scroll inside their own box; the page itself does not scroll sideways, nor the timeline
    const { page: overflow, timeline } = await overflows(page)
    expect(overflow).toBe(0)
    expect(timeline).toBe(0)
    expect(await page.locator('.tl-row').count()).toBe(3)
    await page.screenshot({ path: `${DOCS}dashboard-narrow.png` })
  })
})

mkdirSync(DOCS, { recursive: true })
