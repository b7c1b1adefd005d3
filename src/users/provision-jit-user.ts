// Just-in-time provisioning: the user of a verified token, created from its claims if new.
import type { UserRecord, UserStore } from '../storage/types.js'
import { jitProfileFromClaims } from './jit-profile.js'

export type JitOutcome =
  | {
      ok: true
      user: UserRecord
      created: boolean
      /** Malformed optional claims left out of a new user (only computed when one is created). */
      dropped: string[]
    }
  /** The partner was deleted after the token was verified against the record this instance still held. */
  | { ok: false; reason: 'partner_not_found' }

export async function provisionJitUser(users: UserStore, partnerId: string, sub: string, claims: Record<string, unknown>): Promise<JitOutcome> {
  // Hot path: a returning user costs one indexed read and no claim parsing.
  const existing = await users.get(partnerId, sub)
  if (existing) return { ok: true, user: existing, created: false, dropped: [] }
  const { profile, dropped } = jitProfileFromClaims(claims)
  const outcome = await users.provision(partnerId, sub, profile)
  if (!outcome.ok) return outcome
  return { ...outcome, dropped: outcome.created ? dropped : [] }
}
