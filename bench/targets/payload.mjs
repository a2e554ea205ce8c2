// The task the references answer: the same ~300 bytes the emulator answers for a finished task.
export const TASK = {
  id: 'e1c49470-ae0b-4df8-885b-9c755dd614d0',
  crdb_guid: '1c3d5b7a-2e4f-4a6b-8c0d-9e1f2a3b4c5d',
  operation: 'create_crdb',
  status: 'finished',
  worker_name: 'crdb_worker:1:0',
  started: '2026-01-01T00:00:01Z',
  ended: '2026-01-01T00:00:14Z'
}
export const AUTH = `Basic ${Buffer.from('admin@example.com:admin').toString('base64')}`
