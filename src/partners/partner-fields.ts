// Field rules of a partner record, shared by the admin API and the CLI: each field's shape and limits, and the
// create and merge-patch documents built from them. The rules spanning fields are in partner-rules.ts.
import { z } from 'zod'
import { textFlaw } from '../storage/storable-text.js'
import { MAPPABLE_FIELDS } from '../storage/types.js'
import { wellFormedString } from '../users/well-formed-string.js'

export const PartnerStatusSchema = z.enum(['active', 'disabled'])

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a slug: a-z, 0-9 and -, 2–63 characters')
const name = wellFormedString().min(1).max(200)
const jwtIssuer = wellFormedString().min(1).max(2048)
const jwksUrl = wellFormedString().min(1).max(2048).describe('https JWKS endpoint (http and private hosts only with JWKS_ALLOW_PRIVATE_NETWORK=true)')
const jwtPublicKey = wellFormedString().min(1).max(16384).describe('PEM, SPKI or PKCS#1, RSA 2048–4096 bits, public exponent 65537')
const jwtAudience = wellFormedString().min(1).max(2048)
const maxTokenLifetimeSeconds = z.number().int().min(60).max(86400)
const openidConfigurationUrl = wellFormedString()
  .min(1)
  .max(2048)
  .describe("The partner's OpenID Connect discovery document, whose jwks_uri supplies the keys; the same URL rules as jwksUrl")
const requireIssuedAt = z.boolean().describe('false accepts tokens without iat (default true)')
export const ProfileUpdateSchema = z
  .enum(['never', 'fillEmpty', 'overwrite'])
  .describe("What a later token of an existing user does to its stored profile (default never)")

/** The claims the verifier itself checks: a partner can neither require a value of them nor be asked to. */
export const RESERVED_CLAIMS: readonly string[] = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat']
export const MAX_REQUIRED_CLAIMS = 16

const MAX_CLAIM_NAME = 256
const claimName = wellFormedString().min(1).max(MAX_CLAIM_NAME)
const requiredValue = wellFormedString().min(1).max(1024)

/** What is wrong with a required claim's name, or null. */
function requiredClaimNameProblem(name: string): string | null {
  if (name.length === 0) return 'a claim name must not be empty'
  if (name.length > MAX_CLAIM_NAME) return `a claim name has at most ${MAX_CLAIM_NAME} characters`
  if (RESERVED_CLAIMS.includes(name)) return `may not be one of ${RESERVED_CLAIMS.join(', ')}: the verifier checks those itself`
  const flaw = textFlaw(name)
  return flaw && `the claim name ${flaw}`
}

/** Claim name → `value`; each name is judged on its own, so the error names it (`/requiredClaims/<name>`). */
const requiredClaimsOf = <V extends z.ZodType>(value: V) =>
  z.record(z.string(), value).superRefine((claims, ctx) => {
    for (const name of Object.keys(claims)) {
      const problem = requiredClaimNameProblem(name)
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem })
    }
  })

/** Each mappable user field → the exact top-level claim it is read from; `value` is what one entry may hold. */
const claimMappingOf = <V extends z.ZodType>(value: V) =>
  z.strictObject(Object.fromEntries(MAPPABLE_FIELDS.map((field) => [field, value.optional()])) as Record<(typeof MAPPABLE_FIELDS)[number], z.ZodOptional<V>>)

const claimMapping = claimMappingOf(claimName).describe('User field → the exact top-level claim it is read from (1–256 characters)')
const requiredClaims = requiredClaimsOf(requiredValue).describe(`Claim name → the exact string value every token must carry; at most ${MAX_REQUIRED_CLAIMS}, not ${RESERVED_CLAIMS.join('/')}`)
// In a merge-patch an entry set to null removes that key.
const claimMappingPatch = claimMappingOf(claimName.nullable()).describe('Merged key by key into the stored mapping; a key set to null removes it')
const requiredClaimsPatch = requiredClaimsOf(requiredValue.nullable()).describe('Merged key by key into the stored claims; a key set to null removes it')

/** The optional fields, alike in a create document and a merge-patch. */
const optionalFields = {
  jwksUrl: jwksUrl.nullable().optional(),
  openidConfigurationUrl: openidConfigurationUrl.nullable().optional(),
  jwtPublicKey: jwtPublicKey.nullable().optional(),
  jwtAudience: jwtAudience.nullable().optional(),
  maxTokenLifetimeSeconds: maxTokenLifetimeSeconds.optional(),
  requireIssuedAt: requireIssuedAt.optional(),
  profileUpdate: ProfileUpdateSchema.optional(),
  status: PartnerStatusSchema.optional(),
}

export const PartnerCreateSchema = z.strictObject({
  id,
  name,
  jwtIssuer,
  ...optionalFields,
  claimMapping: claimMapping.nullable().optional(),
  requiredClaims: requiredClaims.nullable().optional(),
})
export type PartnerCreate = z.infer<typeof PartnerCreateSchema>

// JSON merge-patch: a present field replaces, null clears a nullable one, and the two objects merge key by key;
// `id` is immutable (unknown here → 400).
export const PartnerPatchSchema = z.strictObject({
  name: name.optional(),
  jwtIssuer: jwtIssuer.optional(),
  ...optionalFields,
  claimMapping: claimMappingPatch.nullable().optional(),
  requiredClaims: requiredClaimsPatch.nullable().optional(),
})
export type PartnerPatch = z.infer<typeof PartnerPatchSchema>
