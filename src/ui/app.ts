// The dashboard: polls /__emulator/overview every second and drives the control API. Plain DOM,
// no framework; compiled by `npm run build` to dist/ui/ (app.js, with dom.js and timeline.js,
// ES modules the page loads; routes/dashboard.ts serves each).

import { el, ms, seconds, type Clock, type Overview } from './dom.js'
import { drawTimeline, TICK_PX } from './timeline.js'

const base = location.pathname.replace(/\/__emulator\/ui\/?.*$/, '')
const $ = <T extends HTMLElement>(selector: string): T => document.querySelector(selector) as T
let latest: Overview | undefined
/** The timeline's box and track widths when last drawn (the ticks depend on them). */
let timelineWidth = 0
let trackWidth = 0
let shownTask: string | null = null
const rendered = new Map<string, string>()

async function api (method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin'
  })
  const text = await res.text()
  const json = text === '' ? undefined : JSON.parse(text)
  if (!res.ok) throw new Error(json?.description ?? `${res.status} ${res.statusText}`)
  return json
}

function say (text: string): void { $('#status').textContent = text }

async function act (what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
    say(`${what}: done`)
  } catch (err) {
    say(`${what} failed: ${(err as Error).message}`)
  }
  await refresh()
}

const clockText = (iso: string | null | undefined): string => iso == null ? '' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')

/** A cell that shows as much of a long text (an id, a GUID, a path) as fits, and all of it on hover. */
function cut (text: string): HTMLElement {
  const cell = el('td')
  cell.append(el('span', text, { class: 'cut', title: text }))
  return cell
}

/** A cell with a time of day, and its date too when it is not today's (emulated); the full time on hover. */
function when (iso: string | undefined, now: string): HTMLElement {
  const cell = el('td', undefined, { class: 'when' })
  if (iso === undefined) return cell
  const text = clockText(iso)
  cell.append(el('time', iso.slice(0, 10) === now.slice(0, 10) ? text.slice(11) : text, { datetime: iso, title: text }))
  return cell
}

/** Replaces a table body only when what it shows changed, so keyboard focus stays put. */
function fill (key: string, tbody: HTMLElement, data: unknown, rows: () => HTMLElement[]): void {
  const text = JSON.stringify(data)
  if (rendered.get(key) === text) return
  rendered.set(key, text)
  tbody.replaceChildren(...rows())
}

function renderClock (clock: Clock, namespace: string): void {
  $('#namespace').textContent = namespace === 'default' ? '' : `· namespace ${namespace}`
  $('#clock-mode').textContent = clock.mode === 'manual' ? 'Manual clock' : `Real clock ×${clock.scale}`
  $('#clock-now').textContent = clockText(clock.now)
  $('#clock-now').setAttribute('datetime', clock.now)
  const next = ms(clock.next_event_at)
  $('#clock-next').textContent = next === null ? 'none' : `in ${seconds((next - (ms(clock.now) ?? 0)) / 1000)}`
}

