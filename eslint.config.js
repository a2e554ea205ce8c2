import neostandard from 'neostandard'

/**
 * The layers, lowest first, and what each may import (type-only imports included). A file of a
 * layer may import its own folder and the layers listed; `cli` and `lib` may import everything.
 * `test/layers.test.ts` plants a violation in each layer and checks that lint catches it.
 */
export const LAYERS = {
  engine: { may: [], packages: ['@sinclair/typebox'] },
  emulator: { may: ['engine'], packages: ['@sinclair/typebox'] },
  http: { may: ['engine', 'emulator'], packages: ['@sinclair/typebox', 'fastify', 'fastify-plugin', '@fastify/*'] }
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/**
 * Imports a file of `layer` may not make, for a file `depth` folders below the layer's own: a
 * relative path must stay in the layer or lead into a layer listed; a package must be listed.
 */
function rulesFor (layer, { may, packages }, depth) {
  const up = (n) => `(\\.\\./){${n}}`
  const allowed = [
    '\\./', // its own folder
    ...(depth === 0 ? [] : [`(\\.\\./){1,${depth}}(?!\\.\\./)`]), // up, but not out of the layer
    ...may.map((other) => `${up(depth + 1)}${escape(other)}/`),
    'node:',
    ...packages.map((p) => escape(p).replace('\\*', '[^/]+') + '(/|$)')
  ]
  return {
    'no-restricted-imports': ['error', {
      patterns: [{
        regex: `^(?!(${allowed.join('|')}))`,
        message: `src/${layer} may import only itself, ${[...may.map((m) => `src/${m}`), ...packages].join(', ')} and node: builtins (see docs/architecture.md).`
      }]
    }],
    // the layers below the shell never read the process (argv, env, exit): cli does
    'no-restricted-globals': ['error', { name: 'process', message: `src/${layer} does not touch the process: pass what it needs from src/cli.` }]
  }
}

/** Lint configs of the layer rules, one per folder depth (src/http/x.ts, src/http/routes/x.ts, ...). */
export const layerConfigs = Object.entries(LAYERS).flatMap(([layer, spec]) => [0, 1, 2].map((depth) => ({
  files: [`src/${layer}/${'*/'.repeat(depth)}*.ts`],
  rules: rulesFor(layer, spec, depth)
})))

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'coverage/**', 'node_modules/**']
  }),
  ...layerConfigs
]
