// What the dashboard's modules share: the overview's shape, times, and making elements.

export interface Clock { mode: string, now: string, scale: number, next_event_at: string | null }
export interface TaskView {
  task: { id: string, operation: string, status: string, crdb_guid?: string, started?: string, ended?: string, errors?: unknown[], progress?: unknown }
  phase: string
  created_at: string
  phase_started_at: string
  phase_ends_at: string | null
  expires_at: string | null
  pending_cancel_at: string | null
  /** Only on the tasks the timeline draws (the most recently created). */
  history?: Array<{ at: string, phase: string, cause: string }>
}
export interface Overview {
  namespace: string
  clock: Clock
  tasks: TaskView[]
  crdbs: Array<{ guid: string, name: string, instances: Array<{ cluster: { name: string } }>, status: string }>
  faults: Array<{ id: string, match: Record<string, unknown>, action: Record<string, unknown>, times?: number, hits: number }>
  requests: Array<{ method: string, path: string, status: number, user: string | null, at: string, duration_ms: number }>
  clusters: Array<{ name: string, reachable: boolean, delay_ms: number, crdbs: string[] }>
}

export const ms = (iso: string | null | undefined): number | null => iso == null ? null : Date.parse(iso)
export const seconds = (n: number): string => n >= 100 ? `${Math.round(n)} s` : `${n.toFixed(1)} s`

export function el (tag: string, text?: string, attrs: Record<string, string> = {}): HTMLElement {
  const e = document.createElement(tag)
  if (text !== undefined) e.textContent = text
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  return e
}
