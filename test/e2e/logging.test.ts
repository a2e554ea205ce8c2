import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'

import { AUTH, MAIN, startServer } from './helpers.js'

// The request log lines are written asynchronously, in batches: none may be lost when the
// server is stopped right after the last answer, while lines are still queued.
describe('the built server\'s request log', () => {
  it('has exactly one line per request, all written out before it exits on SIGTERM', async () => {
    const server = await startServer(['--clock', 'manual'])
    // stdout is not read until the server stops: the pipe fills, and the lines wait in the
    // server's queue, as behind a slow log collector
    server.child.stdout.pause()
    const N = 3000
    const CONCURRENCY = 25
    let sent = 0
    const worker = async (): Promise<void> => {
      while (sent < N) {
        sent++
        const res = await fetch(`${server.url}/v1/crdb_tasks`, { headers: { authorization: AUTH } })
        await res.arrayBuffer()
        expect(res.status).toBe(200)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    // the lines are still queued when the signal comes
    server.child.kill('SIGTERM')
    await new Promise((resolve) => setTimeout(resolve, 300))
    server.child.stdout.resume()
    // 'close' comes after the child's stdout has ended: every line it wrote has been read
    const [code] = await once(server.child, 'close') as [number | null]
    expect(code).toBe(0)

    const entries = server.lines.map((line) => JSON.parse(line) as { msg?: string, url?: string, status?: number })
    const requests = entries.filter((e) => e.msg === 'request')
    expect(requests).toHaveLength(N)
    expect(requests.every((e) => e.url === '/v1/crdb_tasks' && e.status === 200)).toBe(true)
    // and nothing after the last line
    expect(entries.at(-1)?.msg).toBe('Stopped')
  }, 60_000)

  it('is lines for a person with --log-format pretty, none lost either', async () => {
    const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', '--clock', 'manual', '--log-format', 'pretty'], { stdio: 'pipe' })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const deadline = Date.now() + 10_000
    let url: string | undefined
    while (url === undefined) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
      if (Date.now() > deadline) throw new Error(`no start-up line in 10 s: ${out}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const N = 200
    for (let i = 0; i < N; i++) await (await fetch(`${url}/v1/crdb_tasks/none`, { headers: { authorization: AUTH } })).arrayBuffer()
    child.kill('SIGTERM')
    const [code] = await once(child, 'close') as [number | null]
    expect(code).toBe(0)
    expect(out).toMatch(/^\[[0-9:.]+\] INFO \(crdb-tasks-emulator\): Server listening at /)
    expect(out.match(/INFO \(crdb-tasks-emulator\): request\n/g)).toHaveLength(N)
    expect(out.match(/url: "\/v1\/crdb_tasks\/none"/g)).toHaveLength(N)
    expect(out).toMatch(/Stopped\n {4}code: 0\n$/)
  })
})
