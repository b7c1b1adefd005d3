// OpenAPI 3.1 at /openapi.json and Swagger UI at /docs, generated from the zod schemas that validate requests.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

async function apiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description:
          'Bring-your-own-JWT for partner platforms. Errors are application/problem+json (RFC 9457) with a stable `code`.',
      },
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN or a created admin token' },
          partnerApiKey: { type: 'http', scheme: 'bearer', description: 'A partner API key (gh_pk_…)' },
          partnerJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An RS256 JWT signed by the partner' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export default fp(apiDocs, { name: 'api-docs' })
