import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import type { SchemaErrorDataVar } from 'fastify/types/schema.js'
import { describeProblem, fieldPath, type SchemaProblem } from '../engine/schema-kit.js'

/**
 * The one catalog of error codes: HTTP status and the default description. Engine refusals use
 * the same codes (see `RefusalReason` in the engine). docs/api.md's error table is checked against it.
 */
export const ERRORS = {
  invalid_request: { status: 400, description: 'The request is not valid.' },
  invalid_parameter: { status: 400, description: 'A query parameter is not valid.' },
  invalid_header: { status: 400, description: 'A header is not valid.' },
  unauthorized: { status: 401, description: 'Missing or wrong credentials: send HTTP Basic auth with a known user\'s email and password.' },
  forbidden: { status: 403, description: 'Your role is not allowed to do this.' },
  not_found: { status: 404, description: 'No such route.' },
  method_not_allowed: { status: 405, description: 'The path does not take this method (the Allow header says which it takes).' },
  task_not_found: { status: 404, description: 'No such task (unknown, or its result has expired).' },
  task_cannot_be_canceled: { status: 406, description: 'The task cannot be canceled in its current phase.' },
  task_cancel_failed: { status: 409, description: 'The cluster failed to cancel the task.' },
  task_exists: { status: 409, description: 'A live task already has this id.' },
  task_already_ended: { status: 409, description: 'The task has already ended.' },
  crdb_not_found: { status: 404, description: 'No such CRDB.' },
  crdb_not_acceptable: { status: 406, description: 'The CRDB cannot accept this change (another change is under way, or a documented rule forbids it).' },
  crdb_instance_not_found: { status: 404, description: 'The CRDB has no instance with this id.' },
  fault_not_found: { status: 404, description: 'No fault rule with this id.' },
  namespace_not_found: { status: 404, description: 'No namespace with this name.' },
  cluster_not_found: { status: 404, description: 'No member cluster with this name.' },
  too_many_namespaces: { status: 503, description: 'The emulator serves as many namespaces as --max-namespaces allows.' },
  time_out_of_range: { status: 400, description: 'The clock cannot move past 9000-01-01T00:00:00Z, the latest time the emulator keeps.' },
  unreachable: { status: 422, description: 'The task can never reach that status (or tasks are held until stepped).' },
  request_timeout: { status: 408, description: 'The request did not arrive in time.' },
  payload_too_large: { status: 413, description: 'The request body is larger than the route takes (1 MiB; 64 KiB on /v1/crdbs).' },
  uri_too_long: { status: 414, description: 'The path is too long (a path segment holds at most 1 024 characters).' },
  headers_too_large: { status: 431, description: 'The request headers are larger than 16 KiB.' },
  unsupported_media_type: { status: 415, description: 'Send the body as application/json.' },
  too_many_faults: { status: 503, description: 'The namespace keeps 1 000 fault rules at most.' },
  too_many_crdbs: { status: 503, description: 'The emulator keeps as many CRDBs as --max-crdbs allows.' },
  too_many_tasks: { status: 503, description: 'The emulator keeps as many live tasks as --max-tasks allows.' },
  internal_error: { status: 500, description: 'The emulator hit an unexpected error; it has been logged.' }
} as const satisfies Record<string, { status: number, description: string }>

export type ErrorCode = keyof typeof ERRORS

/** An error to answer as `{error_code, description}` with the catalog's status. */
export class ApiError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  constructor (code: ErrorCode, description?: string) {
    super(description ?? ERRORS[code].description)
    this.code = code
    this.statusCode = ERRORS[code].status
  }
}

/** An engine's refusal as the error to answer: its reason is the catalog's code. */
export function refused (refusal: { reason: ErrorCode, detail: string }): ApiError {
  return new ApiError(refusal.reason, refusal.detail)
}

