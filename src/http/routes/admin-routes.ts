// Admin API (admin token): partner records, their API keys, the verifier's key view, refusals feed and users' sessions, the audit log.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { issueApiKey } from '../../credentials/issue-api-key.js'
import {
  listAudit,
  listPartnerApiKeys,
  partnerKeyView,
  readPartner,
  refreshPartnerKeys,
  revokePartnerApiKey,
  revokeUserSessions,
} from '../../partners/partner-admin.js'
import { etag, expectedVersion } from '../if-match.js'
import adminAuth from '../plugins/admin-auth.js'
import rateLimits from '../plugins/rate-limits.js'
import { listOf, problems } from '../schemas/common.js'
import {
  ApiKeyParamsSchema,
  ApiKeySchema,
  AuditEntrySchema,
  AuditQuerySchema,
  KeyViewSchema,
  NewApiKeySchema,
  PartnerCreateBodySchema,
  PartnerParamsSchema,
  PartnerPatchBodySchema,
  PartnerSchema,
} from '../schemas/partner-schemas.js'
import { RefusalSchema, RefusalsQuerySchema } from '../schemas/refusal-schemas.js'
import { fastSerializerCompiler, userJson } from '../schemas/user-json.js'
import { PartnerUserParamsSchema, RevokeSessionsBodySchema, UserSchema } from '../schemas/user-schemas.js'

export default async function adminRoutes(fastify: FastifyInstance): Promise<void> {
  await fastify.register(rateLimits, { perCredential: fastify.services.config.rateLimits.perAdminToken })
  await fastify.register(adminAuth)
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const { store, partners, directory } = app.services
  const security = [{ adminToken: [] }]
  const tags = ['admin']

  app.get(
    '/admin/partners',
    { schema: { summary: 'List partners', tags, security, response: { 200: listOf(PartnerSchema), ...problems(401) } } },
    async () => ({ items: await store.partners.list() }),
  )

  app.post(
    '/admin/partners',
    {
      schema: {
        summary: 'Create a partner (a jwksUrl is fetched once and reported in warnings)',
        tags,
        security,
        body: PartnerCreateBodySchema,
        response: { 201: PartnerSchema, ...problems(400, 401, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const result = await partners.create(request.body, request.actor)
      return reply.code(201).header('etag', etag(result.partner.version)).send({ ...result.partner, warnings: result.warnings })
    },
  )

  app.get(
    '/admin/partners/:id',
    { schema: { summary: 'Read a partner', tags, security, params: PartnerParamsSchema, response: { 200: PartnerSchema, ...problems(400, 401, 404) } } },
    async (request, reply) => {
      const partner = await readPartner(store, request.params.id)
      return reply.header('etag', etag(partner.version)).send(partner)
    },
  )

  app.patch(
    '/admin/partners/:id',
    {
      schema: {
        summary: 'Merge-patch a partner (honours If-Match)',
        tags,
        security,
        params: PartnerParamsSchema,
        body: PartnerPatchBodySchema,
        response: { 200: PartnerSchema, ...problems(400, 401, 404, 409, 412, 413, 415) },
      },
    },
    async (request, reply) => {
      const result = await partners.update(request.params.id, request.body, {
        expectedVersion: expectedVersion(request),
        actor: request.actor,
      })
      return reply.header('etag', etag(result.partner.version)).send({ ...result.partner, warnings: result.warnings })
    },
  )

  app.delete(
    '/admin/partners/:id',
    {
      schema: {
        summary: 'Delete a disabled partner with its users and keys (honours If-Match)',
        tags,
        security,
        params: PartnerParamsSchema,
        response: { 204: z.null(), ...problems(400, 401, 404, 409, 412) },
      },
    },
    async (request, reply) => {
      await partners.remove(request.params.id, { expectedVersion: expectedVersion(request), actor: request.actor })
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/admin/partners/:id/api-keys',
    {
      schema: {
        summary: 'Create a partner API key (the secret is shown only here)',
        tags,
        security,
        params: PartnerParamsSchema,
        response: { 201: NewApiKeySchema, ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      return reply.code(201).send(await issueApiKey(store, request.params.id, request.actor))
    },
  )

  app.get(
    '/admin/partners/:id/api-keys',
    {
      schema: { summary: "List a partner's API keys (never the secrets)", tags, security, params: PartnerParamsSchema, response: { 200: listOf(ApiKeySchema), ...problems(400, 401, 404) } },
    },
    async (request) => ({ items: await listPartnerApiKeys(store, request.params.id) }),
  )

  app.delete(
    '/admin/partners/:id/api-keys/:keyId',
    {
      schema: {
        summary: 'Revoke an API key',
        tags,
        security,
        params: ApiKeyParamsSchema,
        response: { 204: z.null(), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await revokePartnerApiKey(store, request.params.id, request.params.keyId, request.actor)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/admin/partners/:id/keys',
    { schema: { summary: "The verifier's view of a partner's keys", tags, security, params: PartnerParamsSchema, response: { 200: KeyViewSchema, ...problems(400, 401, 404) } } },
    async (request) => partnerKeyView(store, directory, request.params.id),
  )

  app.post(
    '/admin/partners/:id/keys/refresh',
    { schema: { summary: "Refetch a partner's JWKS now", tags, security, params: PartnerParamsSchema, response: { 200: KeyViewSchema, ...problems(400, 401, 404) } } },
    async (request) => refreshPartnerKeys(store, directory, request.params.id),
  )

  app.get(
    '/admin/partners/:id/refusals',
    {
      schema: {
        summary: "A partner's recent refused /me tokens, newest first",
        tags,
        security,
        params: PartnerParamsSchema,
        querystring: RefusalsQuerySchema,
        response: { 200: listOf(RefusalSchema), ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const partner = await readPartner(store, request.params.id)
      return { items: await store.refusals.list(partner.id, request.query.limit) }
    },
  )

  app.post(
    '/admin/partners/:id/users/:externalUserId/sessions/revoke',
    {
      schema: {
        summary: "Revoke a partner's user's sessions: tokens issued before now are refused token_revoked",
        tags,
        security,
        params: PartnerUserParamsSchema,
        body: RevokeSessionsBodySchema,
        response: { 200: UserSchema, ...problems(400, 401, 404, 415) },
      },
      serializerCompiler: fastSerializerCompiler(['200'], userJson),
    },
    async (request) => revokeUserSessions(store, request.params.id, request.params.externalUserId, request.actor),
  )

  app.get(
    '/admin/audit',
    {
      schema: {
        summary: 'Who changed what, newest first (page with before=<id of the last entry>)',
        tags,
        security,
        querystring: AuditQuerySchema,
        response: { 200: listOf(AuditEntrySchema), ...problems(400, 401) },
      },
    },
    async (request) => ({ items: await listAudit(store, request.query) }),
  )
}