function renderTasks (o: Overview): void {
  const now = ms(o.clock.now) ?? 0
  $('#task-count').textContent = `(${o.tasks.length})`
  $('#no-tasks').hidden = o.tasks.length > 0
  fill('tasks', $('#tasks tbody'), { tasks: o.tasks, now }, () => o.tasks.map((t) => {
    const row = el('tr', undefined, { 'data-task': t.task.id })
    const idCell = el('td')
    const open = el('button', t.task.id, { type: 'button', class: 'link', 'data-open': t.task.id, 'aria-label': `Show task ${t.task.id}`, title: t.task.id })
    idCell.append(open)
    const actions = el('td')
    const box = el('div', undefined, { class: 'buttons' })
    const ended = t.task.ended !== undefined
    for (const [label, action, cls] of [['Step', 'step', ''], ['Cancel', 'cancel', ''], ['Force cancel', 'force', 'danger']] as const) {
      const b = el('button', label, { type: 'button', 'data-action': action, 'data-id': t.task.id, 'aria-label': `${label} task ${t.task.id}` })
      if (cls !== '') b.classList.add(cls)
      if (ended) b.setAttribute('disabled', '')
      box.append(b)
    }
    actions.append(box)
    row.append(idCell, actions, el('td', t.task.operation), cut(t.task.crdb_guid ?? ''))
    row.append(el('td', t.task.status, { class: `status status-${t.task.status}` }))
    row.append(el('td', t.phase + (t.pending_cancel_at === null ? '' : ' (cancel pending)'), { class: 'wrap' }))
    const bar = el('td')
    const start = ms(t.phase_started_at) ?? now
    const end = ms(t.phase_ends_at)
    if (end !== null && end > start) {
      const p = el('progress', undefined, { max: String(end - start), value: String(Math.min(now - start, end - start)) })
      p.setAttribute('aria-label', `${t.task.id}: ${seconds((now - start) / 1000)} of ${seconds((end - start) / 1000)} in ${t.phase}`)
      bar.append(p, document.createTextNode(` ${seconds((now - start) / 1000).replace(' s', '')} / ${seconds((end - start) / 1000)}`))
    } else {
      bar.textContent = t.task.ended !== undefined ? 'ended' : `held ${seconds((now - start) / 1000)}`
    }
    row.append(bar, when(t.task.started, o.clock.now), when(t.task.ended, o.clock.now))
    const expires = ms(t.expires_at)
    row.append(el('td', expires === null ? '' : seconds(Math.max(0, (expires - now) / 1000))))
    return row
  }))
}

function renderTimeline (o: Overview): void {
  const box = $('#timeline')
  const drawn = o.tasks.filter((t) => t.history !== undefined).sort((a, b) => (ms(a.created_at) ?? 0) - (ms(b.created_at) ?? 0))
  const now = ms(o.clock.now) ?? 0
  const toExpiry = ($('#timeline-expiry') as HTMLInputElement).checked
  timelineWidth = box.clientWidth
  $('#timeline-count').textContent = drawn.length === o.tasks.length ? `(${drawn.length})` : `(the latest ${drawn.length} of ${o.tasks.length})`
  $('#no-timeline').hidden = drawn.length > 0
  const key = JSON.stringify({ drawn, now, toExpiry, width: timelineWidth })
  if (rendered.get('timeline') === key) return
  rendered.set('timeline', key)
  if (drawn.length === 0) { box.replaceChildren(); return }
  // the ticks depend on the track's width, known once drawn: guess it, then draw again if the guess was off
  const guess = trackWidth > 0 ? trackWidth : timelineWidth * 0.8
  box.replaceChildren(drawTimeline(drawn, now, toExpiry, guess))
  trackWidth = (box.querySelector('.tl-ticks') as HTMLElement).clientWidth
  if (Math.floor(trackWidth / TICK_PX) !== Math.floor(guess / TICK_PX)) box.replaceChildren(drawTimeline(drawn, now, toExpiry, trackWidth))
}

async function renderDetail (): Promise<void> {
  const panel = $('#detail')
  if (shownTask === null || latest === undefined) { panel.hidden = true; return }
  const view = latest.tasks.find((t) => t.task.id === shownTask)
  if (view === undefined) { panel.hidden = true; say(`Task ${shownTask} is gone (its result expired)`); shownTask = null; return }
  panel.hidden = false
  $('#detail-id').textContent = view.task.id
  $('#detail-json').textContent = JSON.stringify(view.task, null, 2)
  const history = await api('GET', `/__emulator/tasks/${encodeURIComponent(view.task.id)}/history`) as { history: Array<{ at: string, phase: string, status: string, cause: string }> }
  fill('history', $('#history tbody'), history, () => history.history.map((h) => {
    const row = el('tr')
    row.append(el('td', clockText(h.at)), el('td', h.phase), el('td', h.status, { class: `status status-${h.status}` }), el('td', h.cause))
    return row
  }))
}

