// Webview API: GET /me, provisioning the token's user just in time or updating its profile as the partner chose.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { AppError } from '../../errors.js'
import type { UserRecord } from '../../storage/types.js'
import { settledWithoutWrite, settleTokenUser } from '../../users/token-user.js'
import meGuard from '../plugins/me-guard.js'
import rateLimits from '../plugins/rate-limits.js'
import { problems } from '../schemas/common.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { MeSchema } from '../schemas/user-schemas.js'

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
    async (request) => {
      const { token, tokenUser } = request
      const partner = token.partner.record
      const outcome = settledWithoutWrite(token, tokenUser) ?? (await settleTokenUser(store.users, token, tokenUser))
      // Deleted (through another instance, or just now) after this instance verified against the old record:
      // answered by the new record, in which no partner has this issuer.
      if (!outcome.ok) throw new AppError('unknown_issuer', `partner ${partner.id} no longer exists`)
      if (outcome.created) metrics.jitProvisions.inc()
      if (outcome.updated) metrics.profileUpdates.inc()
      for (const { claim } of outcome.dropped) metrics.jitDroppedClaims.inc({ claim })
      // Claim names only: the values may be profile data.
      if (outcome.dropped.length) request.log.info({ partnerId: partner.id, dropped: outcome.dropped.map((d) => d.claim) }, 'dropped malformed profile claims')
      return { user: outcome.user, partner: { id: partner.id, name: partner.name } }
    },
  )
}
