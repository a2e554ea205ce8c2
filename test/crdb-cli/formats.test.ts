import { describe, expect, it } from 'vitest'
import type { CrdbWire, TaskWire } from '../../src/lib/index.js'
import { formatCrdb } from '../../src/crdb-cli/crdb-get-format.js'
import { formatCrdbList, formatHealthJson, formatTaskList, formatTaskStatus, progressLines, pyRepr, type Shown } from '../../src/crdb-cli/formats.js'
import { DEFAULT_SHARD_KEY_REGEX } from '../../src/crdb-cli/request-bodies.js'
import { sample } from './documented.js'

const GUID = 'd84f6fe4-5bb7-49d2-a188-8900e09c6f66'

/** A CRDB as the API answers it, with what the docs' samples show. */
function crdbOf (guid: string, name: string, fqdns: string[], extra: Partial<CrdbWire> = {}): CrdbWire {
  return {
    guid,
    name,
    default_db_config: {},
    instances: fqdns.map((fqdn, i) => ({ id: i + 1, cluster: { name: fqdn, url: `https://${fqdn}:9443` }, compression: 3, db_config: {}, db_uid: '' })),
    encryption: false,
    causal_consistency: false,
    featureset_version: 1,
    protocol_version: 1,
    local_databases: [],
    modules: [],
    managed_by: '',
    volatile_config_fields: [],
    status: 'active',
    ...extra
  }
}

describe('crdb list', () => {
  it('prints the docs\' sample exactly: one row per instance, columns two spaces apart', () => {
    const crdb = crdbOf(GUID, 'database1', ['cluster1.redis.local', 'cluster2.redis.local'])
    expect(formatCrdbList([crdb])).toEqual(sample('list').output)
  })

  it('prints the header alone when there is no CRDB', () => {
    expect(formatCrdbList([])).toEqual(['CRDB-GUID  NAME  REPL-ID  CLUSTER-FQDN'])
  })

  it('has the how-to page\'s columns, which that sample pads wider', () => {
    const documented = sample('list-howto').output
    const crdb = crdbOf('a16fe643-4a7b-4380-a5b2-96109d2e8bca', 'crdb1', ['cluster1.local', 'cluster2.local', 'cluster3.local'])
    const words = (lines: string[]): string[][] => lines.map((l) => l.split(/\s+/))
    expect(words(formatCrdbList([crdb]))).toEqual(words(documented))
  })
})

describe('task list', () => {
  const documented = sample('task-list').output

  it('prints the docs\' row of placeholders exactly', () => {
    const task = { id: '<task-ID>', crdb_guid: '<crdb-ID>', operation: '<operation>', status: '<result>', worker_name: '<worker-ID>', started: '<started>', ended: '<ended>' } as unknown as TaskWire
    const [header, row] = formatTaskList([task])
    expect(row).toBe(documented[1])
    expect(header?.trimEnd()).toBe(documented[0]?.trimEnd())
  })

  it('pads the ENDED header to a timestamp\'s width, as the docs\' header does', () => {
    const task: TaskWire = { id: '<task-ID>', crdb_guid: '<crdb-ID>', operation: 'create_crdb', status: 'finished', worker_name: 'crdb_worker:1:0', started: '2022-10-12T09:33:41Z', ended: '2022-10-12T09:33:55Z' }
    const [header] = formatTaskList([task])
    expect(header?.endsWith('ENDED               ')).toBe(true)
    expect(documented[0]?.endsWith('ENDED               ')).toBe(true)
  })

  it('prints - for what a task does not have yet', () => {
    const [, row] = formatTaskList([{ id: 't1', operation: 'flush_crdb', status: 'queued' }])
    expect(row?.split(/\s+/)).toEqual(['t1', '-', 'flush_crdb', 'queued', '-', '-', '-'])
  })
})