function renderFaults (o: Overview): void {
  $('#no-faults').hidden = o.faults.length > 0
  fill('faults', $('#faults'), o.faults, () => o.faults.map((f) => {
    const li = el('li')
    const what = 'status' in f.action ? `answer ${String(f.action.status)} ${String(f.action.error_code)}` : 'delay_ms' in f.action ? `delay ${JSON.stringify(f.action.delay_ms)} ms` : 'drop the connection'
    const when = Object.entries(f.match).map(([k, v]) => `${k} ${String(v)}`).join(', ') || 'every /v1 request'
    li.append(el('span', `${what} — ${when} — hit ${f.hits}${f.times === undefined ? '' : ` of ${f.times}`} `))
    li.append(el('button', 'Remove', { type: 'button', 'data-remove-fault': f.id, 'aria-label': `Remove fault ${f.id}` }))
    return li
  }))
}

function renderJournal (o: Overview): void {
  const filter = ($('#journal-filter') as HTMLInputElement).value.trim().toLowerCase()
  const entries = [...o.requests].reverse().filter((r) => filter === '' || `${r.method} ${r.path} ${r.status}`.toLowerCase().includes(filter))
  fill('journal', $('#journal tbody'), { entries, filter }, () => entries.map((r) => {
    const row = el('tr')
    row.append(el('td', clockText(r.at)), el('td', r.method), el('td', r.path, { class: 'wrap' }), el('td', r.status === 0 ? 'dropped' : String(r.status)), el('td', r.user ?? '(none)', { class: 'wrap' }), el('td', String(r.duration_ms)))
    return row
  }))
}

function renderCrdbs (o: Overview): void {
  $('#no-crdbs').hidden = o.crdbs.length > 0
  fill('crdbs', $('#crdbs tbody'), o.crdbs, () => o.crdbs.map((c) => {
    const row = el('tr')
    row.append(cut(c.guid), el('td', c.name, { class: 'wrap' }), el('td', c.instances.map((i) => i.cluster.name).join(', '), { class: 'wrap' }), el('td', c.status, { class: `status status-${c.status === 'active' ? 'finished' : 'failed'}` }))
    return row
  }))
}

function renderClusters (o: Overview): void {
  fill('clusters', $('#clusters tbody'), o.clusters, () => o.clusters.map((c) => {
    const row = el('tr')
    const toggle = el('button', c.reachable ? 'Make unreachable' : 'Make reachable', { type: 'button' })
    toggle.addEventListener('click', () => { fire(act(`make ${c.name} ${c.reachable ? 'unreachable' : 'reachable'}`, async () => await api('PUT', `/__emulator/clusters/${encodeURIComponent(c.name)}`, { reachable: !c.reachable }))) })
    const actions = el('td')
    actions.append(toggle)
    row.append(el('td', c.name), el('td', c.reachable ? 'yes' : 'no', { class: `status status-${c.reachable ? 'finished' : 'failed'}` }), el('td', String(c.delay_ms)), el('td', c.crdbs.join(', '), { class: 'wrap' }), actions)
    return row
  }))
}

async function refresh (): Promise<void> {
  try {
    latest = await api('GET', '/__emulator/overview') as Overview
    renderClock(latest.clock, latest.namespace)
    renderTasks(latest)
    renderTimeline(latest)
    renderFaults(latest)
    renderJournal(latest)
    renderCrdbs(latest)
    renderClusters(latest)
    await renderDetail()
    if (($('#status').textContent ?? '').startsWith('Loading')) say('Up to date')
  } catch (err) {
    say(`Failed to refresh: ${(err as Error).message}`)
  }
}

const PRESETS: Record<string, unknown> = {
  'busy-next': { match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { status: 503, error_code: 'cluster_busy', description: 'The cluster is busy (a fault set from the dashboard).' }, times: 1 },
  'busy-commit': { match: { phase: 'commit' }, action: { status: 503, error_code: 'cluster_busy', description: 'The cluster is busy committing (a fault set from the dashboard).' } },
  slow: { match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { delay_ms: [200, 800] } },
  drop: { match: { method: 'GET', path: '/v1/crdb_tasks/*' }, action: { drop: true }, times: 1 }
}

function numberOrNull (raw: string): number | null | undefined {
  const text = raw.trim()
  if (text === '') return undefined
  if (text === 'hold' || text === 'null') return null
  return Number(text)
}

