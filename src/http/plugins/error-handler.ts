// Turns every failure (ours, Fastify's, validation) into problem+json; 5xx bodies never carry internals.
// Registered first and unencapsulated, it also narrows the accepted body types to JSON for every route.
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AppError, type FieldError } from '../../errors.js'
import { sendProblem } from '../problem.js'

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
      return new AppError('payload_too_large', 'request body exceeds 65536 bytes')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_request', 'send the body as application/json', { status: 415 })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_request', 'request body is empty but content-type is application/json')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_request', 'request body is not valid JSON')
  }
  if (err.statusCode === 429) return new AppError('rate_limited', err.message)
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    // Other Fastify client errors (bad JSON, bad headers): their messages name the problem, not our internals.
    return new AppError(err.statusCode === 404 ? 'not_found' : 'invalid_request', err.message, { status: err.statusCode })
  }
  return undefined
}

async function errorHandler(app: FastifyInstance): Promise<void> {
  // Request bodies are JSON only (SPEC §4). Fastify also parses text/plain by default, which would turn a
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
    request.log.error({ err }, 'unhandled error')
    return sendProblem(reply, new AppError('internal', 'an internal error occurred; it has been logged'))
  })
  app.setNotFoundHandler((request, reply) => {
    sendProblem(reply, new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
}

export default fp(errorHandler, { name: 'error-handler' })
