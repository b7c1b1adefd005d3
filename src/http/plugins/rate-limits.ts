// Rate limits of an authenticated scope: failed authentications per client address, and an optional budget per credential.
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who authenticated, by identity (`env`, `admin-token:<id>`, `api-key:<id>`); set by the scope's guard. */
    credentialId: string
  }
}

export interface RateLimitsOptions {
  /** Requests per minute per credential (API key or admin token); 0 = no budget. */
  perCredential: number
}

async function rateLimits(app: FastifyInstance, options: RateLimitsOptions): Promise<void> {
  const { authFailures } = app.services
  app.decorateRequest('credentialId', '')
  // The guard always runs, so a valid credential is never refused for other requests' failures from the same
  // address; only a failed authentication from a blocked address turns into 429. Secrets carry 256 bits and
  // tokens are signed, so letting a blocked address succeed does not help anyone guess. The scope's handler
  // sees the guard's error first and hands every answer on to the app's handler, which writes the problem.
  app.setErrorHandler((err: FastifyError, request) => {
    if (!(err instanceof AppError && err.status === 401)) throw err
    const wait = authFailures.blockedFor(request.ip)
    if (wait > 0) throw new AppError('rate_limited', 'too many failed authentications from this address', { retryAfterSeconds: wait })
    authFailures.recordFailure(request.ip)
    throw err
  })
  if (options.perCredential > 0) {
    // Route-level hooks run after the scope's guard: only authenticated requests spend a budget, counted by
    // the credential's identity, so respelling the Authorization header never buys a fresh one.
    await app.register(rateLimit, {
      max: options.perCredential,
      timeWindow: 60_000,
      keyGenerator: (request) => request.credentialId,
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `request budget of ${context.max} per minute exceeded`, { retryAfterSeconds: context.ttl / 1000 }),
    })
  }
}

/** Register inside a route plugin, before its auth guard. */
export default fp(rateLimits, { name: 'rate-limits' })