/** Starts a promise from an event handler; its failure shows in the status line. */
function fire (promise: Promise<unknown>): void {
  promise.catch((err: unknown) => { say(`Failed: ${(err as Error).message}`) })
}

const taskPath = (id: string | undefined, rest: string): string => `/__emulator/tasks/${encodeURIComponent(id ?? '')}/${rest}`

function onClick (target: HTMLButtonElement): Promise<unknown> | undefined {
  const d = target.dataset
  if (d.advance !== undefined) return act(`Advanced ${d.advance} s`, async () => await api('POST', '/__emulator/clock/advance', { seconds: Number(d.advance) }))
  if (target.id === 'next-event') {
    const next = ms(latest?.clock.next_event_at)
    const now = ms(latest?.clock.now)
    if (next === null || now === null) { say('Nothing is due: every task is held or ended'); return undefined }
    return act('Advanced to the next event', async () => await api('POST', '/__emulator/clock/advance', { seconds: Math.max(0.001, (next - now) / 1000) }))
  }
  if (target.id === 'until-idle') return act('Ran until idle', async () => await api('POST', '/__emulator/clock/run', {}))
  if (d.action === 'step') return act(`Stepped ${d.id ?? ''}`, async () => await api('POST', taskPath(d.id, 'step'), {}))
  if (d.action === 'cancel') return act(`Canceled ${d.id ?? ''}`, async () => await api('POST', taskPath(d.id, 'cancel'), {}))
  if (d.action === 'force') return act(`Force-canceled ${d.id ?? ''}`, async () => await api('POST', taskPath(d.id, 'cancel?force=true'), {}))
  if (d.open !== undefined) {
    shownTask = d.open
    rendered.delete('history')
    return renderDetail().then(() => { $('#detail-title').scrollIntoView() })
  }
  if (target.id === 'detail-close') { shownTask = null; return renderDetail() }
  if (d.preset !== undefined) return act('Added a fault rule', async () => await api('POST', '/__emulator/faults', PRESETS[d.preset ?? '']))
  if (d.removeFault !== undefined) return act('Removed a fault rule', async () => { await api('DELETE', `/__emulator/faults/${encodeURIComponent(d.removeFault ?? '')}`) })
  return undefined
}

document.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest('button')
  if (target === null) return
  const promise = onClick(target)
  if (promise !== undefined) fire(promise)
})

$('#create').addEventListener('submit', (event) => {
  event.preventDefault()
  const form = new FormData(event.target as HTMLFormElement)
  const value = (name: string): string => String(form.get(name) ?? '').trim()
  const spec: Record<string, unknown> = { operation: value('operation'), outcome: value('outcome'), cancel: value('cancel') }
  if (value('id') !== '') spec.id = value('id')
  const durations: Record<string, number | null> = {}
  for (const phase of ['queued', 'running', 'commit']) {
    const n = numberOrNull(value(phase))
    if (n !== undefined) durations[phase] = n
  }
  if (Object.keys(durations).length > 0) spec.durations = durations
  if (value('outcome') === 'failed' && value('error_code') !== '') spec.errors = [{ error_code: value('error_code'), description: value('error_description') }]
  const delay = numberOrNull(value('cancel_delay'))
  if (typeof delay === 'number') spec.cancel_delay = delay
  const ttl = numberOrNull(value('result_ttl'))
  if (typeof ttl === 'number') spec.result_ttl = ttl
  fire(act('Created a task', async () => {
    const task = await api('POST', '/__emulator/tasks', spec) as { id: string }
    say(`Created task ${task.id}`)
  }))
})

$('#journal-filter').addEventListener('input', () => { if (latest !== undefined) renderJournal(latest) })
$('#timeline-expiry').addEventListener('change', () => { if (latest !== undefined) renderTimeline(latest) })
window.addEventListener('resize', () => { if (latest !== undefined && $('#timeline').clientWidth !== timelineWidth) renderTimeline(latest) })

fire(refresh())
setInterval(() => { fire(refresh()) }, 1000)
