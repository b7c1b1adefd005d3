// The /me guard: every route registered beside it answers only to a verified partner token.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import type { VerifiedToken } from '../../tokens/verify-partner-token.js'
import { readBearer } from '../bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified partner token of a /me request. */
    token: VerifiedToken
  }
}

async function meGuard(app: FastifyInstance): Promise<void> {
  const { verifier, metrics } = app.services
  app.decorateRequest('token', null as unknown as VerifiedToken)
  // onRequest: refuse before the body is even read.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const bearer = readBearer(request)
    try {
      if (bearer.kind === 'repeated') throw new AppError('malformed_token', 'send exactly one Authorization header')
      if (bearer.kind === 'missing') throw new AppError('missing_token', 'send Authorization: Bearer <token signed by your partner>')
      request.token = await verifier.verify(bearer.credential)
    } catch (err) {
      if (err instanceof AppError) metrics.countVerification(err.code, err.partnerId ?? '')
      throw err
    }
    metrics.countVerification('ok', request.token.partner.record.id)
  })
}

/** Register inside the /me route plugin: it guards exactly that scope. */
export default fp(meGuard, { name: 'me-guard' })
