import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { joinText, writeFileAtomic, writeFileAtomicSync } from '../../src/emulator/state-file.js'

const dir = mkdtempSync(join(tmpdir(), 'state-file-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** 3 000 pieces of about 1 KiB: a text written in several writes of about a MiB. */
const pieces = Array.from({ length: 3000 }, (_, i) => `${i === 0 ? '' : ','}"${String(i).padStart(4, '0')}${'x'.repeat(1000)}"`)
const whole = `[${pieces.join('')}]`

describe('writing the state file in pieces', () => {
  it('writes every piece, in order, whether it takes one write or many (async)', async () => {
    const path = join(dir, 'async.json')
    writeFileSync(path, 'old')
    await writeFileAtomic(path, ['[', ...pieces, ']'])
    expect(readFileSync(path, 'utf8')).toBe(whole)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveLength(3000)
    await writeFileAtomic(path, 'short')
    expect(readFileSync(path, 'utf8')).toBe('short') // a shorter text leaves nothing of the longer one
    expect(readdirSync(dir).filter((f) => f.startsWith('async.json.'))).toEqual([])
  })

  it('writes every piece, in order (sync, as on shutdown)', () => {
    const path = join(dir, 'sync.json')
    writeFileAtomicSync(path, ['[', ...pieces, ']'])
    expect(readFileSync(path, 'utf8')).toBe(whole)
    writeFileAtomicSync(path, '')
    expect(readFileSync(path, 'utf8')).toBe('')
  })

  it('writes a list piece as JSON values separated by commas, across writes', async () => {
    const path = join(dir, 'list.json')
    const values = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, pad: 'p'.repeat(300) }))
    await writeFileAtomic(path, ['{"a":[', values, '],"b":[', [], '],"c":[', ['1'], ']}'])
    const back = JSON.parse(readFileSync(path, 'utf8')) as { a: Array<{ i: number }>, b: unknown[], c: number[] }
    expect(back.a.map((v) => v.i)).toEqual(values.map((_, i) => i))
    expect(back.b).toEqual([])
    expect(back.c).toEqual([1])
    expect(joinText(['{"a":[', values, ']}'])).toBe(readFileSync(path, 'utf8').replace(/,"b".*$/, '}'))
  })

  it('fails, writing nothing, when the temp file cannot be made', async () => {
    const path = join(dir, 'missing-dir', 'state.json')
    await expect(writeFileAtomic(path, ['{}'])).rejects.toMatchObject({ code: 'ENOENT' })
    expect(() => { writeFileAtomicSync(path, ['{}']) }).toThrow(/ENOENT/)
  })
})
