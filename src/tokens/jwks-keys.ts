// Parses a JWKS `keys` array into keys with a verdict: usable for RS256, or skipped with the reason.
import { createPublicKey, type KeyObject } from 'node:crypto'
import { rsaKeyFlaw } from './rsa-key-limits.js'

/** Keys past this many in one JWKS are not considered: parsing thousands would block the event loop on every refresh. */
export const MAX_JWKS_KEYS = 100

export interface JwksKey {
  kid: string | null
  alg: string | null
  bits: number | null
  usable: boolean
  /** Under 2048 bits and otherwise fine: kept so a token naming it can be told `weak_key`. */
  weak: boolean
  reason: string | null
  key: KeyObject | null
}

/** A JWK member as it may appear in a reason: short, and never a whole hostile string. */
function show(value: unknown): string {
  if (value === undefined) return 'missing'
  if (typeof value === 'string') return value.length > 40 ? `${value.slice(0, 40)}…` : value
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

function skip(kid: string | null, alg: string | null, reason: string): JwksKey {
  return { kid, alg, bits: null, usable: false, weak: false, reason, key: null }
}

function parseKey(raw: unknown): JwksKey {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return skip(null, null, 'is not a JSON object')
  const jwk = raw as Record<string, unknown>
  const kid = str(jwk.kid)
  const alg = str(jwk.alg)
  // An absent kid is allowed (the no-kid rule can still pick the key); a present one is never coerced.
  if (jwk.kid !== undefined && kid === null) return skip(null, alg, 'kid is not a string')
  if (jwk.kty !== 'RSA') return skip(kid, alg, `kty is ${show(jwk.kty)}, expected RSA`)
  if (jwk.use !== undefined && jwk.use !== 'sig') return skip(kid, alg, `use is ${show(jwk.use)}, expected sig`)
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') return skip(kid, alg, `alg is ${show(jwk.alg)}, expected RS256`)
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return skip(kid, alg, 'key_ops lacks verify')
  }
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') return skip(kid, alg, 'n/e missing or not strings')
  // Node decodes base64url leniently (skipping stray characters), so the shape is checked first; an
  // RSA modulus is a product of odd primes, so an even one is garbage rather than a weak key.
  if (!BASE64URL.test(jwk.n) || !BASE64URL.test(jwk.e)) return skip(kid, alg, 'n/e do not form a valid RSA key (not base64url)')
  const modulus = Buffer.from(jwk.n, 'base64url')
  if (modulus.length === 0 || (modulus[modulus.length - 1]! & 1) === 0) {
    return skip(kid, alg, 'n/e do not form a valid RSA key (n is not an odd modulus)')
  }
  // Size and exponent are judged from the bytes, before importing: an oversized key costs nothing but this.
  const bits = bitLength(modulus)
  const exponentBytes = Buffer.from(jwk.e, 'base64url')
  const exponent = exponentBytes.length > 8 ? 2n ** 64n : BigInt(`0x0${exponentBytes.toString('hex')}`)
  const flaw = rsaKeyFlaw(bits, exponent)
  if (flaw && !flaw.weak) return { ...skip(kid, alg, flaw.reason), bits }
  let key: KeyObject
  try {
    // Only the public members: a JWK that also carries private parts is never imported as a private key.
    key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })
  } catch {
    return skip(kid, alg, 'n/e do not form a valid RSA key')
  }
  if (flaw) return { kid, alg, bits, usable: false, weak: true, reason: flaw.reason, key }
  return { kid, alg, bits, usable: true, weak: false, reason: null, key }
}

/** Bits of a big-endian unsigned integer, leading zero bytes aside. */
function bitLength(bytes: Buffer): number {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0) i++
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!))
}

/** The first MAX_JWKS_KEYS keys, each with its verdict; never throws: a hostile JWKS can only produce skipped keys. */
export function parseJwksKeys(keys: unknown[]): JwksKey[] {
  if (!Array.isArray(keys)) return []
  return keys.slice(0, MAX_JWKS_KEYS).map(parseKey)
}
