// Partner API (API key): user upserts, reads, deletes and session revocation, token checks, the partner's own keys and refusals feed.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../errors.js'
import { checkTokenAndUser } from '../../users/check-token.js'
import { revokeSessions } from '../../users/revoke-sessions.js'
import { wellFormedString } from '../../users/well-formed-string.js'
import partnerAuth from '../plugins/partner-auth.js'
import rateLimits from '../plugins/rate-limits.js'
import { listOf, problems } from '../schemas/common.js'
import { KeyViewSchema } from '../schemas/partner-schemas.js'
import { RefusalSchema, RefusalsQuerySchema } from '../schemas/refusal-schemas.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { ExternalUserParamsSchema, RevokeSessionsBodySchema, UserSchema, UserUpsertSchema } from '../schemas/user-schemas.js'

const TokenCheckBodySchema = z.strictObject({ token: wellFormedString() }).meta({ id: 'TokenCheckRequest' })
const nullableText = z.string().nullable()
const TokenUserPreviewSchema = z.object({
  externalUserId: z.string(),
  exists: z.boolean(),
  profile: z.object({ email: nullableText, displayName: nullableText, phone: nullableText, countryCode: nullableText, locale: nullableText }),
  droppedClaims: z.array(z.object({ claim: z.string(), reason: z.string() })),
})
const TokenReportSchema = z
  .object({
    valid: z.boolean(),
    code: z.string().nullable(),
    detail: z.string(),
    header: z.record(z.string(), z.unknown()).nullable(),
    claims: z.record(z.string(), z.unknown()).nullable(),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    user: TokenUserPreviewSchema.nullable().describe('What the token would provision or update; null until the user id claim passed'),
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
      user: {
        externalUserId: 'user-42',
        exists: false,
        profile: { email: 'ada@example.com', displayName: null, phone: null, countryCode: null, locale: null },
        droppedClaims: [{ claim: 'locale', reason: 'not a BCP 47 language tag' }],
      },
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
    '/integrations/users/:externalUserId/sessions/revoke',
    {
      schema: {
        summary: "Revoke a user's sessions: tokens issued before now are refused token_revoked",
        tags: ['partner'],
        security,
        params: ExternalUserParamsSchema,
        body: RevokeSessionsBodySchema,
        response: { 200: UserSchema, ...problems(400, 401, 404, 415) },
      },
      serializerCompiler: fastSerializerCompiler(['200'], userJson),
    },
    async (request) => {
      const outcome = await revokeSessions(store, request.partner.id, request.params.externalUserId, request.credentialId)
      if (outcome.ok) return outcome.user
      // The partner, and its API keys with it, was deleted after this request's key was checked.
      if (outcome.reason === 'partner_not_found') throw new AppError('unauthorized', 'API key is not valid or has been revoked')
      throw new AppError('not_found', 'no user with this externalUserId')
    },
  )

  app.post(
    '/integrations/token-checks',
    {
      schema: {
        summary: 'Run the whole verification on one of your tokens, check by check, without provisioning or updating anyone',
        tags: ['partner'],
        security,
        body: TokenCheckBodySchema,
        response: { 200: TokenReportSchema, ...problems(400, 401, 413) },
      },
    },
    async (request) => checkTokenAndUser(request.body.token, request.partner.id, { ...verifyOptions, users: store.users }),
  )

  app.get(
    '/integrations/keys',
    {
      schema: {
        summary: "The verifier's view of your keys (as the admin key view)",
        tags: ['partner'],
        security,
        response: { 200: KeyViewSchema, ...problems(401, 404) },
      },
    },
    async (request) => {
      const view = directory.keyView(request.partner.id)
      if (!view) throw new AppError('not_found', `partner ${request.partner.id} has no loadable key configuration`)
      return view
    },
  )

  app.get(
    '/integrations/refusals',
    {
      schema: {
        summary: 'Your recent refused /me tokens, newest first (sampled; the first of each code in a minute is always kept)',
        tags: ['partner'],
        security,
        querystring: RefusalsQuerySchema,
        response: { 200: listOf(RefusalSchema), ...problems(400, 401) },
      },
    },
    async (request) => ({ items: await store.refusals.list(request.partner.id, request.query.limit) }),
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
