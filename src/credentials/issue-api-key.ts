// Issues a partner API key, for the admin API and the CLI alike: only its hash is stored, the secret is returned once.
import { AppError } from '../errors.js'
import type { Actor, Store } from '../storage/types.js'
import { generateSecret } from './secrets.js'

export interface IssuedApiKey {
  id: string
  /** The whole secret: the caller shows it once; it cannot be read back. */
  key: string
  prefix: string
  createdAt: string
}

/** Throws `not_found` when the partner does not exist. */
export async function issueApiKey(store: Pick<Store, 'partners' | 'apiKeys'>, partnerId: string, actor: Actor): Promise<IssuedApiKey> {
  if (!(await store.partners.get(partnerId))) throw new AppError('not_found', `no partner ${partnerId}`)
  const secret = generateSecret('gh_pk')
  const record = await store.apiKeys.create({ id: secret.id, partnerId, prefix: secret.prefix, hash: secret.hash }, actor)
  return { id: record.id, key: secret.secret, prefix: record.prefix, createdAt: record.createdAt }
}
