// The /me verifier: the ordered checks behind a byte-bounded cache of recent results (a webview reuses one token), and the lastVerifiedAt stamp of an accepted token's key.
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { type VerifiedToken, type VerifyOptions, verifyPartnerToken } from './verify-partner-token.js'

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>
  /**
   * The cached result for `token` if it still stands, found without a promise (the /me hot path); undefined
   * when `verify` must run (a miss, counted as one when `verify` then runs).
   */
  cached(token: string): VerifiedToken | undefined
  /**
   * Stamps the key that verified `token` with now as its lastVerifiedAt. Called by the /me guard once the
   * token is accepted, i.e. after revocation (row 16), which needs the user and so runs outside the verifier.
   */
  recordAcceptance(token: VerifiedToken): void
  /** The result cache's occupancy, as it counts it (zeros when the cache is off). */
  cacheStats(): VerifierCacheStats
}

export interface VerifierCacheStats {
  entries: number
  bytes: number
  maxBytes: number
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

/**
 * Heap an entry takes besides its strings: the cache's slot and key-map entry, the two entry objects, the
 * claims object and the boxed exp/iat. Measured at about 300 bytes on Node 20 (heap growth per entry after
 * GC over 100,000 entries, strings subtracted); rounded up, as strings are, so the budget is an upper bound.
 */
const ENTRY_OVERHEAD_BYTES = 400

/** A string's heap size, assuming two bytes a character (the worst case) plus V8's header. */
const stringBytes = (s: string) => 16 + 2 * s.length

/** What an entry holds: the partner entry and key are shared with the directory and not counted. */
function entryBytes(id: string, { verified }: CachedResult): number {
  let bytes = ENTRY_OVERHEAD_BYTES + stringBytes(id) + stringBytes(verified.sub)
  if (verified.kid !== null) bytes += stringBytes(verified.kid)
  // Claim names are the standard profile claims or the partner record's mapped names, shared; only the values belong to the entry.
  for (const value of Object.values(verified.claims)) bytes += typeof value === 'string' ? stringBytes(value) : 16
  return bytes
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  /** A /me acceptance, cached or not: one field write, so the hot path allocates nothing for it. */
  const recordAcceptance = (verified: VerifiedToken): void => {
    verified.keyUsage.lastVerifiedAt = options.now()
  }
  if (options.cacheMaxBytes === 0) {
    return {
      verify: (token) => verifyPartnerToken(token, options),
      cached: () => undefined,
      recordAcceptance,
      cacheStats: () => ({ entries: 0, bytes: 0, maxBytes: 0 }),
    }
  }
  const cache = new LRUCache<string, CachedResult>({ maxSize: options.cacheMaxBytes, sizeCalculation: (value, key) => entryBytes(key, value) })
  // Keyed by digest so the cache holds no bearer tokens, and a key costs the same whatever the token's size.
  const digest = (token: string) => hash('sha256', token, 'base64url')

  /** A result stands only while its partner entry (one per record version) and its key are still current. */
  function stillValid(hit: CachedResult): boolean {
    const { partner, kid, key } = hit.verified
    if (options.directory.byId(partner.record.id) !== partner) return false
    if (partner.keys.kind === 'jwks' && !partner.keys.source.isCurrent(kid, key)) return false
    return hit.expiresAt > options.now()
  }

  /** The standing result under digest `id`; a stale one is dropped. */
  function standing(id: string): VerifiedToken | undefined {
    const hit = cache.get(id)
    if (!hit) return undefined
    if (stillValid(hit)) return hit.verified
    cache.delete(id)
    return undefined
  }

  /**
   * The token `cached` just missed, with its digest: the /me guard calls `verify` for it in the same tick, which
   * then neither hashes the token again nor repeats the lookup. One slot, replaced by the next miss and emptied
   * by `verify`, so the cache itself still holds no bearer token.
   */
  let missedToken: string | null = null
  let missedId = ''

  return {
    async verify(token) {
      const justMissed = token === missedToken
      missedToken = null
      const id = justMissed ? missedId : digest(token)
      const hit = justMissed ? undefined : standing(id)
      options.onCacheLookup?.(hit !== undefined)
      if (hit) return hit
      const verified = await verifyPartnerToken(token, options)
      cache.set(id, { verified, expiresAt: (verified.exp + options.skewSeconds) * 1000 })
      return verified
    },
    cached(token) {
      const id = digest(token)
      const hit = standing(id)
      if (hit) options.onCacheLookup?.(true)
      else {
        missedToken = token
        missedId = id
      }
      return hit
    },
    recordAcceptance,
    cacheStats: () => ({ entries: cache.size, bytes: cache.calculatedSize, maxBytes: options.cacheMaxBytes }),
  }
}
