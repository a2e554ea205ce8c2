import { existsSync, mkdirSync } from 'node:fs'
import { once } from 'node:events'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, startServer, type Server } from '../e2e/helpers.js'

// The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the
// built server, as a newcomer would use it. Screenshots of the main states go to docs/.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
if (!HAVE_CHROMIUM) console.warn(`Dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`)
const DOCS = new URL('../../docs/', import.meta.url).pathname

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

  it('reads on a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 900 })
    await page.getByRole('button', { name: '+60 s' }).click()
    // wide tables scroll inside their own box; the page itself does not scroll sideways
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number
    expect(overflow).toBeLessThanOrEqual(1)
    await page.screenshot({ path: `${DOCS}dashboard-narrow.png` })
  })
})

mkdirSync(DOCS, { recursive: true })
