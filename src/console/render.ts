// Sending console pages, and turning any failure into the problem an admin sees (code and detail, as the API's).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'
import { loggableError } from '../http/loggable-error.js'
import type { Html } from './html.js'
import { page, type PageProblem } from './layout.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in admin as the audit log names them (`env`, `admin-token:<id>`); set by the console's session guard. */
    consoleActor: string
  }
}

export interface Rendered {
  title: string
  body: Html
  problem?: PageProblem
  fieldIds?: (path: string) => string | undefined
}

const tokens = new WeakMap<FastifyReply, string>()

/**
 * The CSRF token of this response, made once: each generateCsrf call on a request without a secret cookie
 * makes a new secret, and only the last cookie set would match.
 */
export function csrfOf(reply: FastifyReply): string {
  let token = tokens.get(reply)
  if (token === undefined) {
    token = reply.generateCsrf()
    tokens.set(reply, token)
  }
  return token
}

export function sendPage(request: FastifyRequest, reply: FastifyReply, status: number, rendered: Rendered): FastifyReply {
  const csrf = csrfOf(reply)
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page({ ...rendered, csrf, actor: request.consoleActor || undefined }))
}

/** The status and problem of an error: AppErrors as the API answers them; CSRF refusals 403; anything else 500. */
export function problemOf(err: unknown, request: FastifyRequest): { status: number; problem: PageProblem } {
  if (err instanceof AppError) return { status: err.status, problem: { code: err.code, detail: err.detail, errors: err.errors } }
  const fastifyError = err as FastifyError
  if (typeof fastifyError.code === 'string' && fastifyError.code.startsWith('FST_CSRF')) {
    return { status: 403, problem: { code: 'invalid_request', detail: 'this form is out of date or came from another site; reload the page and try again' } }
  }
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, problem: { code: fastifyError.statusCode === 404 ? 'not_found' : 'invalid_request', detail: fastifyError.message } }
  }
  request.log.error({ error: loggableError(err) }, 'unhandled console error')
  return { status: 500, problem: { code: 'internal', detail: 'an internal error occurred; it has been logged' } }
}
