// Partner API guard: a live API key of an active partner; sets `request.partner`.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hashSecret } from '../../credentials/secrets.js'
import { AppError } from '../../errors.js'
import type { PartnerRecord } from '../../storage/types.js'
import { readBearer } from '../bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The partner whose API key authenticated this request; every query is scoped to it. */
    partner: PartnerRecord
  }
}

async function partnerAuth(app: FastifyInstance): Promise<void> {
  const { store, directory } = app.services
  app.decorateRequest('partner', null as unknown as PartnerRecord)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const bearer = readBearer(request)
    if (bearer.kind !== 'ok') throw new AppError('unauthorized', 'send Authorization: Bearer <partner API key>')
    const key = await store.apiKeys.findActive(hashSecret(bearer.credential))
    if (!key) throw new AppError('unauthorized', 'API key is not valid or has been revoked')
    const partner = directory.byId(key.partnerId)?.record ?? (await store.partners.get(key.partnerId))
    if (!partner) throw new AppError('unauthorized', 'API key is not valid or has been revoked')
    if (partner.status !== 'active') throw new AppError('unauthorized', `partner ${partner.id} is disabled`)
    request.partner = partner
    request.credentialId = `api-key:${key.id}`
  })
}

/** Register inside the partner route plugin, after its rate limits. */
export default fp(partnerAuth, { name: 'partner-auth', dependencies: ['rate-limits'] })
