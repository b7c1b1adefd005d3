// Rate limits of an authenticated scope: failed authentications per IP, and an optional budget per credential.
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { hashSecret } from '../../credentials/secrets.js'
import { AppError } from '../../errors.js'

export interface RateLimitsOptions {
  /** Requests per minute per credential (API key or admin token); 0 = no budget. */
  perCredential: number
}

async function rateLimits(app: FastifyInstance, options: RateLimitsOptions): Promise<void> {
  const { authFailures } = app.services
  // Registered before the scope's auth guard, so a blocked IP is refused before any verification work.
  // Callback-style hooks: they run on every request of the scope, and an async hook costs a promise each.
  app.addHook('onRequest', (request, _reply, done) => {
    const wait = authFailures.blockedFor(request.ip)
    done(wait > 0 ? new AppError('rate_limited', 'too many failed authentications from this address', { retryAfterSeconds: wait }) : undefined)
  })
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 401) authFailures.recordFailure(request.ip)
    done()
  })
  if (options.perCredential > 0) {
    // Route-level hooks run after the scope's guard: only authenticated requests spend a budget.
    await app.register(rateLimit, {
      max: options.perCredential,
      timeWindow: 60_000,
      keyGenerator: (request) => hashSecret(request.headers.authorization ?? ''),
      errorResponseBuilder: (_request, context) =>
        new AppError('rate_limited', `request budget of ${context.max} per minute exceeded`, { retryAfterSeconds: context.ttl / 1000 }),
    })
  }
}

/** Register inside a route plugin, before its auth guard. */
export default fp(rateLimits, { name: 'rate-limits' })
