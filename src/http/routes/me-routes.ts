// Webview API: GET /me, provisioning the token's user just in time or updating its profile as the partner chose.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { AppError } from '../../errors.js'
import type { PartnerRecord, UserRecord } from '../../storage/types.js'
import type { DroppedClaim } from '../../users/jit-profile.js'
import { settledWithoutWrite, settleTokenUser } from '../../users/token-user.js'
import meGuard from '../plugins/me-guard.js'
import rateLimits from '../plugins/rate-limits.js'
import { problems } from '../schemas/common.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { MeSchema } from '../schemas/user-schemas.js'

const meBody = (user: UserRecord, partner: PartnerRecord) => ({ user, partner: { id: partner.id, name: partner.name } })

/** The 200 body of /me, the hottest response (see userJson, which writes only the user object's fields). */
function serializeMe(me: { user: UserRecord; partner: { id: string; name: string } }): string {
  return `{"user":${userJson(me.user)},"partner":${JSON.stringify({ id: me.partner.id, name: me.partner.name })}}`
}

export default async function meRoutes(fastify: FastifyInstance): Promise<void> {
  await fastify.register(rateLimits, { perCredential: 0 })
  await fastify.register(meGuard)
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { store, metrics } = app.services

  app.get(
    '/me',
    {
      schema: {
        summary: 'The calling user, created just in time on first sight',
        tags: ['webview'],
        security: [{ partnerJwt: [] }],
        response: { 200: MeSchema, ...problems(401, 503) },
      },
      // The schema still documents the route (OpenAPI); problem responses keep the zod serializer.
      serializerCompiler: fastSerializerCompiler(['200'], serializeMe),
    },
    // Not async: a returning user whose token changes nothing is answered without a promise (the hot path).
    (request) => {
      const { token, tokenUser } = request
      const settled = settledWithoutWrite(token, tokenUser)
      if (!settled) return provisionOrUpdate(request)
      // No user created or updated: only dropped claims to count.
      countDropped(request, settled)
      return meBody(settled.user, token.partner.record)
    },
  )

  /** The claims a profile left out, counted and logged (claim names only: the values may be profile data). */
  function countDropped(request: FastifyRequest, outcome: { dropped: DroppedClaim[] }): void {
    if (!outcome.dropped.length) return
    for (const { claim } of outcome.dropped) metrics.jitDroppedClaims.inc({ claim })
    request.log.info({ partnerId: request.token.partner.record.id, dropped: outcome.dropped.map((d) => d.claim) }, 'dropped malformed profile claims')
  }

  async function provisionOrUpdate(request: FastifyRequest) {
    const { token, tokenUser } = request
    const partner = token.partner.record
    const outcome = await settleTokenUser(store.users, token, tokenUser)
    // Deleted (through another instance, or just now) after this instance verified against the old record:
    // answered by the new record, in which no partner has this issuer.
    if (!outcome.ok) throw new AppError('unknown_issuer', `partner ${partner.id} no longer exists`)
    if (outcome.created) metrics.jitProvisions.inc()
    if (outcome.updated) metrics.profileUpdates.inc()
    countDropped(request, outcome)
    return meBody(outcome.user, partner)
  }
}
