// Shared assertions on RFC 9457 problem+json answers: status, content type, code and the required members.
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'

export interface Problem {
  type: string
  status: number
  title: string
  code: string
  detail: string
  errors?: { path: string; message: string }[]
}

/** Asserts `res` is a problem+json with this status and code, and returns its body. */
export function assertProblem(t: Test, res: LightMyRequestResponse, status: number, code: string, what = `${status} ${code}`): Problem {
  t.equal(res.statusCode, status, `${what}: status`)
  t.match(String(res.headers['content-type']), /^application\/problem\+json(;|$)/, `${what}: content-type is application/problem+json`)
  let body: Problem
  try {
    body = res.json()
  } catch {
    t.fail(`${what}: body is not JSON: ${res.body.slice(0, 200)}`)
    return { type: '', status: 0, title: '', code: '', detail: '' }
  }
  t.equal(body.code, code, `${what}: code`)
  t.equal(body.status, status, `${what}: body status`)
  t.type(body.title, 'string', `${what}: title`)
  t.type(body.detail, 'string', `${what}: detail`)
  return body
}

/** A 400 invalid_request whose `errors[]` names each of `paths` (JSON pointers into the body). */
export function assertInvalid(t: Test, res: LightMyRequestResponse, paths: string[], what = `invalid ${paths.join(', ')}`): Problem {
  const body = assertProblem(t, res, 400, 'invalid_request', what)
  t.ok(Array.isArray(body.errors) && body.errors.length > 0, `${what}: errors[] present`)
  const named = (body.errors ?? []).map((e) => e.path)
  for (const path of paths) t.ok(named.includes(path), `${what}: errors[] names ${path} (got ${JSON.stringify(named)})`)
  return body
}
