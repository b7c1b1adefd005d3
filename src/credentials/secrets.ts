// Bearer secrets (partner API keys, admin tokens): generated with 256 bits of entropy, stored as SHA-256 only.
import { hash, randomBytes, randomUUID } from 'node:crypto'

export interface NewSecret {
  id: string
  /** The whole secret: shown once, never stored. */
  secret: string
  /** Recognisable leading characters, safe to display and log. */
  prefix: string
  hash: string
}

// A fast hash is right here: the secrets are random 256-bit values, so there is nothing to brute-force,
// and a slow KDF would cost every request.
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex')
}

export function generateSecret(kind: 'gh_pk' | 'gh_admin'): NewSecret {
  const body = randomBytes(32).toString('base64url')
  const secret = `${kind}_${body}`
  return { id: randomUUID(), secret, prefix: secret.slice(0, kind.length + 7), hash: hashSecret(secret) }
}
