// Writes an AppError as RFC 9457 application/problem+json, with the WWW-Authenticate and Retry-After headers it calls for.
import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import { AppError, ERRORS, isTokenErrorCode } from '../errors.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

export interface ProblemBody {
  type: string
  status: number
  title: string
  code: string
  detail: string
  errors?: { path: string; message: string }[]
}

export function problemBody(err: AppError): ProblemBody {
  const body: ProblemBody = { type: 'about:blank', status: err.status, title: ERRORS[err.code].title, code: err.code, detail: err.detail }
  if (err.errors) body.errors = err.errors
  return body
}

export function sendProblem(reply: FastifyReply, err: AppError): FastifyReply {
  if (err.code === 'missing_token') reply.header('www-authenticate', 'Bearer realm="gatehouse"')
  else if (isTokenErrorCode(err.code)) {
    reply.header('www-authenticate', `Bearer realm="gatehouse", error="invalid_token", error_description="${err.code}"`)
  } else if (err.status === 401) reply.header('www-authenticate', 'Bearer realm="gatehouse"')
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSeconds))))
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(err))
}

/** A whole HTTP/1.1 response carrying `err`, for a raw socket that has no reply object (HTTP parser errors). */
export function rawProblemResponse(err: AppError): string {
  const body = JSON.stringify(problemBody(err))
  return [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n')
}
