// Writes an AppError as RFC 9457 application/problem+json, with the auth headers SPEC §2 asks for.
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
