// One fetched JWKS as the verifier reads it: the keys a token's kid (or its lack of one) selects, why a lookup finds nothing usable, and each key's last use.
import type { KeyObject } from 'node:crypto'
import { type JwksKey, MAX_JWKS_KEYS, parseJwksKeys } from './jwks-keys.js'
import { MIN_RSA_BITS } from './rsa-key-limits.js'

/** A token without kid is tried against the usable keys when there are at most this many (a rotation publishes two). */
export const MAX_KEYS_WITHOUT_KID = 3

/** When this instance last accepted a /me token signed by a key: written on the hot path, so a plain field. */
export interface KeyUsage {
  /** Epoch ms; null until the first acceptance. */
  lastVerifiedAt: number | null
}

/** A key a token may have been signed with. */
export interface CandidateKey {
  readonly key: KeyObject
  readonly usage: KeyUsage
  /** How reports name the key: its kid, or its place in the JWKS when it has none. */
  readonly label: string
}

/** One key as the key views list it; `lastVerifiedAt` is ISO-8601 UTC. */
export interface KeyView {
  kid: string | null
  alg: string | null
  bits: number | null
  usable: boolean
  reason: string | null
  lastVerifiedAt: string | null
}

/** The keys a token's kid selects (one for a kid, 1–3 without), or the refusal; the detail is safe to show the token's holder. */
export type KeyLookup = { ok: true; candidates: readonly CandidateKey[] } | KeyLookupFailure
export interface KeyLookupFailure {
  ok: false
  code: 'unknown_key' | 'weak_key'
  detail: string
}

export interface JwksKeySet {
  /** Keys the JWKS published past the first MAX_JWKS_KEYS: not considered, not listed. */
  readonly ignoredKeys: number
  /** Whether some key answers `kid` (usable or not); without a kid, whether 1–3 keys are usable. */
  has(kid: string | undefined): boolean
  /** `kid` undefined when the token has none. */
  lookup(kid: string | undefined): KeyLookup
  /** The usable keys `kid` selects (none when it selects nothing usable). */
  candidates(kid: string | undefined): readonly CandidateKey[]
  /** The usage record of the usable key equal to `key` under `kid` (null: published without kid), so it survives a refetch. */
  usageOf(kid: string | null, key: KeyObject): KeyUsage | undefined
  list(): KeyView[]
}

/** Kids listed in an unknown_key detail. */
const DETAIL_KIDS = 10

const NONE: readonly CandidateKey[] = Object.freeze([])

const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s)
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

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

/**
 * The set a JWKS document's `keys` array publishes; never throws: a hostile JWKS can only produce skipped
 * keys. A usable key that `previous` also held (same kid, same material) keeps its usage record.
 */
export function createJwksKeySet(published: unknown[], previous?: JwksKeySet): JwksKeySet {
  const keys = parseJwksKeys(published)
  const byKid = indexByKid(keys)
  // Built once per fetch, so a lookup on the hot path allocates nothing.
  const candidateOf = new Map<JwksKey, CandidateKey>()
  keys.forEach((k, i) => {
    if (!k.usable || !k.key) return
    const usage = previous?.usageOf(k.kid, k.key) ?? { lastVerifiedAt: null }
    candidateOf.set(k, Object.freeze({ key: k.key, usage, label: k.kid === null ? `the JWKS's key #${i + 1} (no kid)` : `kid ${clip(k.kid)}` }))
  })
  const usable = [...candidateOf.values()]
  const withoutKid: readonly CandidateKey[] = usable.length <= MAX_KEYS_WITHOUT_KID ? Object.freeze(usable) : NONE
  const forKid = new Map<string, readonly CandidateKey[]>()
  for (const [kid, k] of byKid) {
    const candidate = candidateOf.get(k)
    if (candidate) forKid.set(kid, Object.freeze([candidate]))
  }

  function candidates(kid: string | undefined): readonly CandidateKey[] {
    return kid === undefined ? withoutKid : (forKid.get(kid) ?? NONE)
  }

  function describeMiss(kid: string | undefined): string {
    if (kid === undefined) {
      const found = usable.length === 0 ? 'no usable key' : `${usable.length} usable keys (at most ${MAX_KEYS_WITHOUT_KID} are tried without one)`
      return `token has no kid and the JWKS has ${found}; put the signing key's kid in the token header`
    }
    const kids = keys.map((k) => (k.kid === null ? '(no kid)' : clip(k.kid)))
    const listed = kids.length === 0 ? 'no keys' : kids.slice(0, DETAIL_KIDS).join(', ')
    const more = kids.length > DETAIL_KIDS ? ` and ${kids.length - DETAIL_KIDS} more` : ''
    return `kid ${clip(kid)} not in JWKS (has ${listed}${more})`
  }

  return {
    ignoredKeys: Math.max(0, published.length - MAX_JWKS_KEYS),
    has: (kid) => (kid === undefined ? withoutKid.length > 0 : byKid.has(kid)),
    candidates,
    lookup(kid) {
      const found = candidates(kid)
      if (found.length > 0) return { ok: true, candidates: found }
      const entry = kid === undefined ? undefined : byKid.get(kid)
      if (!entry) return { ok: false, code: 'unknown_key', detail: describeMiss(kid) }
      const name = clip(kid as string)
      if (entry.weak) return { ok: false, code: 'weak_key', detail: `kid ${name} names a ${entry.bits}-bit key (minimum ${MIN_RSA_BITS})` }
      return { ok: false, code: 'unknown_key', detail: `kid ${name} names an unusable key: ${entry.reason}` }
    },
    usageOf(kid, key) {
      for (const [k, candidate] of candidateOf) if (k.kid === kid && k.key!.equals(key)) return candidate.usage
      return undefined
    },
    list: () =>
      keys.map((k) => {
        const { kid, alg, bits, usable, reason } = k
        return { kid, alg, bits, usable, reason, lastVerifiedAt: iso(candidateOf.get(k)?.usage.lastVerifiedAt ?? null) }
      }),
  }
}
