// Admin reads and small writes around a partner, shared by the admin API and the admin console so both answer
// with the same problem codes and details.
import { AppError } from '../errors.js'
import type { Actor, ApiKeyRecord, AuditEntry, PartnerRecord, Store, UserRecord } from '../storage/types.js'
import type { IssuerDirectory, KeyView } from '../tokens/issuer-directory.js'
import { revokeSessions } from '../users/revoke-sessions.js'

/** Audit entries per page when the caller names no limit. */
export const DEFAULT_AUDIT_LIMIT = 50

/** The partner, or `not_found`. */
export async function readPartner(store: Pick<Store, 'partners'>, id: string): Promise<PartnerRecord> {
  const partner = await store.partners.get(id)
  if (!partner) throw new AppError('not_found', `no partner ${id}`)
  return partner
}

const noKeyConfiguration = (id: string) => new AppError('not_found', `partner ${id} has no loadable key configuration`)

/** The verifier's view of the partner's keys, or `not_found`. */
export async function partnerKeyView(store: Pick<Store, 'partners'>, directory: IssuerDirectory, id: string): Promise<KeyView> {
  await readPartner(store, id)
  const view = directory.keyView(id)
  if (!view) throw noKeyConfiguration(id)
  return view
}

/** Refetches the partner's JWKS now and answers the new key view, or `not_found`. */
export async function refreshPartnerKeys(store: Pick<Store, 'partners'>, directory: IssuerDirectory, id: string): Promise<KeyView> {
  await readPartner(store, id)
  const view = await directory.refreshKeys(id)
  if (!view) throw noKeyConfiguration(id)
  return view
}

export async function listPartnerApiKeys(store: Pick<Store, 'partners' | 'apiKeys'>, id: string): Promise<ApiKeyRecord[]> {
  const partner = await readPartner(store, id)
  return store.apiKeys.list(partner.id)
}

/** Revokes a live key of the partner, or `not_found`. */
export async function revokePartnerApiKey(store: Pick<Store, 'apiKeys'>, partnerId: string, keyId: string, actor: Actor): Promise<void> {
  if (!(await store.apiKeys.revoke(partnerId, keyId, actor))) throw new AppError('not_found', 'no live API key with this id for this partner')
}

/** Revokes the user's sessions and answers the user, or `not_found` naming what is missing. */
export async function revokeUserSessions(store: Store, partnerId: string, externalUserId: string, actor: Actor): Promise<UserRecord> {
  const outcome = await revokeSessions(store, partnerId, externalUserId, actor)
  if (outcome.ok) return outcome.user
  throw new AppError('not_found', outcome.reason === 'partner_not_found' ? `no partner ${partnerId}` : 'no user with this externalUserId')
}

export function listAudit(store: Pick<Store, 'audit'>, query: { partnerId?: string; limit?: number; before?: number }): Promise<AuditEntry[]> {
  const { partnerId, limit = DEFAULT_AUDIT_LIMIT, before } = query
  return store.audit.list({ partnerId, limit, before })
}
