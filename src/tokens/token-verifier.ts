// The /me verifier: the ordered checks behind a bounded cache of recent results (a webview reuses one token).
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { type VerifiedToken, type VerifyOptions, verifyPartnerToken } from './verify-partner-token.js'

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>
}

interface CachedResult {
  verified: VerifiedToken
  /** Epoch ms after which the token no longer passes the expiry check. */
  expiresAt: number
}

export interface TokenVerifierOptions extends VerifyOptions {
  /** Memory budget of the result cache in bytes; 0 verifies every request in full. */
  cacheMaxBytes: number
  onCacheLookup?: (hit: boolean) => void
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (options.cacheMaxBytes === 0) return { verify: (token) => verifyPartnerToken(token, options) }
  const cache = new LRUCache<string, CachedResult>({ max: 10_000 })
  // Keyed by digest so the cache holds no bearer tokens and a bounded amount of memory.
  const digest = (token: string) => hash('sha256', token, 'base64url')

  /** A result stands only while its partner entry (one per record version) and its key are still current. */
  function stillValid(hit: CachedResult): boolean {
    const { partner, kid, key } = hit.verified
    if (options.directory.byId(partner.record.id) !== partner) return false
    if (partner.keys.kind === 'jwks' && !partner.keys.source.isCurrent(kid, key)) return false
    return hit.expiresAt > options.now()
  }

  return {
    async verify(token) {
      const id = digest(token)
      const hit = cache.get(id)
      if (hit) {
        if (stillValid(hit)) {
          options.onCacheLookup?.(true)
          return hit.verified
        }
        cache.delete(id)
      }
      options.onCacheLookup?.(false)
      const verified = await verifyPartnerToken(token, options)
      cache.set(id, { verified, expiresAt: (verified.exp + options.skewSeconds) * 1000 })
      return verified
    },
  }
}