/**
 * A `/v1/crdbs*` request body that fails schema validation: a real cluster answers it, unlike its
 * other errors, with a problem-details body (captured: `{"detail": "None is not of type
 * 'object'", "status": 400, "title": "Bad Request", "type": "about:blank"}`).
 */
export class BadBody extends Error {
  readonly statusCode = 400
  constructor (readonly detail: string) {
    super(detail)
  }

  get body (): { detail: string, status: 400, title: 'Bad Request', type: 'about:blank' } {
    return { detail: this.detail, status: 400, title: 'Bad Request', type: 'about:blank' }
  }
}

/** What a payload that did not arrive as a JSON object is to the real API. */
export const NOT_AN_OBJECT = 'None is not of type \'object\''

export interface ErrorBody {
  error_code: string
  description: string
}

/** Fastify's own error codes we translate, beyond validation. */
const FASTIFY_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_request',
  FST_BASIC_AUTH_MISSING_OR_BAD_AUTHORIZATION_HEADER: 'unauthorized',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_BAD_URL: 'invalid_request'
}

const BY_STATUS: Record<number, ErrorCode> = { 400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'payload_too_large', 414: 'uri_too_long', 415: 'unsupported_media_type' }

const VALIDATION_CODES: Record<SchemaErrorDataVar, ErrorCode> = {
  body: 'invalid_request',
  params: 'invalid_request',
  querystring: 'invalid_parameter',
  headers: 'invalid_header'
}

/** Turns any error into the catalog's code and a description fit for a client (never a stack). */
export function toErrorBody (error: FastifyError | ApiError | Error): { status: number, body: ErrorBody } {
  if (error instanceof ApiError) {
    return { status: error.statusCode, body: { error_code: error.code, description: error.message } }
  }
  const fe = error as FastifyError
  if (fe.validation !== undefined && fe.validationContext !== undefined) {
    const code = VALIDATION_CODES[fe.validationContext]
    return { status: ERRORS[code].status, body: { error_code: code, description: fe.message } }
  }
  if (fe instanceof SyntaxError || fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, body: { error_code: 'invalid_request', description: 'The request body is not valid JSON.' } }
  }
  const code = (fe.code !== undefined ? FASTIFY_ERRORS[fe.code] : undefined) ??
    (fe.statusCode !== undefined && fe.statusCode < 500 ? BY_STATUS[fe.statusCode] : undefined)
  if (code !== undefined) {
    const description = code === 'unauthorized' || code === 'payload_too_large' || code === 'uri_too_long' ? ERRORS[code].description : fe.message
    return { status: ERRORS[code].status, body: { error_code: code, description } }
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error_code: 'invalid_request', description: fe.message } }
  }
  return { status: 500, body: { error_code: 'internal_error', description: ERRORS.internal_error.description } }
}

/**
 * The one error handler: every error becomes `{error_code, description}` JSON. A 401 carries
 * `WWW-Authenticate: Basic realm="<cluster name>"`, as a real cluster's does.
 */
export function createErrorHandler (realm: string) {
  return function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    const problem = error instanceof BadBody ? error : asBadBody(error, request)
    if (problem !== undefined) {
      reply.code(400).type('application/problem+json').send(problem.body)
      return
    }
    const { status, body } = toErrorBody(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    // each member cluster's realm is its name
    if (status === 401) reply.header('www-authenticate', `Basic realm="${(request as { member?: { name: string } }).member?.name ?? realm}"`)
    reply.code(status).type('application/json').send(body)
  }
}

/** On a route whose body errors take the problem shape, a body that is not JSON at all is one too. */
function asBadBody (error: FastifyError, request: FastifyRequest): BadBody | undefined {
  if ((request.routeOptions.config as { problemBodies?: boolean } | undefined)?.problemBodies !== true) return undefined
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new BadBody(NOT_AN_OBJECT)
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new BadBody('Request body is not valid JSON')
  return undefined
}

/**
 * 404 for a path that is no route; 405 for a known path with a wrong method (as real clusters
 * answer, say, `PUT /v1/crdbs/{guid}`), with the methods it takes in `Allow`.
 */
