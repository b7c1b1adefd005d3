// The /me guard: every route registered beside it answers only to a verified partner token whose user's sessions are not revoked.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import type { UserRecord } from '../../storage/types.js'
import { userIdClaim } from '../../tokens/claim-checks.js'
import type { VerifiedToken } from '../../tokens/verify-partner-token.js'
import { readTokenUser } from '../../users/token-user.js'
import { readBearer } from '../bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified partner token of a /me request. */
    token: VerifiedToken
    /** The token's user as the store answered for the revocation check; null when there is none yet. */
    tokenUser: UserRecord | null
  }
}

async function meGuard(app: FastifyInstance): Promise<void> {
  const { verifier, metrics, store, directory, refusals } = app.services
  app.decorateRequest('token', null as unknown as VerifiedToken)
  app.decorateRequest('tokenUser', null)

  /** A refusal of a token whose `iss` named a known partner goes to that partner's refusals feed. */
  function offerToFeed(err: AppError, credential: string): void {
    const partner = err.partnerId === undefined ? undefined : directory.byId(err.partnerId)
    if (!partner) return
    refusals.record(partner.record.id, { code: err.code, detail: err.detail, token: credential, userIdClaim: userIdClaim(partner.record) })
  }

  // onRequest: refuse before the body is even read.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const bearer = readBearer(request)
    try {
      if (bearer.kind === 'repeated') throw new AppError('malformed_token', 'send exactly one Authorization header')
      if (bearer.kind === 'missing') throw new AppError('missing_token', 'send Authorization: Bearer <token signed by your partner>')
      const token = await verifier.verify(bearer.credential)
      // After every other check and before any provisioning, whatever the result cache holds.
      const read = await readTokenUser(store.users, token)
      if (!read.ok) {
        const revoked = new AppError('token_revoked', read.detail)
        revoked.partnerId = token.partner.record.id
        throw revoked
      }
      verifier.recordAcceptance(token)
      request.token = token
      request.tokenUser = read.user
    } catch (err) {
      if (err instanceof AppError) {
        metrics.countVerification(err.code, err.partnerId ?? '')
        if (bearer.kind === 'ok') offerToFeed(err, bearer.credential)
      }
      throw err
    }
    metrics.countVerification('ok', request.token.partner.record.id)
  })
}

/** Register inside the /me route plugin: it guards exactly that scope. */
export default fp(meGuard, { name: 'me-guard' })
