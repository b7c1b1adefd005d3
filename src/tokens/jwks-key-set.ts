// One fetched JWKS as the verifier reads it: the key for a kid, the no-kid rule, and why a lookup finds nothing usable.
import type { KeyObject } from 'node:crypto'
import { type JwksKey, MAX_JWKS_KEYS, parseJwksKeys } from './jwks-keys.js'
import { MIN_RSA_BITS } from './rsa-key-limits.js'

/** One key as the admin key view lists it. */
export interface JwksKeyView {
  kid: string | null
  alg: string | null
  bits: number | null
  usable: boolean
  reason: string | null
}

/** The key a token's kid selects, or the refusal; the detail is safe to show the token's holder. */
export type KeyLookup = { ok: true; key: KeyObject; kid: string | null } | KeyLookupFailure
export interface KeyLookupFailure {
  ok: false
  code: 'unknown_key' | 'weak_key'
  detail: string
}

export interface JwksKeySet {
  /** Keys the JWKS published past the first MAX_JWKS_KEYS: not considered, not listed. */
  readonly ignoredKeys: number
  /** Whether some key answers `kid` (usable or not); without a kid, whether exactly one key is usable. */
  has(kid: string | undefined): boolean
  /** `kid` undefined when the token has none. On success `kid` is the token's kid, null when it had none. */
  lookup(kid: string | undefined): KeyLookup
  /** The usable key answering `kid`, or null. */
  usableKey(kid: string | undefined): KeyObject | null
  list(): JwksKeyView[]
}

/** Kids listed in an unknown_key detail. */
const DETAIL_KIDS = 10

const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s)

/** Rank of a key for its kid: a usable key wins over a weak one, which wins over any other. */
const rank = (k: JwksKey) => (k.usable ? 2 : k.weak ? 1 : 0)

function indexByKid(keys: JwksKey[]): Map<string, JwksKey> {
  const byKid = new Map<string, JwksKey>()
  for (const k of keys) {
    if (k.kid === null) continue
    const seen = byKid.get(k.kid)
    // One kid may be published twice (e.g. a "sig" and an "enc" key): the usable one answers.
    if (!seen || rank(k) > rank(seen)) byKid.set(k.kid, k)
  }
  return byKid
}

/** The set a JWKS document's `keys` array publishes; never throws: a hostile JWKS can only produce skipped keys. */
export function createJwksKeySet(published: unknown[]): JwksKeySet {
  const keys = parseJwksKeys(published)
  const byKid = indexByKid(keys)
  const usable = keys.filter((k) => k.usable)

  function find(kid: string | undefined): JwksKey | undefined {
    if (kid === undefined) return usable.length === 1 ? usable[0] : undefined
    return byKid.get(kid)
  }

  function describeMiss(kid: string | undefined): string {
    if (kid === undefined) return `token has no kid and the JWKS has ${usable.length} usable keys (exactly one is needed)`
    const kids = keys.map((k) => (k.kid === null ? '(no kid)' : clip(k.kid)))
    const listed = kids.length === 0 ? 'no keys' : kids.slice(0, DETAIL_KIDS).join(', ')
    const more = kids.length > DETAIL_KIDS ? ` and ${kids.length - DETAIL_KIDS} more` : ''
    return `kid ${clip(kid)} not in JWKS (has ${listed}${more})`
  }

  return {
    ignoredKeys: Math.max(0, published.length - MAX_JWKS_KEYS),
    has: (kid) => find(kid) !== undefined,
    lookup(kid) {
      const entry = find(kid)
      if (!entry) return { ok: false, code: 'unknown_key', detail: describeMiss(kid) }
      const name = clip(kid ?? '(none)')
      if (entry.weak) return { ok: false, code: 'weak_key', detail: `kid ${name} names a ${entry.bits}-bit key (minimum ${MIN_RSA_BITS})` }
      if (!entry.usable || !entry.key) return { ok: false, code: 'unknown_key', detail: `kid ${name} names an unusable key: ${entry.reason}` }
      return { ok: true, key: entry.key, kid: kid ?? null }
    },
    usableKey(kid) {
      const entry = find(kid)
      return entry?.usable && entry.key ? entry.key : null
    },
    list: () => keys.map(({ kid, alg, bits, usable, reason }) => ({ kid, alg, bits, usable, reason })),
  }
}
