// Request and response schemas of the admin partner API; they validate requests and feed /openapi.json.
import { z } from 'zod'
import { wellFormedString } from '../../users/well-formed-string.js'

const exampleJwksPartner = {
  id: 'acme',
  name: 'Acme Corp',
  jwtIssuer: 'https://auth.acme.example',
  jwksUrl: 'https://auth.acme.example/.well-known/jwks.json',
  jwtAudience: 'gatehouse',
  maxTokenLifetimeSeconds: 3600,
}

export const PartnerIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a slug: a-z, 0-9 and -, 2–63 characters')
const name = wellFormedString().min(1).max(200)
const jwtIssuer = wellFormedString().min(1).max(2048)
const jwksUrl = wellFormedString().min(1).max(2048).describe('https JWKS endpoint (http and private hosts only with JWKS_ALLOW_PRIVATE_NETWORK=true)')
const jwtPublicKey = wellFormedString().min(1).max(16384).describe('PEM, SPKI or PKCS#1, RSA 2048–4096 bits, public exponent 65537')
const jwtAudience = wellFormedString().min(1).max(2048)
const maxTokenLifetimeSeconds = z.number().int().min(60).max(86400)
const status = z.enum(['active', 'disabled'])

export const PartnerCreateSchema = z
  .strictObject({
    id: PartnerIdSchema,
    name,
    jwtIssuer,
    jwksUrl: jwksUrl.nullable().optional(),
    jwtPublicKey: jwtPublicKey.nullable().optional(),
    jwtAudience: jwtAudience.nullable().optional(),
    maxTokenLifetimeSeconds: maxTokenLifetimeSeconds.optional(),
    status: status.optional(),
  })
  .meta({ id: 'PartnerCreate', example: exampleJwksPartner })

// JSON merge-patch: a present field replaces, null clears a nullable one; `id` is immutable (unknown here → 400).
export const PartnerPatchSchema = z
  .strictObject({
    name: name.optional(),
    jwtIssuer: jwtIssuer.optional(),
    jwksUrl: jwksUrl.nullable().optional(),
    jwtPublicKey: jwtPublicKey.nullable().optional(),
    jwtAudience: jwtAudience.nullable().optional(),
    maxTokenLifetimeSeconds: maxTokenLifetimeSeconds.optional(),
    status: status.optional(),
  })
  .meta({ id: 'PartnerPatch', example: { status: 'disabled' } })

export const PartnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    jwtIssuer: z.string(),
    jwksUrl: z.string().nullable(),
    jwtPublicKey: z.string().nullable(),
    jwtAudience: z.string().nullable(),
    maxTokenLifetimeSeconds: z.number().int(),
    status,
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    warnings: z.array(z.string()).optional().describe('Present when the write set a jwksUrl: what fetching it found'),
  })
  .meta({ id: 'Partner', example: { ...exampleJwksPartner, jwtPublicKey: null, status: 'active', version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' } })

// Path values: any well-formed string (an id no partner can have is a 404, not a 400).
export const PartnerParamsSchema = z.object({ id: wellFormedString() })
export const ApiKeyParamsSchema = z.object({ id: wellFormedString(), keyId: wellFormedString() })

export const ApiKeySchema = z
  .object({ id: z.string(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() })
  .meta({ id: 'ApiKey' })
export const NewApiKeySchema = z
  .object({ id: z.string(), key: z.string().describe('The secret: shown only in this response'), prefix: z.string(), createdAt: z.string() })
  .meta({ id: 'NewApiKey' })

export const KeyViewSchema = z
  .object({
    source: z.enum(['jwks', 'static']),
    jwksUrl: z.string().optional(),
    fetchedAt: z.string().nullable().optional(),
    freshUntil: z.string().nullable().optional(),
    lastError: z.string().nullable().optional(),
    servingStale: z.boolean().optional(),
    coolingDownUntil: z.string().nullable().optional(),
    ignoredKeys: z.number().int().optional().describe('JWKS keys published past the first 100: not considered, not listed'),
    keys: z.array(
      z.object({
        kid: z.string().nullable(),
        alg: z.string().nullable(),
        bits: z.number().int().nullable(),
        usable: z.boolean(),
        reason: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'KeyView' })

// Digits only, then a safe integer: a longer number would lose precision or overflow the database's bigint.
const wholeNumber = (message: string) => z.string().regex(/^\d+$/, message).transform(Number)

export const AuditQuerySchema = z.strictObject({
  partnerId: wellFormedString().optional(),
  limit: wholeNumber('must be a whole number').pipe(z.number().int().min(1).max(500)).optional(),
  before: wholeNumber('must be an audit entry id').pipe(z.number().int().min(1)).optional(),
})

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    partnerId: z.string().nullable(),
    changedFields: z.array(z.string()),
  })
  .meta({ id: 'AuditEntry' })
