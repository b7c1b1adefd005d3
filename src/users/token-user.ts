// The stored user behind a verified /me token: the revocation check on the user as the store answers now, then just-in-time provisioning or the partner's profile update.
import type { UserRecord, UserStore } from '../storage/types.js'
import { revocationFailure } from '../tokens/revocation.js'
import type { VerifiedToken } from '../tokens/verify-partner-token.js'
import { type DroppedClaim, jitProfileFromClaims } from './jit-profile.js'
import { profileChange } from './profile-update.js'

export type TokenUserRead = { ok: true; user: UserRecord | null } | { ok: false; detail: string }

/**
 * Revocation (the last row of the verification table), judged on the user as the store's `getCached` answers
 * now — never on a verification result the token cache kept: the SQLite store's user cache is written through
 * by every write (one process owns the file), and the PostgreSQL store's is written through by this instance's
 * writes and invalidated by notices of every other's, so a revocation holds on the very next request of the
 * instance that made it and within 5 s on every other.
 */
export function readTokenUser(users: UserStore, token: VerifiedToken): Promise<TokenUserRead> {
  return users.getCached(token.partner.record.id, token.sub).then((user) => {
    const failure = user ? revocationFailure(token, user, token.partner.record) : null
    return failure === null ? { ok: true, user } : { ok: false, detail: failure }
  })
}

export type TokenUserOutcome =
  | {
      ok: true
      user: UserRecord
      created: boolean
      /** The profile was changed by this token (the partner's profileUpdate). */
      updated: boolean
      /** Malformed optional claims left out of what was written. */
      dropped: DroppedClaim[]
    }
  /** The partner was deleted after the token was verified against the record this instance still held. */
  | { ok: false; reason: 'partner_not_found' }

export type SettledUser = Extract<TokenUserOutcome, { ok: true }>

/**
 * The outcome for a stored user this token changes nothing of, worked out without the store (and without a
 * promise: a returning user is the /me hot path); null when the user must be provisioned or updated.
 */
export function settledWithoutWrite(token: VerifiedToken, stored: UserRecord | null): SettledUser | null {
  if (!stored) return null
  const partner = token.partner.record
  if (partner.profileUpdate === 'never') return { ok: true, user: stored, created: false, updated: false, dropped: [] }
  const { profile, dropped } = jitProfileFromClaims(token.claims, partner.claimMapping)
  return profileChange(stored, profile, partner.profileUpdate) ? null : { ok: true, user: stored, created: false, updated: false, dropped }
}

/**
 * Provisions the token's user if `stored` (from readTokenUser) is null, else applies the partner's
 * profileUpdate. A token that would change nothing writes nothing, so a returning user's request stays
 * one read; the store's single-statement update keeps concurrent tokens from losing each other's fields.
 */
export async function settleTokenUser(users: UserStore, token: VerifiedToken, stored: UserRecord | null): Promise<TokenUserOutcome> {
  return settle(users, token, stored, true)
}

async function settle(users: UserStore, token: VerifiedToken, stored: UserRecord | null, retryIfDeleted: boolean): Promise<TokenUserOutcome> {
  const partner = token.partner.record
  let user = stored
  if (!user) {
    const { profile, dropped } = jitProfileFromClaims(token.claims, partner.claimMapping)
    const outcome = await users.provision(partner.id, token.sub, profile)
    if (!outcome.ok) return outcome
    if (outcome.created) return { ok: true, user: outcome.user, created: true, updated: false, dropped }
    // A concurrent first request created the user: this token's claims apply as any later token's do.
    // (That user is younger than this request, so no revocation of it can predate the request.)
    user = outcome.user
  }
  if (partner.profileUpdate === 'never') return { ok: true, user, created: false, updated: false, dropped: [] }
  const { profile, dropped } = jitProfileFromClaims(token.claims, partner.claimMapping)
  const change = profileChange(user, profile, partner.profileUpdate)
  if (!change) return { ok: true, user, created: false, updated: false, dropped }
  const updated = await users.updateProfile(partner.id, token.sub, change, partner.profileUpdate)
  if (updated) return { ok: true, user: updated, created: false, updated: true, dropped }
  // Deleted since it was read: like any deleted user's next token, this one provisions a fresh user
  // (once; deleted yet again meanwhile, the request is answered by the user as it read it).
  return retryIfDeleted ? settle(users, token, null, false) : { ok: true, user, created: false, updated: false, dropped }
}
