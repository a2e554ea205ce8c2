import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'

/**
 * The validators and serializers of the routes' schemas, compiled once per process and only
 * when first used.
 *
 * Fastify compiles every route's schemas when an app gets ready, with a new Ajv per app: ~0.7 s
 * of CPU at each start, and again for every `createEmulator()` in a test suite. These compilers
 * are Fastify's own (`@fastify/ajv-compiler` with the options below, and
 * `@fastify/fast-json-stringify-compiler`), so requests are checked and answers written exactly as
 * before; what changes is when: a route's schema is compiled on the route's first request (and
 * the packages loaded on the first one of all), and the compiled function is kept for the
 * process, found again by the schema object or, for a schema built anew per app, by its JSON.
 */

/** Fastify's Ajv, with request values taken as they come: no coercion, nothing removed, one error, with its data. */
export const AJV_OPTIONS = { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } as const

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown }
type Serialize = (data: unknown) => string

const load = createRequire(import.meta.url)

let ajvCompile: ((route: { schema: unknown }) => Validate) | undefined
let fjsCompile: ((route: { schema: unknown }) => Serialize) | undefined

/** The one Ajv of the process, made as Fastify makes each app's (`buildValidator({}, options.ajv)`). */
function compileValidator (schema: unknown): Validate {
  if (ajvCompile === undefined) {
    const selector = load('@fastify/ajv-compiler') as () => (external: object, options: { customOptions: object, plugins: unknown[] }) => (route: { schema: unknown }) => Validate
    ajvCompile = selector()({}, { customOptions: { ...AJV_OPTIONS }, plugins: [] })
  }
  return ajvCompile({ schema })
}

/** fast-json-stringify, as Fastify's default serializer compiler calls it (no shared schemas). */
function compileSerializer (schema: unknown): Serialize {
  if (fjsCompile === undefined) {
    const selector = load('@fastify/fast-json-stringify-compiler') as () => (external: object, options: unknown) => (route: { schema: unknown }) => Serialize
    fjsCompile = selector()({}, undefined)
  }
  return fjsCompile({ schema })
}

/** What one kind of compiled function is kept by: the schema object, else its JSON. */
class CompiledCache<F> {
  private readonly byObject = new WeakMap<object, F>()
  private readonly byJson = new Map<string, F>()
  constructor (private readonly compile: (schema: unknown) => F) {}

  get (schema: unknown): F {
    const isObject = typeof schema === 'object' && schema !== null
    if (isObject) {
      const known = this.byObject.get(schema)
      if (known !== undefined) return known
    }
    const json = JSON.stringify(schema)
    let compiled = this.byJson.get(json)
    if (compiled === undefined) {
      compiled = this.compile(schema)
      this.byJson.set(json, compiled)
    }
    if (isObject) this.byObject.set(schema, compiled)
    return compiled
  }
}

const validators = new CompiledCache(compileValidator)
const serializers = new CompiledCache(compileSerializer)

/**
 * Fastify lowercases a header schema's names before its own compiler sees it, not before a
 * custom one: ours take them as written, so they must be written in lower case.
 */
function checkHeaderNames (schema: unknown, url: string): void {
  const names = Object.keys((schema as { properties?: object } | null)?.properties ?? {})
  const upper = names.find((name) => name !== name.toLowerCase())
  if (upper !== undefined) throw new Error(`The headers schema of ${url} names "${upper}": write header names in lower case.`)
}

export interface SchemaCompilers {
  validatorCompiler: FastifySchemaCompiler<unknown>
  serializerCompiler: FastifySerializerCompiler<unknown>
  /**
   * Fastify's `schemaController` option with these compilers: given at construction, it keeps
   * Fastify from loading its default ones (Ajv and fast-json-stringify, ~100 ms) for nothing.
   */
  schemaController: NonNullable<FastifyServerOptions['schemaController']>
  /** Compiles every schema this app's routes have now, at once (a schema that cannot be compiled throws here). */
  compileAll: () => void
}

/**
 * An app's compilers (Fastify's `schemaController` option). Each hands Fastify
 * a stand-in that compiles on its first call: a validator that forwards Ajv's `errors` (Fastify
 * reads them from the function it called) and says it is an Ajv function (`schemaEnv`), so that
 * Fastify passes it the same arguments as Ajv's own.
 */
export function createSchemaCompilers (): SchemaCompilers {
  const pending: Array<() => void> = []
  const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart, url }) => {
    if (httpPart === 'headers') checkHeaderNames(schema, url)
    const cache = validators
    let compiled: Validate | undefined
    const validate = ((data: unknown, context?: unknown) => {
      compiled ??= cache.get(schema)
      const result = compiled(data, context)
      validate.errors = compiled.errors
      return result
    }) as Validate & { schemaEnv: true }
    validate.schemaEnv = true
    pending.push(() => { compiled ??= cache.get(schema) })
    return validate as unknown as ReturnType<FastifySchemaCompiler<unknown>>
  }
  const serializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
    let compiled: Serialize | undefined
    pending.push(() => { compiled ??= serializers.get(schema) })
    return (data: unknown) => (compiled ??= serializers.get(schema))(data)
  }
  return {
    validatorCompiler,
    serializerCompiler,
    // (Fastify's types want Ajv's own signature; these take what Fastify passes)
    schemaController: { compilersFactory: { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler } } as unknown as SchemaCompilers['schemaController'],
    compileAll: () => { for (const compile of pending.splice(0)) compile() }
  }
}
