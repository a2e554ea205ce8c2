import type { FastifySchemaValidationError } from 'fastify'
import type { SchemaErrorDataVar } from 'fastify/types/schema.js'
import { BadBody, formatSchemaErrors, NOT_AN_OBJECT } from './errors.js'

/** A value as Python's `repr` shows it: `'text'`, `None`, `True`, `[1, 'a']`, `{'k': 1}`. */
export function pyRepr (value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return `'${value.length > 200 ? `${value.slice(0, 200)}...` : value}'`.replaceAll('\n', '\\n')
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) return `[${value.slice(0, 10).map(pyRepr).join(', ')}${value.length > 10 ? ', ...' : ''}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value).slice(0, 10).map(([k, v]) => `'${k}': ${pyRepr(v)}`)
    return `{${entries.join(', ')}}`
  }
  return String(value)
}

const TYPE_NAMES: Record<string, string> = { integer: 'integer', number: 'number', string: 'string', boolean: 'boolean', object: 'object', array: 'array', null: 'null' }

/** One Ajv error in the validator's words. */
function sentence (e: FastifySchemaValidationError): string {
  const data = (e as { data?: unknown }).data
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required': return `'${String(params.missingProperty)}' is a required property`
    case 'type': {
      const types = String(params.type).split(',').map((t) => `'${TYPE_NAMES[t] ?? t}'`).join(', ')
      return `${pyRepr(data)} is not of type ${types}`
    }
    case 'enum': return `${pyRepr(data)} is not one of ${pyRepr(params.allowedValues)}`
    case 'minimum': return `${pyRepr(data)} is less than the minimum of ${String(params.limit)}`
    case 'maximum': return `${pyRepr(data)} is greater than the maximum of ${String(params.limit)}`
    case 'pattern': return `${pyRepr(data)} does not match ${pyRepr(params.pattern)}`
    case 'minLength':
    case 'minItems': return `${pyRepr(data)} is too short`
    case 'maxLength':
    case 'maxItems': return `${pyRepr(data)} is too long`
    case 'additionalProperties': return `Additional properties are not allowed ('${String(params.additionalProperty)}' was unexpected)`
    case 'anyOf': return `${pyRepr(data)} is not valid under any of the given schemas`
    default: return `${pyRepr(data)} ${e.message ?? 'is not valid'}`
  }
}

/** `/instances/0/cluster` -> `instances.0.cluster`, as the real API names a field. */
const dotted = (pointer: string): string => pointer.replace(/^\//, '').replaceAll('/', '.')

/**
 * The route-level schema error formatter of the `/v1/crdbs*` routes with a body: a body gets the
 * problem shape a real cluster answers (`BadBody`), worded as its Python validator words errors,
 * with the field's path after " - "; query strings and headers get the usual answer.
 */
export function formatBodyProblems (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  if (dataVar !== 'body') return formatSchemaErrors(errors, dataVar)
  // a union reports each branch's complaint, then its own: its own says what is wrong
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0]
  if (e === undefined) return new BadBody(NOT_AN_OBJECT)
  if (e.instancePath === '' && e.keyword === 'type') return new BadBody(`${pyRepr((e as { data?: unknown }).data)} is not of type 'object'`)
  const path = dotted(e.instancePath)
  return new BadBody(path === '' ? sentence(e) : `${sentence(e)} - '${path}'`)
}
