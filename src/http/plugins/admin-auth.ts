// Admin guard: `ADMIN_TOKEN` (actor `env`) or a stored admin token (actor `admin-token:<id>`).
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hashSecret } from '../../credentials/secrets.js'
import { AppError } from '../../errors.js'
import { readBearer } from '../bearer.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting, as the audit log names them; set by the admin guard. */
    actor: string
  }
}

async function adminAuth(app: FastifyInstance): Promise<void> {
  const { config, store } = app.services
  const envHash = config.adminToken === undefined ? undefined : Buffer.from(hashSecret(config.adminToken), 'hex')
  app.decorateRequest('actor', '')
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const bearer = readBearer(request)
    if (bearer.kind !== 'ok') throw new AppError('unauthorized', 'send Authorization: Bearer <admin token>')
    const hash = hashSecret(bearer.credential)
    if (envHash && timingSafeEqual(envHash, Buffer.from(hash, 'hex'))) {
      request.actor = 'env'
      request.credentialId = 'env'
      return
    }
    const token = await store.adminTokens.findActive(hash)
    if (!token) throw new AppError('unauthorized', 'admin token is not valid')
    request.actor = `admin-token:${token.id}`
    request.credentialId = request.actor
  })
}

/** Register inside the admin route plugin, after its rate limits: it guards only that scope. */
export default fp(adminAuth, { name: 'admin-auth', dependencies: ['rate-limits'] })
