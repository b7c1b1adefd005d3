// Issues an admin token, for the CLI and the first-start bootstrap alike: only its hash is stored, the secret is returned once.
import { AppError } from '../errors.js'
import type { Actor, Store } from '../storage/types.js'
import { generateSecret } from './secrets.js'

export interface IssuedAdminToken {
  id: string
  /** The whole secret: the caller shows it once; it cannot be read back. */
  token: string
  prefix: string
  label: string | null
  createdAt: string
}

/** Throws `invalid_request` when the label is not 1–200 characters. */
export async function issueAdminToken(store: Pick<Store, 'adminTokens'>, label: string | null, actor: Actor): Promise<IssuedAdminToken> {
  if (label !== null && (label.length < 1 || label.length > 200)) {
    throw new AppError('invalid_request', 'label: must be 1–200 characters', { errors: [{ path: 'label', message: 'must be 1–200 characters' }] })
  }
  const secret = generateSecret('gh_admin')
  const record = await store.adminTokens.create({ id: secret.id, prefix: secret.prefix, hash: secret.hash, label }, actor)
  return { id: record.id, token: secret.secret, prefix: record.prefix, label: record.label, createdAt: record.createdAt }
}
