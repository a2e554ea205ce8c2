#!/usr/bin/env node
// The server's entry point. It turns Node's module compile cache on (Node 22.1 and later; the
// image runs Node 22) before the server's modules are loaded, so that a start after the first
// reads their compiled code from disk instead of compiling it again; the cache must be on before
// a module is loaded, hence this file of its own. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as
// it does for Node's own NODE_COMPILE_CACHE.
//
// Then it loads the server: server.bundle.mjs beside it, main.ts and the packages it imports in
// one file (`npm run build` makes it, scripts/bundle.mjs), which loads much faster than the
// hundreds of files it replaces (docs/performance.md); or, without one (a tsc build alone, or
// this file run from src/), main.js, the same server unbundled.
import { existsSync } from 'node:fs'
import nodeModule from 'node:module'

const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown }
if (typeof enableCompileCache === 'function' && process.env.NODE_DISABLE_COMPILE_CACHE === undefined) {
  // a cache that cannot be made (a read-only disk) only means compiling as before
  try { enableCompileCache() } catch {}
}

const bundle = new URL('./server.bundle.mjs', import.meta.url)
await import(existsSync(bundle) ? bundle.href : './main.js')
