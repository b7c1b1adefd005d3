// Session revocation, the last row of token verification: it needs the stored user, so it runs after the verifier and before provisioning.
import type { PartnerRecord, UserRecord } from '../storage/types.js'

/** An instant in epoch seconds as ISO-8601, or the number itself when no date can hold it. */
function instant(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? `${seconds} (epoch seconds)` : date.toISOString()
}

/**
 * Why the token is refused `token_revoked`, or null. A user with `tokensValidAfter` accepts only tokens
 * issued at or after it; a token without `iat` counts as issued at `exp − L`, L the larger of the partner's
 * maximum lifetime now and when the sessions were revoked — the earliest it can have been issued under
 * either rule, so lowering the maximum after a revocation cannot bring an old token back.
 */
export function revocationFailure(
  token: { iat: number | null; exp: number },
  user: Pick<UserRecord, 'tokensValidAfter' | 'revocationLifetimeSeconds'>,
  partner: Pick<PartnerRecord, 'maxTokenLifetimeSeconds'>,
): string | null {
  if (user.tokensValidAfter === null) return null
  const revokedAt = Date.parse(user.tokensValidAfter) / 1000
  if (token.iat !== null) {
    return token.iat >= revokedAt ? null : `token issued ${instant(token.iat)}, sessions revoked at ${user.tokensValidAfter}`
  }
  const lifetime = Math.max(partner.maxTokenLifetimeSeconds, user.revocationLifetimeSeconds ?? 0)
  const issuedAt = token.exp - lifetime
  if (issuedAt >= revokedAt) return null
  return `token issued ${instant(issuedAt)} (it has no iat: counted as exp − ${lifetime} s), sessions revoked at ${user.tokensValidAfter}`
}
