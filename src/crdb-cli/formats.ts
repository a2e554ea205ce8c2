import type { CrdbWire, TaskWire } from '../lib/index.js'

/**
 * The text crdb-cli prints, as the docs show it (references/cli-utilities/crdb-cli/). Pure:
 * each function takes what the API answered and gives lines.
 */

/** What a field the API left out prints as (the docs' flush page shows `CRDB-GUID: -`). */
export const NONE = '-'

/**
 * Columns padded to their widest cell, two spaces apart, as the docs' `crdb list` sample is.
 * `padHeader` pads the header's last column too: the docs' `task list` header ends in spaces
 * (its rows do not).
 */
export function formatTable (headers: readonly string[], rows: ReadonlyArray<readonly string[]>, padHeader: boolean): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[], padLast: boolean): string => cells.map((c, i) => i === cells.length - 1 && !padLast ? c : c.padEnd(widths[i] ?? 0)).join('  ')
  return [line(headers, padHeader), ...rows.map((r) => line(r, false))]
}

/** `crdb list`: one row per instance of each CRDB. */
export function formatCrdbList (crdbs: readonly CrdbWire[]): string[] {
  const rows = crdbs.flatMap((c) => c.instances.map((i) => [c.guid, c.name, String(i.id), i.cluster.name]))
  return formatTable(['CRDB-GUID', 'NAME', 'REPL-ID', 'CLUSTER-FQDN'], rows, false)
}

/** `task list`: one row per live task. */
export function formatTaskList (tasks: readonly TaskWire[]): string[] {
  const rows = tasks.map((t) => [t.id, t.crdb_guid ?? NONE, t.operation, t.status, t.worker_name ?? NONE, t.started ?? NONE, t.ended ?? NONE])
  return formatTable(['TASK-ID', 'CRDB-GUID', 'OPERATION', 'STATUS', 'WORKER-NAME', 'STARTED', 'ENDED'], rows, true)
}

/** A task error as one line: `<error_code>: <description> (cluster <name>)`. */
export function formatTaskError (e: { error_code?: string, description?: string, cluster_name?: string }): string {
  // a credentials failure names no cluster (`"cluster_name": ""`, as real clusters answer)
  return `${e.error_code ?? 'error'}: ${e.description ?? ''}${e.cluster_name === undefined || e.cluster_name === '' ? '' : ` (cluster ${e.cluster_name})`}`
}

/**
 * `task status`: the docs' seven fields (a missing one prints `-`); `Errors:` when the task
 * has any; with `verbose`, the progress overall and per cluster.
 */
export function formatTaskStatus (task: TaskWire, verbose: boolean): string[] {
  const lines = [
    `Task-ID: ${task.id}`,
    `CRDB-GUID: ${task.crdb_guid ?? NONE}`,
    `Operation: ${task.operation}`,
    `Status: ${task.status}`,
    `Worker-Name: ${task.worker_name ?? NONE}`,
    `Started: ${task.started ?? NONE}`,
    `Ended: ${task.ended ?? NONE}`
  ]
  if (task.errors !== undefined && task.errors.length > 0) lines.push('Errors:', ...task.errors.map((e) => `  ${formatTaskError(e)}`))
  if (verbose && task.progress !== undefined) {
    lines.push('Progress:', `  Worker: ${task.progress.worker}`, '  Clusters:', ...task.progress.clusters.map((c) => `    ${c.name}: ${c.progress}`))
  }
  return lines
}

/** What a waiting command has shown so far of its task. */
export interface Shown { status: TaskWire['status'], guid: boolean }

const ENDED: ReadonlySet<string> = new Set(['finished', 'failed'])

/**
 * The progress lines for a task seen again: one per status change and, for a create, the GUID
 * once assigned (`  ---> CRDB GUID Assigned: crdb:<guid>`). A poll may miss a status: a task
 * seen queued and then ended went through `started` when it has a start time, so that change
 * is printed too, in order, as the real tool prints it.
 */
export function progressLines (shown: Shown, task: TaskWire): { lines: string[], shown: Shown } {
  const lines: string[] = []
  let { status, guid } = shown
  const showGuid = (): void => {
    if (!guid && task.operation === 'create_crdb' && task.crdb_guid !== undefined) {
      lines.push(`  ---> CRDB GUID Assigned: crdb:${task.crdb_guid}`)
      guid = true
    }
  }
  const change = (to: TaskWire['status']): void => {
    lines.push(`  ---> Status changed: ${status} -> ${to}`)
    status = to
  }
  if (status === 'queued' && ENDED.has(task.status) && task.started !== undefined) change('started')
  if (status === 'started') showGuid()
  if (task.status !== status) change(task.status)
  if (status === 'started') showGuid()
  return { lines, shown: { status, guid } }
}

/** A string as Python's repr() writes it: the docs' `crdb get` shows Python values. */
function pyString (s: string): string {
  const quote = s.includes('\'') && !s.includes('"') ? '"' : '\''
  const body = [...s].map((c) => {
    if (c === '\\') return '\\\\'
    if (c === quote) return `\\${c}`
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    const code = c.codePointAt(0) as number
    return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c
  }).join('')
  return `${quote}${body}${quote}`
}

/** A JSON value as Python's repr() writes it: `True`, `None`, `[{'regex': '.*'}]`. */
export function pyRepr (value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return pyString(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyRepr(v)}`).join(', ')}}`
}

/** A value on a `Key: value` line: strings bare, the rest as Python writes them. */
export const pyField = (value: unknown): string => typeof value === 'string' ? value : pyRepr(value)

/**
 * The health report as the docs' sample prints it: two-space indent, no space after `:`, and
 * `/` escaped as `\/`.
 */
export function formatHealthJson (value: unknown, indent = ''): string {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[\n${value.map((v) => inner + formatHealthJson(v, inner)).join(',\n')}\n${indent}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return entries.length === 0 ? '{}' : `{\n${entries.map(([k, v]) => `${inner}${jsonString(k)}:${formatHealthJson(v, inner)}`).join(',\n')}\n${indent}}`
  }
  return typeof value === 'string' ? jsonString(value) : JSON.stringify(value ?? null)
}

const jsonString = (s: string): string => JSON.stringify(s).replaceAll('/', '\\/')
