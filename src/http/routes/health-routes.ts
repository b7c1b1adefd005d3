// Operations: liveness, readiness (database answers, migrations applied) and Prometheus metrics.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { problems } from '../schemas/common.js'

export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { store, metrics } = app.services
  const Status = z.object({ status: z.string() })

  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }))

  app.get(
    '/readyz',
    { schema: { summary: 'The database answers and migrations are applied', tags: ['operations'], response: { 200: Status, ...problems(503) } } },
    async (request) => {
      try {
        await store.checkReady()
      } catch (err) {
        request.log.warn({ err }, 'not ready')
        throw new AppError('internal', 'database is not ready', { status: 503 })
      }
      return { status: 'ready' }
    },
  )

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'], response: { 200: z.string() } } }, async (_request, reply) => {
    // Prometheus text, not JSON: bypass the schema serializer.
    return reply.type(metrics.registry.contentType).serializer((payload) => payload as string).send(await metrics.registry.metrics())
  })
}
