// Maps a verified token's profile claims onto profile fields (the just-in-time table of docs/reference.md), honouring the partner's claimMapping.
import type { ZodType } from 'zod'
import type { ClaimMapping, UserProfile } from '../storage/types.js'
import { claimsForField, PROFILE_CLAIM_FIELDS, type ProfileClaimField } from '../tokens/profile-claims.js'
import { CountryCodeSchema, DisplayNameSchema, EmailSchema, LocaleSchema, PhoneSchema } from './profile-rules.js'

/** A claim present but unusable for its field; `reason` is in words and never carries the value (it may be profile data). */
export interface DroppedClaim {
  claim: string
  reason: string
}

export interface JitProfile {
  profile: UserProfile
  /** Claims present but malformed: dropped, never a reason to refuse the user. */
  dropped: DroppedClaim[]
}

const trimmed = (v: string) => v.trim()

/** Each field's rule, applied to the claim's string after the field's normalisation. */
const FIELD_RULES: Record<ProfileClaimField, { schema: ZodType<string>; normalise: (v: string) => string; what: string }> = {
  email: { schema: EmailSchema, normalise: (v) => v, what: 'an email address of at most 254 characters' },
  displayName: { schema: DisplayNameSchema, normalise: trimmed, what: 'a name of 1–200 characters after trimming' },
  phone: { schema: PhoneSchema, normalise: trimmed, what: 'a phone number of 1–32 characters after trimming' },
  countryCode: { schema: CountryCodeSchema, normalise: (v) => v.slice(0, 2), what: 'a country whose first two characters are letters' },
  locale: { schema: LocaleSchema, normalise: (v) => v, what: 'a BCP 47 language tag of at most 35 characters' },
}

/** Why a claim value cannot fill its field, in words that never repeat the value. */
function valueProblem(field: ProfileClaimField, value: unknown): { ok: true; data: string } | { ok: false; reason: string } {
  if (typeof value !== 'string') {
    const kind = Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'a JSON object' : `a ${typeof value}`
    return { ok: false, reason: `is ${kind}, not a string` }
  }
  const rule = FIELD_RULES[field]
  const result = rule.schema.safeParse(rule.normalise(value))
  return result.success ? { ok: true, data: result.data } : { ok: false, reason: `is not ${rule.what}` }
}

/**
 * The profile a token's claims give: each field from its mapped claim if `mapping` maps it (only that claim),
 * else from the first standard claim present (a `null` claim counts as absent). Malformed claims are dropped.
 */
export function jitProfileFromClaims(claims: Record<string, unknown>, mapping?: ClaimMapping | null): JitProfile {
  const profile: UserProfile = {}
  const dropped: DroppedClaim[] = []
  for (const field of PROFILE_CLAIM_FIELDS) {
    const claim = claimsForField(field, mapping).find((name) => Object.hasOwn(claims, name) && claims[name] !== undefined && claims[name] !== null)
    if (claim === undefined) continue
    const judged = valueProblem(field, claims[claim])
    if (judged.ok) profile[field] = judged.data
    else dropped.push({ claim, reason: judged.reason })
  }
  return { profile, dropped }
}
