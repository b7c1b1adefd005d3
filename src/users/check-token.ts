// A partner's token check: the whole verification, the revocation check on its user, and what the token would write — provisioning and updating nobody.
import type { UserRecord, UserStore } from '../storage/types.js'
import { userIdClaim } from '../tokens/claim-checks.js'
import { revocationFailure } from '../tokens/revocation.js'
import { type Check, checkPartnerToken, type TokenReport, type VerifyOptions } from '../tokens/verify-partner-token.js'
import { type DroppedClaim, jitProfileFromClaims } from './jit-profile.js'
import { type FullProfile, profileAfter, profileChange } from './profile-update.js'

/** What the token would provision or update: the profile the user would have after it. */
export interface TokenUserPreview {
  externalUserId: string
  exists: boolean
  profile: FullProfile
  droppedClaims: DroppedClaim[]
}

export interface TokenCheckReport extends TokenReport {
  /** Null until the token has passed the user id claim check. */
  user: TokenUserPreview | null
}

/** The token core's check of the user id claim (and exp, iat): passed, the user id is a valid string. */
const USER_ID_CHECK = 'required_claims'

const NO_PROFILE: FullProfile = { email: null, displayName: null, phone: null, countryCode: null, locale: null }

/**
 * Rows 1–15 through the token core, then row 16 against the user as stored now, then the preview. Reads
 * only: token checks never provision, never update, and do not count as a key's last verification.
 */
export async function checkTokenAndUser(token: string, partnerId: string, options: VerifyOptions & { users: UserStore }): Promise<TokenCheckReport> {
  const report = await checkPartnerToken(token, partnerId, options)
  const partner = options.directory.byId(partnerId)?.record
  // The user id is known once its check passed (the run stops at an earlier failure, so the check is absent).
  const passedUserId = report.checks.some((c) => c.name === USER_ID_CHECK && c.ok)
  if (!partner || !passedUserId || !report.claims) return { ...report, user: null }
  const claims = report.claims
  const claim = userIdClaim(partner)
  const externalUserId = claims[claim] as string
  const times = { iat: typeof claims.iat === 'number' ? claims.iat : null, exp: claims.exp as number }
  const checks: Check[] = [...report.checks, { name: 'user_id', ok: true, detail: `user id ${JSON.stringify(externalUserId)} from claim ${claim}` }]
  const stored = await options.users.get(partner.id, externalUserId)
  const { profile, dropped } = jitProfileFromClaims(claims, partner.claimMapping)
  const preview = (after: FullProfile): TokenUserPreview => ({ externalUserId, exists: stored !== null, profile: after, droppedClaims: dropped })
  if (!stored) {
    checks.push({ name: 'revocation', ok: true, detail: 'no such user yet: the token would provision one' })
    return { ...report, checks, user: preview(profileAfter(NO_PROFILE, profile)) }
  }
  const failure = revocationFailure(times, stored, partner)
  if (failure !== null) {
    checks.push({ name: 'revocation', ok: false, detail: failure })
    // The first failure stays the answer; a token failing only here is refused token_revoked.
    const answer = report.valid ? { valid: false, code: 'token_revoked' as const, detail: failure } : {}
    return { ...report, ...answer, checks, user: preview(profileOf(stored)) }
  }
  checks.push({ name: 'revocation', ok: true, detail: stored.tokensValidAfter === null ? 'sessions never revoked' : `issued after the revocation at ${stored.tokensValidAfter}` })
  return { ...report, checks, user: preview(profileAfter(profileOf(stored), profileChange(stored, profile, partner.profileUpdate))) }
}

function profileOf(user: UserRecord): FullProfile {
  return profileAfter(user, null)
}
