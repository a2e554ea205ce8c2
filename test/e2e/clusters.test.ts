import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exitOf, startServer } from './helpers.js'

// --clusters: the built server answering as two linked clusters, one on a port of its own.
const dir = mkdtempSync(join(tmpdir(), 'clusters-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const freePort = async (): Promise<number> => await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => { resolve(port) })
  })
})
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('--clusters', () => {
  it('answers as each cluster: on its own port, and on the main port by Host', async () => {
    const westPort = await freePort()
    const file = join(dir, 'clusters.json')
    writeFileSync(file, JSON.stringify({
      clusters: [
        { name: 'east.example.com' },
        { name: 'west.example.com', port: westPort, users: [{ email: 'ops@west.example.com', password: 'w3st', role: 'admin' }] }
      ]
    }))
    const server = await startServer(['--clock', 'manual', '--clusters', file])
    try {
      const west = await fetch(`http://127.0.0.1:${westPort}/v1/cluster`, { headers: { authorization: basic('ops@west.example.com', 'w3st') } })
      expect(((await west.json()) as { name: string }).name).toBe('west.example.com')
      const east = await fetch(`${server.url}/v1/cluster`, { headers: { authorization: basic('admin@example.com', 'admin') } })
      expect(((await east.json()) as { name: string }).name).toBe('east.example.com')
      const refused = await fetch(`http://127.0.0.1:${westPort}/v1/cluster`, { headers: { authorization: basic('admin@example.com', 'admin') } })
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="west.example.com"')
      const startup = JSON.parse(server.lines.find((l) => l.includes('"url"')) ?? '{}') as { clusters?: unknown }
      expect(startup.clusters).toEqual([
        { name: 'east.example.com', url: server.url, users: ['admin@example.com'] },
        { name: 'west.example.com', url: `http://127.0.0.1:${westPort}`, users: ['ops@west.example.com'] }
      ])
    } finally {
      server.child.kill('SIGTERM')
      await once(server.child, 'exit')
    }
  })

  it('refuses a bad --clusters file with exit code 2 and one line', async () => {
    const cases: Array<[string, string]> = [
      ['{ nope', 'not valid JSON'],
      [JSON.stringify({ clusters: [] }), 'clusters'],
      [JSON.stringify({ clusters: [{ name: 'a' }, { name: 'A' }] }), 'listed twice'],
      [JSON.stringify({ clusters: [{ name: 'a', port: 9001 }, { name: 'b', port: 9001 }] }), 'port 9001'],
      [JSON.stringify({ clusters: [{ name: 'a', users: [{ email: 'x', password: 'y', role: 'boss' }] }] }), 'role']
    ]
    for (const [text, words] of cases) {
      const file = join(dir, 'bad.json')
      writeFileSync(file, text)
      const { code, stderr } = await exitOf(['--clusters', file])
      expect(code, text).toBe(2)
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr, text).toContain(words)
    }
    expect((await exitOf(['--clusters', join(dir, 'missing.json')])).stderr).toContain('cannot read')
  })
})
