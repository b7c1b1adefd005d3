// Partner API (API key): user upserts, reads and deletes, token checks, and the partner's own JWKS refresh.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { checkPartnerToken } from '../../tokens/verify-partner-token.js'
import { wellFormedString } from '../../users/well-formed-string.js'
import partnerAuth from '../plugins/partner-auth.js'
import rateLimits from '../plugins/rate-limits.js'
import { problems } from '../schemas/common.js'
import { KeyViewSchema } from '../schemas/partner-schemas.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { ExternalUserParamsSchema, UserSchema, UserUpsertSchema } from '../schemas/user-schemas.js'

const TokenCheckBodySchema = z.strictObject({ token: wellFormedString() }).meta({ id: 'TokenCheckRequest' })
const TokenReportSchema = z
  .object({
    valid: z.boolean(),
    code: z.string().nullable(),
    detail: z.string(),
    header: z.record(z.string(), z.unknown()).nullable(),
    claims: z.record(z.string(), z.unknown()).nullable(),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  })
  .meta({
    id: 'TokenReport',
    example: {
      valid: false,
      code: 'token_expired',
      detail: 'expired 42 s ago (skew 60 s)',
      header: { alg: 'RS256', kid: 'k1' },
      claims: { iss: 'https://auth.acme.example', sub: 'user-42' },
      checks: [{ name: 'expiry', ok: false, detail: 'expired 42 s ago (skew 60 s)' }],
    },
  })

/** A partner may force its own JWKS refetch at most this often. */
const PARTNER_REFRESH_INTERVAL_MS = 10_000

export default async function integrationRoutes(fastify: FastifyInstance): Promise<void> {
  await fastify.register(rateLimits, { perCredential: fastify.services.config.rateLimits.perApiKey })
  await fastify.register(partnerAuth)
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { store, directory, verifyOptions, now } = app.services
  const security = [{ partnerApiKey: [] }]
  const lastRefresh = new Map<string, number>()

  app.post(
    '/integrations/users',
    {
      schema: {
        summary: 'Create or update a user (absent fields unchanged, null clears)',
        tags: ['partner'],
        security,
        body: UserUpsertSchema,
        response: { 200: UserSchema, 201: UserSchema, ...problems(400, 401, 413, 415) },
      },
      serializerCompiler: fastSerializerCompiler(['200', '201'], userJson),
    },
    async (request, reply) => {
      const { externalUserId, ...profile } = request.body
      const outcome = await store.users.upsert(request.partner.id, externalUserId, profile)
      // The partner, and its API keys with it, was deleted after this request's key was checked.
      if (!outcome.ok) throw new AppError('unauthorized', 'API key is not valid or has been revoked')
      return reply.code(outcome.created ? 201 : 200).send(outcome.user)
    },
  )

  app.get(
    '/integrations/users/:externalUserId',
    {
      schema: {
        summary: 'Read a user by its external id (percent-encoded)',
        tags: ['partner'],
        security,
        params: ExternalUserParamsSchema,
        response: { 200: UserSchema, ...problems(400, 401, 404) },
      },
      serializerCompiler: fastSerializerCompiler(['200'], userJson),
    },
    async (request) => {
      const user = await store.users.get(request.partner.id, request.params.externalUserId)
      if (!user) throw new AppError('not_found', 'no user with this externalUserId')
      return user
    },
  )

  app.delete(
    '/integrations/users/:externalUserId',
    {
      schema: {
        summary: 'Delete a user; a later token for the same sub provisions a fresh one',
        tags: ['partner'],
        security,
        params: ExternalUserParamsSchema,
        response: { 204: z.null(), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      if (!(await store.users.delete(request.partner.id, request.params.externalUserId))) {
        throw new AppError('not_found', 'no user with this externalUserId')
      }
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/integrations/token-checks',
    {
      schema: {
        summary: 'Run the whole verification on one of your tokens, check by check, without provisioning',
        tags: ['partner'],
        security,
        body: TokenCheckBodySchema,
        response: { 200: TokenReportSchema, ...problems(400, 401, 413) },
      },
    },
    async (request) => checkPartnerToken(request.body.token, request.partner.id, verifyOptions),
  )

  app.post(
    '/integrations/keys/refresh',
    {
      schema: {
        summary: 'Refetch your JWKS now (announce a rotation); at most once per 10 s',
        tags: ['partner'],
        security,
        response: { 200: KeyViewSchema, ...problems(401, 429) },
      },
    },
    async (request) => {
      const id = request.partner.id
      const since = now() - (lastRefresh.get(id) ?? Number.NEGATIVE_INFINITY)
      if (since < PARTNER_REFRESH_INTERVAL_MS) {
        throw new AppError('rate_limited', 'JWKS refresh is allowed once per 10 s', {
          retryAfterSeconds: (PARTNER_REFRESH_INTERVAL_MS - since) / 1000,
        })
      }
      lastRefresh.set(id, now())
      const view = await directory.refreshKeys(id)
      if (!view) throw new AppError('not_found', `no partner ${id}`)
      return view
    },
  )
}
