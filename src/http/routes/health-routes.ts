// Operations: liveness, readiness (database answers, migrations applied) and Prometheus metrics.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { hashSecret } from '../../credentials/secrets.js'
import { AppError } from '../../errors.js'
import { readBearer } from '../bearer.js'
import { loggableError } from '../loggable-error.js'
import rateLimits from '../plugins/rate-limits.js'
import { problems } from '../schemas/common.js'

export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { store } = app.services
  const Status = z.object({ status: z.string() })

  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }))

  app.get(
    '/readyz',
    { schema: { summary: 'The database answers and migrations are applied', tags: ['operations'], response: { 200: Status, ...problems(503) } } },
    async (request) => {
      try {
        await store.checkReady()
      } catch (err) {
        request.log.warn({ error: loggableError(err) }, 'not ready')
        throw new AppError('internal', 'database is not ready', { status: 503 })
      }
      return { status: 'ready' }
    },
  )

  await app.register(metricsRoute)
}

/** `/metrics` in its own scope: when METRICS_TOKEN is set, a guard (and the failed-authentication limit) covers it alone. */
async function metricsRoute(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { config, metrics } = app.services
  if (config.metricsToken !== undefined) {
    await app.register(rateLimits, { perCredential: 0 })
    // Compared as SHA-256 digests: equal lengths for timingSafeEqual, so neither content nor length leaks.
    const expected = Buffer.from(hashSecret(config.metricsToken), 'hex')
    app.addHook('onRequest', (request, _reply, done) => {
      const bearer = readBearer(request)
      const ok = bearer.kind === 'ok' && timingSafeEqual(expected, Buffer.from(hashSecret(bearer.credential), 'hex'))
      done(ok ? undefined : new AppError('unauthorized', 'send Authorization: Bearer <METRICS_TOKEN>'))
    })
  }
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (Authorization: Bearer <METRICS_TOKEN> when that is set)',
        tags: ['operations'],
        response: { 200: z.string(), ...problems(401) },
      },
    },
    async (_request, reply) => {
      // Prometheus text, not JSON: bypass the schema serializer.
      return reply.type(metrics.registry.contentType).serializer((payload) => payload as string).send(await metrics.registry.metrics())
    },
  )
}