describe('task status', () => {
  const task: TaskWire = {
    id: 'e1c49470-ae0b-4df8-885b-9c755dd614d0',
    crdb_guid: '1d7741cc-1110-4e2f-bc6c-935292783d24',
    operation: 'create_crdb',
    status: 'finished',
    worker_name: 'crdb_worker:1:0',
    started: '2022-10-12T09:33:41Z',
    ended: '2022-10-12T09:33:55Z',
    progress: { worker: 'completed', clusters: [{ name: 'cluster1.redis.local', progress: 'completed' }] }
  }

  it('prints the docs\' sample exactly', () => {
    expect(formatTaskStatus(task, false)).toEqual(sample('task-status').output)
  })

  it('prints a flush task\'s CRDB-GUID as -, as the flush page\'s sample does', () => {
    const lines = formatTaskStatus({ id: '63239280-d060-4639-9bba-fc6a242c19fc', operation: 'flush_crdb', status: 'finished' }, false)
    for (const line of sample('task-status-flush').output) expect(lines).toContain(line)
  })

  it('adds the progress with --verbose, and the errors of a failed task either way', () => {
    const failed: TaskWire = { ...task, status: 'failed', errors: [{ cluster_name: 'cluster1.redis.local', error_code: 'db_create_failed', description: 'Unavailable or invalid port' }] }
    expect(formatTaskStatus(failed, false).slice(7)).toEqual(['Errors:', '  db_create_failed: Unavailable or invalid port (cluster cluster1.redis.local)'])
    expect(formatTaskStatus({ ...failed, errors: [{ cluster_name: '', error_code: 'internal_error', description: 'Error [401]' }] }, false).slice(8)).toEqual(['  internal_error: Error [401]'])
    expect(formatTaskStatus(failed, true).slice(9)).toEqual(['Progress:', '  Worker: completed', '  Clusters:', '    cluster1.redis.local: completed'])
  })
})

describe('crdb get', () => {
  it('prints the docs\' sample exactly, Python values and the sample\'s key orders included', () => {
    const crdb = crdbOf(GUID, 'database1', ['cluster1.redis.local', 'cluster2.redis.local'], {
      featureset_version: 5,
      default_db_config: { memory_size: 1073741824, port: 12000, replication: true, shard_key_regex: DEFAULT_SHARD_KEY_REGEX, sharding: true, shards_count: 1, tls_mode: 'disabled' }
    })
    expect(formatCrdb(crdb)).toEqual(sample('get').output)
  })

  it('prints the settings the sample does not list after the ones it does', () => {
    const crdb = crdbOf(GUID, 'db', ['a', 'b'], { default_db_config: { eviction_policy: 'noeviction', memory_size: 1 } })
    const lines = formatCrdb(crdb)
    expect(lines.indexOf('  eviction_policy: noeviction')).toBe(lines.indexOf('  max_aof_file_size: None') + 1)
  })

  it('writes values as Python does', () => {
    expect(pyRepr([{ regex: '.*\\{(?<tag>.*)\\}.*' }, { regex: '(?<tag>.*)' }])).toBe('[{\'regex\': \'.*\\\\{(?<tag>.*)\\\\}.*\'}, {\'regex\': \'(?<tag>.*)\'}]')
    expect([true, false, null, 3, 'it\'s', {}, []].map(pyRepr)).toEqual(['True', 'False', 'None', '3', '"it\'s"', '{}', '[]'])
  })
})

describe('crdb health-report', () => {
  it('prints the docs\' sample exactly: no space after a colon, / escaped', () => {
    const documented = sample('health-report').output.join('\n')
    expect(formatHealthJson(JSON.parse(documented))).toBe(documented)
  })
})

describe('the progress of a waiting command', () => {
  /** The lines for a task seen in `seen` states in turn. */
  function follow (seen: TaskWire[]): string[] {
    let shown: Shown = { status: 'queued', guid: false }
    const lines: string[] = []
    for (const task of seen) {
      const next = progressLines(shown, task)
      lines.push(...next.lines)
      shown = next.shown
    }
    return lines
  }
  const id = '633aaea3-97ee-4bcb-af39-a9cb25d7d4da'
  const guid = 'd84f6fe4-5bb7-49d2-a188-8900e09c6f66'
  const created: TaskWire = { id, operation: 'create_crdb', status: 'queued' }
  const started: TaskWire = { ...created, status: 'started', crdb_guid: guid, started: '2022-10-12T09:33:41Z' }
  const finished: TaskWire = { ...started, status: 'finished', ended: '2022-10-12T09:33:55Z' }

  it('prints the docs\' create sample, seen in every status', () => {
    expect([`Task ${id} created`, ...follow([created, created, started, started, finished])]).toEqual(sample('create').output)
  })

  it('prints the same when a poll missed the started status', () => {
    expect([`Task ${id} created`, ...follow([created, finished])]).toEqual(sample('create').output)
  })

  it('prints no GUID for other operations', () => {
    const update = (t: TaskWire): TaskWire => ({ ...t, operation: 'update_crdb' })
    expect(follow([update(created), update(finished)])).toEqual(sample('update-memory-size').output.slice(1))
  })

  it('goes straight from queued to failed for a task canceled before it started', () => {
    expect(follow([created, { ...created, status: 'failed', ended: '2022-10-12T09:33:42Z' }])).toEqual(['  ---> Status changed: queued -> failed'])
  })
})
