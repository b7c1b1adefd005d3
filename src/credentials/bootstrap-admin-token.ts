// First start without ADMIN_TOKEN: create one admin token so the operator is never locked out.
import type { Store } from '../storage/types.js'
import { generateSecret } from './secrets.js'

/** Returns the new secret when one was created (the caller prints it once), else null. */
export async function bootstrapAdminToken(store: Store, configured: string | undefined): Promise<string | null> {
  if (configured !== undefined) return null
  if ((await store.adminTokens.countActive()) > 0) return null
  const secret = generateSecret('gh_admin')
  await store.adminTokens.create({ id: secret.id, prefix: secret.prefix, hash: secret.hash, label: 'bootstrap' }, 'bootstrap')
  return secret.secret
}
