// What a later token of an existing user changes in its stored profile, per the partner's profileUpdate (docs/reference.md, Users).
import type { ProfileUpdatePolicy, UserProfile, UserRecord } from '../storage/types.js'

export const PROFILE_FIELDS = ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const
export type ProfileField = (typeof PROFILE_FIELDS)[number]
/** Every profile field, null when absent. */
export type FullProfile = Record<ProfileField, string | null>

/**
 * The fields the token's valid claims would change, or null when nothing would: `fillEmpty` only fields
 * that are null in `stored`, `overwrite` every field the token carries a valid, different value for.
 * Computed against the user as read for the revocation check, so a returning user whose token changes
 * nothing costs no write; the store's single-statement update settles races between tokens.
 */
export function profileChange(stored: UserRecord, claimed: UserProfile, policy: ProfileUpdatePolicy): UserProfile | null {
  if (policy === 'never') return null
  const change: UserProfile = {}
  let changed = false
  for (const field of PROFILE_FIELDS) {
    const value = claimed[field]
    if (value === undefined || value === null || value === stored[field]) continue
    if (policy === 'fillEmpty' && stored[field] !== null) continue
    change[field] = value
    changed = true
  }
  return changed ? change : null
}

/** The stored profile with `change` applied: what the user would look like after the token. */
export function profileAfter(stored: FullProfile, change: UserProfile | null): FullProfile {
  const out = {} as FullProfile
  for (const field of PROFILE_FIELDS) out[field] = change?.[field] ?? stored[field]
  return out
}
