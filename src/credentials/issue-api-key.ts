// Issues a partner API key, for the admin API and the CLI alike: only its hash is stored, the secret is returned once.
import type { Actor, Store } from '../storage/types.js'
import { generateSecret } from './secrets.js'

export interface IssuedApiKey {
  id: string
  /** The whole secret: the caller shows it once; it cannot be read back. */
  key: string
  prefix: string
  createdAt: string
}

/** Throws `not_found` when the partner does not exist: the store refuses a key for a missing partner in the same write. */
export async function issueApiKey(store: Pick<Store, 'apiKeys'>, partnerId: string, actor: Actor): Promise<IssuedApiKey> {
  const secret = generateSecret('gh_pk')
  const record = await store.apiKeys.create({ id: secret.id, partnerId, prefix: secret.prefix, hash: secret.hash }, actor)
  return { id: record.id, key: secret.secret, prefix: record.prefix, createdAt: record.createdAt }
}
