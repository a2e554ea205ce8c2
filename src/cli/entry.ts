#!/usr/bin/env node
// The server's entry point: turns Node's module compile cache on (Node 22.1 and later; the image
// runs Node 22) before main.ts's imports are loaded, so that a start after the first reads the
// compiled code of Fastify, TypeBox, pino and ours from disk instead of compiling it again. The
// cache must be on before a module is loaded, hence this file of its own; `main` does the rest.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does for Node's own NODE_COMPILE_CACHE.
import nodeModule from 'node:module'

const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown }
if (typeof enableCompileCache === 'function' && process.env.NODE_DISABLE_COMPILE_CACHE === undefined) {
  // a cache that cannot be made (a read-only disk) only means compiling as before
  try { enableCompileCache() } catch {}
}

await import('./main.js')
