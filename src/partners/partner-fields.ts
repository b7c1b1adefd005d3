// Field rules of a partner record, shared by the admin API and the CLI: each field's shape and limits, and the
// create and merge-patch documents built from them. The rules spanning fields are in partner-rules.ts.
import { z } from 'zod'
import { wellFormedString } from '../users/well-formed-string.js'

export const PartnerStatusSchema = z.enum(['active', 'disabled'])

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a slug: a-z, 0-9 and -, 2–63 characters')
const name = wellFormedString().min(1).max(200)
const jwtIssuer = wellFormedString().min(1).max(2048)
const jwksUrl = wellFormedString().min(1).max(2048).describe('https JWKS endpoint (http and private hosts only with JWKS_ALLOW_PRIVATE_NETWORK=true)')
const jwtPublicKey = wellFormedString().min(1).max(16384).describe('PEM, SPKI or PKCS#1, RSA 2048–4096 bits, public exponent 65537')
const jwtAudience = wellFormedString().min(1).max(2048)
const maxTokenLifetimeSeconds = z.number().int().min(60).max(86400)

export const PartnerCreateSchema = z.strictObject({
  id,
  name,
  jwtIssuer,
  jwksUrl: jwksUrl.nullable().optional(),
  jwtPublicKey: jwtPublicKey.nullable().optional(),
  jwtAudience: jwtAudience.nullable().optional(),
  maxTokenLifetimeSeconds: maxTokenLifetimeSeconds.optional(),
  status: PartnerStatusSchema.optional(),
})
export type PartnerCreate = z.infer<typeof PartnerCreateSchema>

// JSON merge-patch: a present field replaces, null clears a nullable one; `id` is immutable (unknown here → 400).
export const PartnerPatchSchema = z.strictObject({
  name: name.optional(),
  jwtIssuer: jwtIssuer.optional(),
  jwksUrl: jwksUrl.nullable().optional(),
  jwtPublicKey: jwtPublicKey.nullable().optional(),
  jwtAudience: jwtAudience.nullable().optional(),
  maxTokenLifetimeSeconds: maxTokenLifetimeSeconds.optional(),
  status: PartnerStatusSchema.optional(),
})
export type PartnerPatch = z.infer<typeof PartnerPatchSchema>
