// The dashboard's timeline: one row per task, its phases as bar segments on an axis of emulated
// time, the planned rest of a phase, pending cancels, the retention tail to expiry and a now line.
import { el, ms, seconds, type TaskView } from './dom.js'

const ACTIVE = new Set(['queued', 'running', 'commit'])
/** Tick steps, in seconds, from which the axis takes the smallest that keeps the labels apart. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 31536000]
/** The least span the axis shows, so that one task that just started is not one wide bar. */
const MIN_SPAN_MS = 10_000
/** Pixels each tick label may take. */
export const TICK_PX = 96

interface Segment { phase: string, from: number, to: number }
interface Axis { start: number, end: number, step: number }

/** The phases a task went through, each once per stay, from its history; the current phase runs to `now`. */
function segmentsOf (t: TaskView, now: number): { segments: Segment[], endedAt: number | null } {
  const segments: Segment[] = []
  let endedAt: number | null = null
  for (const h of t.history ?? []) {
    const at = ms(h.at) ?? now
    const last = segments.at(-1)
    if (endedAt !== null) break
    if (!ACTIVE.has(h.phase)) {
      if (last !== undefined) last.to = at
      endedAt = at
    } else if (last === undefined || last.phase !== h.phase) { // a cancel accepted or dropped stays in its phase
      if (last !== undefined) last.to = at
      segments.push({ phase: h.phase, from: at, to: now })
    }
  }
  if (segments.length === 0 && endedAt === null) segments.push({ phase: t.phase, from: ms(t.phase_started_at) ?? now, to: now })
  return { segments, endedAt }
}

/** From the oldest task's creation to a little past now, the planned phase ends and (if asked) the last expiry, on whole ticks. */
function axisOf (tasks: TaskView[], now: number, toExpiry: boolean, width: number): Axis {
  let first = now
  let last = now
  for (const t of tasks) {
    first = Math.min(first, ms(t.history?.[0]?.at) ?? ms(t.created_at) ?? now)
    if (t.task.ended === undefined) last = Math.max(last, ms(t.phase_ends_at) ?? now, ms(t.pending_cancel_at) ?? now)
    else if (toExpiry) last = Math.max(last, ms(t.expires_at) ?? now)
  }
  const span = Math.max(last - first, MIN_SPAN_MS)
  last = first + span * 1.04
  const ticks = Math.max(2, Math.floor(width / TICK_PX))
  const fits = (s: number): boolean => Math.ceil(last / (s * 1000)) - Math.floor(first / (s * 1000)) <= ticks
  const year = STEPS[STEPS.length - 1] as number
  const step = (STEPS.find(fits) ?? year * Math.ceil((last - first) / (year * 1000 * (ticks - 1)))) * 1000
  return { start: Math.floor(first / step) * step, end: Math.ceil(last / step) * step, step }
}

const iso = (t: number): string => new Date(t).toISOString()
const hms = (t: number): string => iso(t).slice(11, 19)
function tickLabel (t: number, step: number): string {
  if (step >= 86_400_000) return iso(t).slice(0, 10)
  return step >= 60_000 ? iso(t).slice(11, 16) : hms(t)
}

