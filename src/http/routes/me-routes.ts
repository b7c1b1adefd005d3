// Webview API: GET /me, provisioning the token's user just in time.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { AppError } from '../../errors.js'
import { provisionJitUser } from '../../users/provision-jit-user.js'
import meGuard from '../plugins/me-guard.js'
import rateLimits from '../plugins/rate-limits.js'
import { problems } from '../schemas/common.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { MeSchema } from '../schemas/user-schemas.js'

type Me = z.infer<typeof MeSchema>

/** The 200 body of /me, the hottest response (see userJson). */
function serializeMe(me: Me): string {
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
      const { partner, sub, claims } = request.token
      const outcome = await provisionJitUser(store.users, partner.record.id, sub, claims)
      // Deleted (through another instance, or just now) after this instance verified against the old record:
      // answered by the new record, in which no partner has this issuer.
      if (!outcome.ok) throw new AppError('unknown_issuer', `partner ${partner.record.id} no longer exists`)
      if (outcome.created) {
        metrics.jitProvisions.inc()
        for (const claim of outcome.dropped) metrics.jitDroppedClaims.inc({ claim })
        if (outcome.dropped.length) request.log.info({ partnerId: partner.record.id, dropped: outcome.dropped }, 'dropped malformed JIT claims')
      }
      return { user: outcome.user, partner: { id: partner.record.id, name: partner.record.name } }
    },
  )
}
