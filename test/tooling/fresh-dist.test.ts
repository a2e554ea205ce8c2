import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { staleDistReason } from './fresh-dist.js'

describe('the end-to-end tests\' guard against a stale dist/', () => {
  let root = ''
  afterEach(() => { rmSync(root, { recursive: true, force: true }) })

  /** A project with one source file and one built file, changed at these times (s). */
  const project = (sourceAt: number, builtAt: number | null): string => {
    root = mkdtempSync(join(tmpdir(), 'fresh-dist-'))
    mkdirSync(join(root, 'src', 'engine'), { recursive: true })
    writeFileSync(join(root, 'src', 'engine', 'a.ts'), '')
    utimesSync(join(root, 'src', 'engine', 'a.ts'), sourceAt, sourceAt)
    if (builtAt !== null) {
      mkdirSync(join(root, 'dist', 'engine'), { recursive: true })
      writeFileSync(join(root, 'dist', 'engine', 'a.js'), '')
      utimesSync(join(root, 'dist', 'engine', 'a.js'), builtAt, builtAt)
    }
    return root
  }

  it('passes a dist/ built after the newest source', () => {
    expect(staleDistReason(project(1_000, 2_000))).toBeUndefined()
  })

  it('refuses a dist/ built before a source changed', () => {
    expect(staleDistReason(project(3_000, 2_000))).toBe('dist/ is older than src/')
  })

  it('refuses a missing dist/', () => {
    expect(staleDistReason(project(1_000, null))).toBe('dist/ does not exist')
  })
})
