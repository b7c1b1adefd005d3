// Partner record rules beyond field shapes: URL policy, PEM checks, exactly one key source.
import { AppError, type FieldError } from '../errors.js'
import type { PartnerFields } from '../storage/types.js'
import { importRsaPublicKeyPem } from '../tokens/import-rsa-public-key-pem.js'
import { checkJwksUrl } from '../tokens/network-policy.js'

/** Throws `invalid_request` listing every rule the merged record breaks. */
export function assertPartnerRules(fields: PartnerFields, allowPrivateNetwork: boolean): void {
  const errors: FieldError[] = []
  const hasUrl = fields.jwksUrl !== null
  const hasPem = fields.jwtPublicKey !== null
  if (hasUrl === hasPem) {
    const message = hasUrl ? 'set either jwksUrl or jwtPublicKey, not both' : 'one of jwksUrl or jwtPublicKey is required'
    errors.push({ path: hasUrl ? '/jwtPublicKey' : '/jwksUrl', message })
  }
  if (fields.jwksUrl !== null) {
    const reason = checkJwksUrl(fields.jwksUrl, allowPrivateNetwork)
    if (reason) errors.push({ path: '/jwksUrl', message: reason })
  }
  if (fields.jwtPublicKey !== null) {
    const imported = importRsaPublicKeyPem(fields.jwtPublicKey)
    if (!imported.ok) errors.push({ path: '/jwtPublicKey', message: `key ${imported.reason}` })
  }
  if (errors.length) {
    throw new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
  }
}
