import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Modification times (ms) of every file under `dir`. */
function mtimes (dir: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...mtimes(path))
    else out.push(statSync(path).mtimeMs)
  }
  return out
}

/**
 * Before the tests that start the built server: refuse to test a stale dist/ (one built before
 * the newest change under src/), which would pass or fail for code that is no longer there.
 */
export function staleDistReason (root: string = ROOT): string | undefined {
  let built: number[]
  try {
    built = mtimes(join(root, 'dist'))
  } catch {
    return 'dist/ does not exist'
  }
  if (built.length === 0) return 'dist/ is empty'
  const newestSource = Math.max(...mtimes(join(root, 'src')))
  const oldestBuilt = Math.min(...built)
  return newestSource > oldestBuilt ? 'dist/ is older than src/' : undefined
}

export default function setup (): void {
  const reason = staleDistReason()
  if (reason !== undefined) throw new Error(`Failed to start the end-to-end tests: ${reason}. Run npm run build first (npm test does it for you).`)
}
