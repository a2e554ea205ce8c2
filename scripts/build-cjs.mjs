// The CommonJS build of the library, for Jest's default runtime and other CommonJS code:
// `require('crdb-tasks-emulator')` is dist/cjs/index.cjs (src/lib/index.ts and everything it
// imports) and `require('crdb-tasks-emulator/testcontainers')` dist/cjs/testcontainers.cjs, each
// bundled by esbuild with the packages left to `require`; the client side both use (client,
// handle, transport) is one module of its own, dist/cjs/core.cjs, so that its classes are the
// same in both. Run by `npm run build` after tsc (the image's build stage copies this file too).
//
// The ES modules' `import.meta.url` has no CommonJS equivalent in a bundle: each occurrence is
// replaced by the URL of that module's own file in dist/ (dist/cli/version.js for
// src/cli/version.ts), so that the paths it resolves (package.json, dist/ui/) are the ones the
// ES build resolves.
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')
const OUT = join(ROOT, 'dist', 'cjs')

/** `import.meta.url` of a src/ module, as the URL of its compiled file under dist/. */
const metaUrlOf = {
  name: 'import-meta-url',
  setup (b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const compiled = relative(SRC, args.path).replace(/\.ts$/, '.js').split(sep).join('/')
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', ${JSON.stringify(compiled)})).href`
      return { contents: source.replaceAll('import.meta.url', `(${url})`), loader: 'ts' }
    })
  }
}

/** Imports of the shared client side, from any other entry, are of dist/cjs/core.cjs. */
const SHARED = new Set(['client.ts', 'handle.ts', 'transport.ts'].map((f) => join(SRC, 'lib', f)))
const sharedCore = {
  name: 'shared-core',
  setup (b) {
    b.onResolve({ filter: /^\.\/(client|handle|transport)\.js$/ }, (args) => {
      const target = join(args.resolveDir, args.path.replace(/\.js$/, '.ts'))
      return SHARED.has(target) ? { path: './core.cjs', external: true } : undefined
    })
  }
}

// core.cjs has no source file of its own (tsc would compile one into dist/lib): its entry is this
const CORE = { contents: "export * from './client.js'\nexport * from './handle.js'\nexport * from './transport.js'\n", resolveDir: join(SRC, 'lib'), sourcefile: 'cjs-core.ts', loader: 'ts' }
const ENTRIES = { core: CORE, index: join(SRC, 'lib', 'index.ts'), testcontainers: join(SRC, 'lib', 'testcontainers.ts') }
for (const [name, entry] of Object.entries(ENTRIES)) {
  await build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: entry }),
    outfile: join(OUT, `${name}.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    // any other use of import.meta would be undefined here: refuse to build rather than ship it
    logOverride: { 'empty-import-meta': 'error' },
    plugins: name === 'core' ? [metaUrlOf] : [metaUrlOf, sharedCore]
  })
  // the types: the ES build's declarations, re-exported for a CommonJS consumer
  if (name !== 'core') await writeFile(join(OUT, `${name}.d.cts`), `export * from '../lib/${name}.js'\n`)
}

// fail the build, not a user's require(), when a bundle cannot load or lost the shared core
const load = createRequire(join(OUT, 'index.cjs'))
const main = load('./index.cjs')
if (typeof main.createEmulator !== 'function') throw new Error('Failed to build dist/cjs/index.cjs: it exports no createEmulator.')
if (main.EmulatorError !== load('./core.cjs').EmulatorError) throw new Error('Failed to build dist/cjs/index.cjs: it has an EmulatorError of its own, not core.cjs\'s.')
