// Which claims a profile field is read from: its claimMapping claim if mapped (only that one), else the standard claims.
import type { ClaimMapping } from '../storage/types.js'

/** The profile fields just-in-time provisioning and profile updates fill, each with its standard claims in order of preference. */
export const STANDARD_PROFILE_CLAIMS = {
  email: ['email'],
  displayName: ['displayName', 'name'],
  phone: ['phone'],
  countryCode: ['countryCode', 'country'],
  locale: ['locale'],
} as const satisfies Record<string, readonly string[]>

export type ProfileClaimField = keyof typeof STANDARD_PROFILE_CLAIMS
export const PROFILE_CLAIM_FIELDS = Object.keys(STANDARD_PROFILE_CLAIMS) as ProfileClaimField[]

/** Every standard profile claim. */
export const PROFILE_CLAIMS: readonly string[] = Object.values(STANDARD_PROFILE_CLAIMS).flat()

/** The claims `field` may be read from under `mapping`, in order of preference. */
export function claimsForField(field: ProfileClaimField, mapping: ClaimMapping | null | undefined): readonly string[] {
  const mapped = mapping?.[field]
  return mapped === undefined ? STANDARD_PROFILE_CLAIMS[field] : [mapped]
}

/** Stand in for structured profile claims: present (so the profile counts them as dropped, saying which kind) but never a valid field. */
const OBJECT_CLAIM = Object.freeze({})
const ARRAY_CLAIM = Object.freeze([])

/**
 * The profile claims a verified token keeps, and no other: a result cache holds thousands of these, and a
 * partner may sign kilobytes of claims nobody here reads. A structured value is kept as an empty object or array.
 */
export function keptProfileClaims(payload: Record<string, unknown>, mapping: ClaimMapping | null): Record<string, unknown> {
  // No prototype: a mapped claim may be named `__proto__`.
  const kept: Record<string, unknown> = Object.create(null)
  for (const field of PROFILE_CLAIM_FIELDS) {
    const mapped = mapping?.[field]
    if (mapped !== undefined) keep(kept, payload, mapped)
    else for (const name of STANDARD_PROFILE_CLAIMS[field]) keep(kept, payload, name)
  }
  return kept
}

function keep(kept: Record<string, unknown>, payload: Record<string, unknown>, name: string): void {
  // Own properties only: a claim named like an Object.prototype member is not a claim the token carries.
  if (!Object.hasOwn(payload, name)) return
  const value = payload[name]
  kept[name] = typeof value !== 'object' || value === null ? value : Array.isArray(value) ? ARRAY_CLAIM : OBJECT_CLAIM
}