/** The timeline of `drawn` (oldest first) at `now`, for a track `width` pixels wide. */
export function drawTimeline (drawn: TaskView[], now: number, toExpiry: boolean, width: number): HTMLElement {
  const axis = axisOf(drawn, now, toExpiry, width)
  const pct = (t: number): number => Math.min(100, Math.max(0, (t - axis.start) / (axis.end - axis.start) * 100))
  const place = (node: HTMLElement, from: number, to?: number): HTMLElement => {
    node.style.left = `${pct(from).toFixed(3)}%`
    if (to !== undefined) node.style.width = `${(pct(to) - pct(from)).toFixed(3)}%`
    return node
  }
  const chart = el('div', undefined, { class: 'tl', 'data-start': iso(axis.start), 'data-end': iso(axis.end) })

  const head = el('div', undefined, { class: 'tl-axis', 'aria-hidden': 'true' })
  const ticks = el('div', undefined, { class: 'tl-ticks' })
  const overlay = el('div', undefined, { class: 'tl-overlay', 'aria-hidden': 'true' })
  for (let t = axis.start; t <= axis.end; t += axis.step) {
    const tick = place(el('span', tickLabel(t, axis.step), { class: 'tl-tick' }), t)
    if (t === axis.start) tick.classList.add('tl-first')
    if (t + axis.step > axis.end) tick.classList.add('tl-last')
    ticks.append(tick)
    overlay.append(place(el('span', undefined, { class: 'tl-grid' }), t))
  }
  const day = el('span', iso(axis.start).slice(0, 10), { class: 'tl-day' })
  day.append(el('span', ' UTC', { class: 'tl-utc' }))
  head.append(day, ticks)

  const rows = el('ol', undefined, { class: 'tl-rows', 'aria-label': 'Tasks over emulated time, oldest first' })
  for (const t of drawn) {
    const { segments, endedAt } = segmentsOf(t, now)
    const row = el('li', undefined, { class: 'tl-row', 'data-timeline-task': t.task.id })
    const label = el('span', t.task.id, { class: 'tl-label', title: `${t.task.id}: ${t.task.operation}, ${t.phase}` })
    const track = el('div', undefined, { class: 'tl-track', 'aria-hidden': 'true' })
    const said: string[] = []
    for (const s of segments) {
      const open = endedAt === null && s === segments.at(-1)
      const length = seconds((s.to - s.from) / 1000)
      const title = open ? `${s.phase} since ${hms(s.from)} (${length} so far)` : `${s.phase} ${hms(s.from)}–${hms(s.to)} (${length})`
      said.push(title)
      if (s.to > s.from) {
        track.append(place(el('span', undefined, { class: `tl-seg tl-${s.phase}`, 'data-phase': s.phase, 'data-from': iso(s.from), 'data-to': iso(s.to), title }), s.from, s.to))
      }
    }
    const plannedEnd = ms(t.phase_ends_at)
    if (endedAt === null && plannedEnd !== null && plannedEnd > now) {
      const title = `${t.phase} planned to end at ${hms(plannedEnd)} (in ${seconds((plannedEnd - now) / 1000)})`
      said.push(title)
      track.append(place(el('span', undefined, { class: `tl-seg tl-planned tl-${t.phase}`, 'data-phase': t.phase, 'data-from': iso(now), 'data-to': iso(plannedEnd), title }), now, plannedEnd))
    }
    const cancelAt = ms(t.pending_cancel_at)
    if (cancelAt !== null) {
      said.push(`a cancel takes effect at ${hms(cancelAt)}`)
      track.append(place(el('span', undefined, { class: 'tl-cancel', title: `cancel takes effect at ${hms(cancelAt)}` }), cancelAt))
    }
    const expires = ms(t.expires_at)
    if (endedAt !== null && expires !== null) {
      const title = `${t.phase} at ${hms(endedAt)}; the result is kept until ${hms(expires)} (expires in ${seconds(Math.max(0, expires - now) / 1000)})`
      said.push(title)
      const kept = place(el('span', undefined, { class: `tl-seg tl-kept tl-${t.phase}`, 'data-phase': t.phase, 'data-from': iso(endedAt), 'data-to': iso(expires), title }), endedAt, expires)
      if (expires > axis.end) kept.classList.add('tl-cut')
      track.append(kept)
      if (expires <= axis.end) track.append(place(el('span', undefined, { class: 'tl-expiry', 'data-at': iso(expires), title: `expires at ${hms(expires)}` }), expires))
    }
    row.append(label, track, el('span', `${t.task.id}: ${said.join('; ')}.`, { class: 'sr-only' }))
    rows.append(row)
  }
  overlay.append(place(el('span', undefined, { class: 'tl-now', 'data-at': iso(now) }), now))
  overlay.append(place(el('span', `now ${hms(now)}`, { class: `tl-now-label${pct(now) > 85 ? ' tl-end' : pct(now) < 15 ? ' tl-start' : ''}` }), now))
  chart.append(head, rows, overlay)
  return chart
}
