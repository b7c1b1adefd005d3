// Request and response schemas of users (partner API and /me).
import { z } from 'zod'
import { CountryCodeSchema, DisplayNameSchema, EmailSchema, ExternalUserIdSchema, LocaleSchema, PhoneSchema } from '../../users/profile-rules.js'
import { wellFormedString } from '../../users/well-formed-string.js'

export const UserSchema = z
  .object({
    id: z.string(),
    partnerId: z.string(),
    externalUserId: z.string(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    phone: z.string().nullable(),
    countryCode: z.string().nullable(),
    locale: z.string().nullable(),
    provisionedBy: z.enum(['api', 'jit']),
    tokensValidAfter: z.string().nullable().describe("Tokens issued before this instant are refused token_revoked; set by revoking the user's sessions"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'User',
    example: {
      id: '0f8e6f4e-8a0b-4b8e-9d8e-2c8a3c1f7b11',
      partnerId: 'acme',
      externalUserId: 'user-42',
      email: 'ada@example.com',
      displayName: 'Ada',
      phone: null,
      countryCode: 'GB',
      locale: 'en-GB',
      provisionedBy: 'api',
      tokensValidAfter: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    },
  })

export const UserUpsertSchema = z
  .strictObject({
    externalUserId: ExternalUserIdSchema,
    email: EmailSchema.nullable().optional(),
    displayName: DisplayNameSchema.nullable().optional(),
    phone: PhoneSchema.nullable().optional(),
    countryCode: CountryCodeSchema.nullable().optional(),
    locale: LocaleSchema.nullable().optional(),
  })
  .meta({ id: 'UserUpsert', example: { externalUserId: 'user-42', email: 'ada@example.com', displayName: 'Ada', countryCode: 'gb' } })

export const ExternalUserParamsSchema = z.object({ externalUserId: ExternalUserIdSchema })

export const MeSchema = z
  .object({ user: UserSchema, partner: z.object({ id: z.string(), name: z.string() }) })
  .meta({ id: 'Me' })

/**
 * Session revocation takes no body (Fastify hands the validator null), or an empty object: any field is
 * refused, so no option can be misread. A JSON `null` body reads as no body.
 */
export const RevokeSessionsBodySchema = z.strictObject({}).nullish().meta({ id: 'RevokeSessions' })

/** A partner's user in an admin path: any well-formed partner id (an unknown one is a 404) and an external user id. */
export const PartnerUserParamsSchema = z.object({ id: wellFormedString(), externalUserId: ExternalUserIdSchema })
