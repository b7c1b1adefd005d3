// Session revocation: a user's tokens issued before now are refused from the next request on (the partner API, the admin API and the CLI).
import type { Actor, Store, UserRecord } from '../storage/types.js'

export type RevokeSessionsOutcome = { ok: true; user: UserRecord } | { ok: false; reason: 'partner_not_found' | 'user_not_found' }

/**
 * Sets the user's `tokensValidAfter` to now. The partner is read from the store, not from a caller's copy,
 * so the lifetime recorded beside the revocation is the partner's maximum as it stands now: a token
 * without `iat` counts as issued at `exp − L`, and L must cover every token the partner could have signed.
 */
export async function revokeSessions(store: Store, partnerId: string, externalUserId: string, actor: Actor): Promise<RevokeSessionsOutcome> {
  const partner = await store.partners.get(partnerId)
  if (!partner) return { ok: false, reason: 'partner_not_found' }
  const user = await store.users.revokeSessions(partnerId, externalUserId, { actor, maxTokenLifetimeSeconds: partner.maxTokenLifetimeSeconds })
  return user ? { ok: true, user } : { ok: false, reason: 'user_not_found' }
}
