// The bundles `npm run build` makes after tsc (the image's build stage copies this file too):
//
// - The server, dist/cli/server.bundle.mjs: src/cli/main.ts and everything it imports, the
//   packages included (Fastify, TypeBox, pino), as one ES module. Loading the hundreds of files it
//   replaces (TypeBox's ES build alone opens 216) was most of what the CLI's start cost;
//   dist/cli/entry.js loads this file when it is there and dist/cli/main.js when it is not.
//   What the server loads only when it is used stays a package of its own, loaded from
//   node_modules then, as it is by main.js: see LAZY.
// - The CommonJS build of the library, for Jest's default runtime and other CommonJS code:
//   `require('crdb-tasks-emulator')` is dist/cjs/index.cjs (src/lib/index.ts and everything it
//   imports) and `require('crdb-tasks-emulator/testcontainers')` dist/cjs/testcontainers.cjs,
//   each bundled with the packages left to `require`; the client side both use (client, handle,
//   transport) is one module of its own, dist/cjs/core.cjs, so that its classes are the same in
//   both.
//
// A module's `import.meta.url` means its own file, which a bundle is not: each occurrence is
// replaced by the URL of that module's own compiled file in dist/ (dist/cli/version.js for
// src/cli/version.ts), so that the paths it resolves (package.json, dist/ui/, the packages
// loaded with createRequire) are the ones the unbundled build resolves.
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')
const DIST = join(ROOT, 'dist')
const OUT = join(DIST, 'cjs')

/**
 * `import.meta.url` of a src/ module, as the URL of its compiled file under dist/, found from
 * where the bundle is: `urlFrom(dir)` is that URL as an expression, given the path from the
 * bundle's directory to the compiled file.
 */
function metaUrlOf (urlFrom) {
  return {
    name: 'import-meta-url',
    setup (b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8')
        const compiled = relative(SRC, args.path).replace(/\.ts$/, '.js').split(sep).join('/')
        return { contents: source.replaceAll('import.meta.url', `(${urlFrom(compiled)})`), loader: 'ts' }
      })
    }
  }
}

/**
 * Packages the server loads only when they are used, left out of its bundle so that they still
 * cost nothing until then: selfsigned (a certificate for --tls), pino-pretty (--log-format
 * pretty), and what Fastify requires only when asked (its default compilers, which the app's
 * schemaController replaces, and light-my-request, for inject). @fastify/swagger, Ajv and
 * fast-json-stringify are loaded with createRequire (src/http/openapi.ts, schema-compilers.ts),
 * which esbuild does not follow; they are listed so that a change to a plain import of them
 * still leaves them out.
 */
const LAZY = ['selfsigned', 'pino-pretty', '@fastify/swagger', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request']

// the server: the bundle is in dist/cli, so a compiled file is ../<its path under dist>
const server = await build({
  entryPoints: [join(SRC, 'cli', 'main.ts')],
  outfile: join(DIST, 'cli', 'server.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: LAZY,
  // the CommonJS packages in the bundle (Fastify, pino) require Node's modules and the LAZY ones
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'\nconst require = __bundleCreateRequire(import.meta.url)" },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  plugins: [metaUrlOf((compiled) => `new URL(${JSON.stringify(`../${compiled}`)}, import.meta.url).href`)]
})
// fail the build, not a start, when a package meant to load lazily was bundled after all
const bundled = Object.keys(server.metafile.inputs)
const eager = LAZY.filter((name) => bundled.some((input) => input.startsWith(`node_modules/${name}/`)))
if (eager.length > 0) throw new Error(`Failed to build dist/cli/server.bundle.mjs: it holds ${eager.join(', ')}, which must load only when used.`)

// the library as CommonJS: the bundles are in dist/cjs, so a compiled file is ../<its path under dist>
const cjsMetaUrl = metaUrlOf((compiled) => `require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', ${JSON.stringify(compiled)})).href`)

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
    plugins: name === 'core' ? [cjsMetaUrl] : [cjsMetaUrl, sharedCore]
  })
  // the types: the ES build's declarations, re-exported for a CommonJS consumer
  if (name !== 'core') await writeFile(join(OUT, `${name}.d.cts`), `export * from '../lib/${name}.js'\n`)
}

// fail the build, not a user's require(), when a bundle cannot load or lost the shared core
const load = createRequire(join(OUT, 'index.cjs'))
const main = load('./index.cjs')
if (typeof main.createEmulator !== 'function') throw new Error('Failed to build dist/cjs/index.cjs: it exports no createEmulator.')
if (main.EmulatorError !== load('./core.cjs').EmulatorError) throw new Error('Failed to build dist/cjs/index.cjs: it has an EmulatorError of its own, not core.cjs\'s.')
