// Query strings must decode to well-formed Unicode: a malformed percent-encoding (e.g. `%ED%A0%80`, an encoded
// lone surrogate) is 400, as in paths, instead of reaching a route as literal text.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'

/** Whether the query part of a raw request URL percent-decodes as UTF-8 (Fastify's parser keeps bad escapes as text). */
export function isDecodableQuery(url: string): boolean {
  const start = url.indexOf('?')
  if (start < 0 || url.indexOf('%', start) < 0) return true
  try {
    decodeURIComponent(url.slice(start + 1))
    return true
  } catch {
    return false
  }
}

async function strictQuery(app: FastifyInstance): Promise<void> {
  // Callback style: it runs on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (request, _reply, done) => {
    done(isDecodableQuery(request.raw.url ?? '') ? undefined : new AppError('invalid_request', 'the query string has a malformed percent-encoding'))
  })
}

/** Register before the routes, unencapsulated, so every route's query is checked. */
export default fp(strictQuery, { name: 'strict-query' })
