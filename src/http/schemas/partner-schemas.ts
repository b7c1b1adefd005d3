// Request and response schemas of the admin partner API; they validate requests and feed /openapi.json.
// The partner field rules themselves are the partners module's: the CLI applies the same ones.
import { z } from 'zod'
import { PartnerCreateSchema, PartnerPatchSchema, PartnerStatusSchema, ProfileUpdateSchema } from '../../partners/partner-fields.js'
import { MAPPABLE_FIELDS } from '../../storage/types.js'
import { wellFormedString } from '../../users/well-formed-string.js'

const exampleJwksPartner = {
  id: 'acme',
  name: 'Acme Corp',
  jwtIssuer: 'https://auth.acme.example',
  jwksUrl: 'https://auth.acme.example/.well-known/jwks.json',
  jwtAudience: 'gatehouse',
  maxTokenLifetimeSeconds: 3600,
}

// The documents the partner rules define, named for the OpenAPI document.
export const PartnerCreateBodySchema = PartnerCreateSchema.meta({ id: 'PartnerCreate', example: exampleJwksPartner })
export const PartnerPatchBodySchema = PartnerPatchSchema.meta({ id: 'PartnerPatch', example: { status: 'disabled' } })

export const PartnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    jwtIssuer: z.string(),
    jwksUrl: z.string().nullable(),
    openidConfigurationUrl: z.string().nullable(),
    jwtPublicKey: z.string().nullable(),
    jwtAudience: z.string().nullable(),
    maxTokenLifetimeSeconds: z.number().int(),
    requireIssuedAt: z.boolean(),
    claimMapping: z.partialRecord(z.enum(MAPPABLE_FIELDS), z.string()).nullable().describe('null when no field is mapped'),
    requiredClaims: z.record(z.string(), z.string()).nullable().describe('null when no claim is required'),
    profileUpdate: ProfileUpdateSchema,
    status: PartnerStatusSchema,
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    warnings: z.array(z.string()).optional().describe('Present when the write set a jwksUrl or openidConfigurationUrl: what fetching it found'),
  })
  .meta({
    id: 'Partner',
    example: {
      ...exampleJwksPartner,
      openidConfigurationUrl: null,
      jwtPublicKey: null,
      requireIssuedAt: true,
      claimMapping: null,
      requiredClaims: null,
      profileUpdate: 'never',
      status: 'active',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    },
  })

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
    jwksUrl: z.string().nullable().optional().describe("The JWKS the keys come from; for a discovery partner the document's jwks_uri, null until read"),
    openidConfigurationUrl: z.string().nullable().optional().describe('The discovery document a discovery partner reads its jwks_uri from'),
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
        lastVerifiedAt: z.string().nullable().describe('When this instance last accepted a /me token signed by this key (token checks do not count)'),
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
