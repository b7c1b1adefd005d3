// Turns every failure (ours, Fastify's, validation, the HTTP parser's) into problem+json; 5xx bodies never carry internals.
// Registered first and unencapsulated, it also narrows the accepted body types to JSON for every route.
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AppError, type FieldError } from '../../errors.js'
import { BODY_LIMIT_BYTES } from '../limits.js'
import { loggableError } from '../loggable-error.js'
import { rawProblemResponse, sendProblem } from '../problem.js'

function fieldErrors(err: FastifyError): FieldError[] {
  const context = (err as { validationContext?: string }).validationContext ?? 'body'
  const prefix = context === 'body' ? '' : context
  const errors: FieldError[] = []
  for (const v of err.validation ?? []) {
    const pointer = v.instancePath === '/' ? '' : v.instancePath
    const keys = (v.params as { keys?: unknown }).keys
    if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys) errors.push({ path: `${prefix}${pointer}/${String(key)}`, message: 'unknown field' })
    } else {
      errors.push({ path: `${prefix}${pointer}` || '/', message: v.message ?? 'invalid' })
    }
  }
  return errors
}

/** Fastify's own client errors, mapped onto spec codes. */
function fromFastifyError(err: FastifyError): AppError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', `request body exceeds ${BODY_LIMIT_BYTES} bytes`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_request', 'send the body as application/json', { status: 415 })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_request', 'request body is empty but content-type is application/json')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_request', 'request body is not valid JSON')
    case 'FST_ERR_BAD_URL':
      return new AppError('invalid_request', 'the request path is not valid percent-encoded UTF-8')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('invalid_request', 'a path segment is too long', { status: 414 })
  }
  if (err.statusCode === 429) return new AppError('rate_limited', err.message)
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // Other Fastify client errors (bad JSON, bad headers): their messages name the problem, not our internals.
    return new AppError(err.statusCode === 404 ? 'not_found' : 'invalid_request', err.message, { status: err.statusCode })
  }
  return undefined
}

function internalError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  // Sanitised: a driver error's message can quote a failed query's values (a user's email, name, phone).
  request.log.error({ error: loggableError(err) }, 'unhandled error')
  return sendProblem(reply, new AppError('internal', 'an internal error occurred; it has been logged'))
}

/**
 * Fastify's `frameworkErrors`: errors raised before routing (a malformed percent-encoding, an over-long
 * path segment), which otherwise bypass the error handler and answer Fastify's own JSON.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped = fromFastifyError(err)
  if (mapped) sendProblem(reply, mapped)
  else internalError(request, reply, err)
}

/** What the HTTP parser's error codes mean for the client, as Node's own default answers them. */
function parserProblem(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('invalid_request', 'request headers are too large', { status: 431 })
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError('payload_too_large', 'chunk extensions are too large')
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('invalid_request', 'the request did not arrive in time', { status: 408 })
    default:
      return new AppError('invalid_request', `malformed HTTP request${code ? ` (${code})` : ''}`)
  }
}

/**
 * Fastify's `clientErrorHandler` (`this` is the Fastify instance): errors of the HTTP parser, before any
 * request object exists. Answers a minimal problem+json response when nothing has been written on the socket.
 */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET') return
  // Only the code: a parser error also carries the raw bytes it choked on, Authorization header included.
  this.log.debug({ code: err.code }, 'client error')
  // A response already under way on this socket (pipelining) must not be corrupted by a second one.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !inFlight?.headersSent) socket.end(rawProblemResponse(parserProblem(err.code)))
  else socket.destroy()
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  // Request bodies are JSON only. Fastify also parses text/plain by default, which would turn a
  // text/plain body into a 400 validation failure; without that parser it is the 415 mapped below.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) return sendProblem(reply, err)
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = fieldErrors(err)
      return sendProblem(reply, new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }))
    }
    const mapped = fromFastifyError(err)
    if (mapped) return sendProblem(reply, mapped)
    return internalError(request, reply, err)
  })
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
}

export default fp(errorHandler, { name: 'error-handler' })