export function createNotFoundHandler (methodsOf: (path: string) => string[]) {
  return function handleNotFound (request: FastifyRequest, reply: FastifyReply): void {
    const path = request.url.split('?')[0] ?? ''
    const allowed = methodsOf(path)
    if (allowed.length > 0) {
      reply.code(405).header('allow', allowed.join(', ')).type('application/json').send({
        error_code: 'method_not_allowed',
        description: `${request.method} is not allowed on ${shorten(path)}; it takes ${allowed.join(', ')}.`
      } satisfies ErrorBody)
      return
    }
    reply.code(404).type('application/json').send({
      error_code: 'not_found',
      description: `No route ${request.method} ${shorten(path)}. The task routes are under /v1/crdb_tasks, the CRDB routes under /v1/crdbs; the control API is under /__emulator.`
    } satisfies ErrorBody)
  }
}

/**
 * Says which field is wrong and what it expects, e.g.
 * `Invalid query parameter "verbose" ("perhaps"): expected true, false, 1 or 0 (any case).`
 */
export function formatSchemaErrors (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  // a union reports each branch's complaint, then its own: its own says what is expected
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0]
  if (e === undefined) return new Error(`Invalid ${dataVar}.`)
  const path = fieldPath(e.instancePath)
  const params = e.params as Record<string, unknown>
  const expected = (e as { parentSchema?: { description?: string } }).parentSchema?.description
  const data = (e as { data?: unknown }).data
  if (dataVar === 'querystring' || dataVar === 'headers') {
    const name = dataVar === 'headers' ? headerName(path) : path
    const what = dataVar === 'headers' ? 'header' : 'query parameter'
    const shown = typeof data === 'string' ? ` ("${data.length > 64 ? `${data.slice(0, 64)}...` : data}")` : ''
    return new Error(`Invalid ${what} "${name}"${shown}: expected ${expected ?? e.message ?? 'a valid value'}.`)
  }
  const where = dataVar === 'body' ? 'request body' : 'path parameter'
  const problem: SchemaProblem = e.keyword === 'required'
    ? { pointer: e.instancePath, kind: 'required', field: String(params.missingProperty), message: e.message ?? '' }
    : e.keyword === 'additionalProperties'
      ? { pointer: e.instancePath, kind: 'unknown', field: String(params.additionalProperty), message: e.message ?? '' }
      : {
          pointer: e.instancePath,
          kind: e.keyword === 'enum' ? 'enum' : 'other',
          ...(Array.isArray(params.allowedValues) ? { allowed: params.allowedValues as unknown[] } : {}),
          ...(expected === undefined ? {} : { expected }),
          message: e.message ?? 'is invalid'
        }
  return new Error(`Invalid ${where}: ${describeProblem(problem, dataVar === 'body' ? 'it must be a JSON object' : e.message ?? 'invalid')}.`)
}

const shorten = (text: string): string => text.length > 200 ? `${text.slice(0, 200)}...` : text
const headerName = (lower: string): string => lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()).replace('Ttl', 'TTL').replace(/-Id$/, '-ID')

/**
 * Answers what Node refuses before Fastify sees a request (a malformed request, headers over
 * 16 KiB, a client too slow to send its request) in the same `{error_code, description}` shape,
 * then closes the connection.
 */
export function handleClientError (err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code: ErrorCode = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? 'request_timeout'
    : err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'invalid_request'
  const { status, description } = ERRORS[code]
  const body = JSON.stringify({ error_code: code, description: code === 'invalid_request' ? 'The request is not valid HTTP.' : description } satisfies ErrorBody)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

/** Errors Fastify meets before routing (a path segment too long, a bad %-escape), in our shape. */
export function handleFrameworkError (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error)
  reply.code(status).type('application/json').send(error.code === 'FST_ERR_BAD_URL' ? { ...body, description: 'The path is not a valid URL (a bad %-escape?).' } : body)
}
