// Partner record rules beyond field shapes: URL policy, PEM checks, exactly one key source, the required-claims limit.
import { AppError, type FieldError } from '../errors.js'
import type { PartnerFields } from '../storage/types.js'
import { importRsaPublicKeyPem } from '../tokens/import-rsa-public-key-pem.js'
import { checkJwksUrl } from '../tokens/network-policy.js'
import { MAX_REQUIRED_CLAIMS } from './partner-fields.js'

/** Where a partner's keys come from, in the order errors name them. */
const KEY_SOURCES = ['jwksUrl', 'openidConfigurationUrl', 'jwtPublicKey'] as const

/** Exactly one key source: none is named at the first source; more than one, at each one after the first set. */
function keySourceErrors(fields: PartnerFields): FieldError[] {
  const set = KEY_SOURCES.filter((k) => fields[k] !== null)
  if (set.length === 0) return [{ path: '/jwksUrl', message: `one of ${KEY_SOURCES.join(', ')} is required` }]
  return set.slice(1).map((k) => ({ path: `/${k}`, message: `set only one of ${KEY_SOURCES.join(', ')} (${set[0]} is set)` }))
}

/** Throws `invalid_request` listing every rule the merged record breaks. */
export function assertPartnerRules(fields: PartnerFields, allowPrivateNetwork: boolean): void {
  const errors = keySourceErrors(fields)
  // A discovery document is fetched like a JWKS, so it obeys the same network policy.
  for (const k of ['jwksUrl', 'openidConfigurationUrl'] as const) {
    const url = fields[k]
    const reason = url === null ? null : checkJwksUrl(url, allowPrivateNetwork)
    if (reason) errors.push({ path: `/${k}`, message: reason })
  }
  if (fields.jwtPublicKey !== null) {
    const imported = importRsaPublicKeyPem(fields.jwtPublicKey)
    if (!imported.ok) errors.push({ path: '/jwtPublicKey', message: `key ${imported.reason}` })
  }
  const requiredCount = Object.keys(fields.requiredClaims ?? {}).length
  if (requiredCount > MAX_REQUIRED_CLAIMS) {
    errors.push({ path: '/requiredClaims', message: `at most ${MAX_REQUIRED_CLAIMS} claims (${requiredCount} given)` })
  }
  if (errors.length) {
    throw new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
  }
}
