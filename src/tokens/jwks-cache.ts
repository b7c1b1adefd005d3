// Per-partner JWKS cache: when to fetch and what to serve meanwhile (single flight, 30 s unknown-kid budget, freshness,
// background refresh, stale-if-error, backoff), the JWKS found directly or through a discovery document. What a fetched
// set answers for a kid is jwks-key-set.ts's.
import type { KeyObject } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { type JwksFetchFailure, JwksFetchError, fetchJwks as defaultFetchJwks } from './jwks-fetch.js'
import { type CandidateKey, createJwksKeySet, type JwksKeySet, type KeyLookup, type KeyView } from './jwks-key-set.js'
import { discoverJwks as defaultDiscoverJwks } from './openid-discovery.js'

/**
 * The verifier's view of one partner's JWKS (admin key view); times are ISO-8601 UTC. A discovery partner's
 * view is a JWKS view too: `openidConfigurationUrl` is its document, `jwksUrl` the `jwks_uri` last read from
 * it (null until a read succeeds).
 */
export interface JwksView {
  source: 'jwks'
  jwksUrl: string | null
  openidConfigurationUrl: string | null
  fetchedAt: string | null
  freshUntil: string | null
  lastError: string | null
  servingStale: boolean
  coolingDownUntil: string | null
  keys: KeyView[]
  /** Keys the JWKS published past the first MAX_JWKS_KEYS: not considered, not listed. */
  ignoredKeys: number
}

/** A key set's answer, or no answer at all because the JWKS cannot be fetched. */
export type KeyResolution = KeyLookup | { ok: false; code: 'jwks_unavailable'; detail: string; retryAfterSeconds: number }

/** Where a partner's keys are published: a JWKS URL, or a discovery document whose `jwks_uri` names the JWKS. */
export type KeyLocation = string | { openidConfigurationUrl: string; issuer: string }

export interface JwksKeySource {
  /** The key checks (a key is found, and is not weak) for a JWKS partner: the keys to try; `kid` undefined when the token has none. */
  resolve(kid: string | undefined): Promise<KeyResolution>
  /**
   * After a signature failed with every key in `tried`: one refetch (within the 30 s budget) and the keys the new set
   * offers for that kid that were not tried (a partner may replace the material behind an unchanged kid).
   */
  refetchAfterSignatureFailure(kid: string | undefined, tried: readonly CandidateKey[]): Promise<readonly CandidateKey[]>
  /** Refetch now regardless of the 30 s budget and the retry backoff (still single-flight); never throws. */
  refresh(): Promise<JwksView>
  view(): JwksView
  /** Whether `key` is still among the keys the cached JWKS offers for `kid` (null: a token without kid), so cached results can be dropped. */
  isCurrent(kid: string | null, key: KeyObject): boolean
}

export interface JwksCacheEvents {
  /** One per document fetched: the JWKS, and before it a discovery partner's discovery document. */
  onFetch?(e: { partnerId: string; document: 'jwks' | 'discovery'; outcome: 'ok' | JwksFetchFailure; durationMs: number }): void
  /** `hit`: answered from cached keys without waiting for a fetch. */
  onLookup?(e: { partnerId: string; hit: boolean }): void
}

export interface JwksCacheOptions {
  allowPrivateNetwork: boolean
  /** Epoch ms; every cache decision reads time from here. */
  now?: () => number
  fetchJwks?: typeof defaultFetchJwks
  discoverJwks?: typeof defaultDiscoverJwks
  maxPartners?: number
  logger?: { warn(obj: object, msg: string): void }
  events?: JwksCacheEvents
}

export interface JwksCache {
  /** The same (partner, location) gets the same source and cached state; a new location for the partner starts cold. */
  forPartner(partnerId: string, location: KeyLocation): JwksKeySource
  forget(partnerId: string): void
}

export const UNKNOWN_KID_REFETCH_MS = 30_000
export const DEFAULT_FRESH_MS = 10 * 60_000
export const MIN_FRESH_MS = 60_000
export const MAX_FRESH_MS = 24 * 3600_000
/** Stale-if-error: how long past freshness cached keys keep serving while refreshes fail. */
export const STALE_IF_ERROR_MS = 24 * 3600_000
const BACKOFF_BASE_MS = 5_000
const BACKOFF_MAX_MS = 60_000
/**
 * All a refused /me caller learns of a JWKS failure: the reason (addresses, status codes, parse errors)
 * would tell an unauthenticated stranger about the partner's network, so it stays in the key view and logs.
 */
const UNAVAILABLE_DETAIL = "the partner's signing keys cannot be fetched right now; retry later"

const NO_KEYS = createJwksKeySet([])

interface State {
  keySet: JwksKeySet
  /** The JWKS URL the keys came from (a discovery partner's last `jwks_uri`); null until known. */
  jwksUrl: string | null
  /** Epoch ms of the last successful fetch; null until one succeeds. */
  fetchedAt: number | null
  freshUntil: number
  /** When the last fetch (successful or not) started: the unknown-kid budget counts from here. */
  lastAttemptAt: number
  lastError: string | null
  failures: number
  backoffUntil: number
  inflight: Promise<void> | null
}

interface Entry {
  /** The location as one string, to tell a changed location from the same one. */
  where: string
  /** Orders sources of one partner: only the newest location may own (or re-create) the cached state. */
  generation: number
  state: State
  source: JwksKeySource
}

const iso = (ms: number) => new Date(ms).toISOString()

function emptyState(location: KeyLocation): State {
  return {
    keySet: NO_KEYS,
    jwksUrl: typeof location === 'string' ? location : null,
    fetchedAt: null,
    freshUntil: 0,
    lastAttemptAt: Number.NEGATIVE_INFINITY,
    lastError: null,
    failures: 0,
    backoffUntil: 0,
    inflight: null,
  }
}

export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const now = options.now ?? Date.now
  const fetchJwks = options.fetchJwks ?? defaultFetchJwks
  const discoverJwks = options.discoverJwks ?? defaultDiscoverJwks
  const fetchOptions = { allowPrivateNetwork: options.allowPrivateNetwork }
  // A size bound of one per partner rather than `max`, which lru-cache allocates up front (~3 MB for 100,000).
  const entries = new LRUCache<string, Entry>({ maxSize: options.maxPartners ?? 100_000, sizeCalculation: () => 1 })
  let generations = 0

  /** Observers must never turn a fetch into a rejected promise (background refreshes are not awaited). */
  function notify(fn: () => void): void {
    try {
      fn()
    } catch {
      // an observer's failure is not the cache's
    }
  }

  /** The document fetch of one location: the discovery document first when there is one, then the JWKS it names. */
  async function fetchKeys(partnerId: string, location: KeyLocation, s: State): Promise<{ keys: unknown[]; maxAgeSeconds: number | null }> {
    let jwksUrl: string
    if (typeof location === 'string') jwksUrl = location
    else {
      // Read on every fetch, so a moved jwks_uri is followed at the next refresh.
      jwksUrl = (await observed(partnerId, 'discovery', () => discoverJwks(location.openidConfigurationUrl, location.issuer, fetchOptions))).jwksUrl
      s.jwksUrl = jwksUrl
    }
    return observed(partnerId, 'jwks', () => fetchJwks(jwksUrl, fetchOptions))
  }

  /** Runs one document fetch and tells the observers how it went. */
  async function observed<T>(partnerId: string, document: 'jwks' | 'discovery', fetch: () => Promise<T>): Promise<T> {
    const t0 = performance.now()
    try {
      const result = await fetch()
      notify(() => options.events?.onFetch?.({ partnerId, document, outcome: 'ok', durationMs: performance.now() - t0 }))
      return result
    } catch (err) {
      const outcome: JwksFetchFailure = err instanceof JwksFetchError ? err.reason : 'network'
      notify(() => options.events?.onFetch?.({ partnerId, document, outcome, durationMs: performance.now() - t0 }))
      throw err
    }
  }

  async function doFetch(partnerId: string, location: KeyLocation, s: State): Promise<void> {
    s.lastAttemptAt = now()
    try {
      const doc = await fetchKeys(partnerId, location, s)
      // Keys the previous set also held keep their last-verified times.
      const keySet = createJwksKeySet(doc.keys, s.keySet)
      const maxAgeMs = doc.maxAgeSeconds === null ? DEFAULT_FRESH_MS : doc.maxAgeSeconds * 1000
      const t = now()
      // The set is replaced whole, so a kid the partner removed disappears.
      s.keySet = keySet
      s.fetchedAt = t
      s.freshUntil = t + Math.min(MAX_FRESH_MS, Math.max(MIN_FRESH_MS, maxAgeMs))
      s.lastError = null
      s.failures = 0
      s.backoffUntil = 0
    } catch (err) {
      const reason: JwksFetchFailure = err instanceof JwksFetchError ? err.reason : 'network'
      s.lastError = err instanceof Error ? err.message : String(err)
      s.failures++
      s.backoffUntil = now() + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(s.failures - 1, 16))
      const servingStale = s.fetchedAt !== null && now() <= s.freshUntil + STALE_IF_ERROR_MS
      const where = typeof location === 'string' ? { jwksUrl: location } : { openidConfigurationUrl: location.openidConfigurationUrl, jwksUrl: s.jwksUrl }
      notify(() => options.logger?.warn({ partnerId, ...where, reason, servingStale }, `JWKS fetch failed: ${s.lastError}`))
    }
  }

  /** Single flight: every caller during a fetch shares it. Never rejects. */
  function fetchShared(partnerId: string, location: KeyLocation, s: State): Promise<void> {
    s.inflight ??= doFetch(partnerId, location, s).finally(() => {
      s.inflight = null
    })
    return s.inflight
  }

  const withinStaleLimit = (s: State, t: number) => s.fetchedAt !== null && t <= s.freshUntil + STALE_IF_ERROR_MS
  const budgetAllowsRefetch = (s: State, t: number) => t - s.lastAttemptAt >= UNKNOWN_KID_REFETCH_MS && t >= s.backoffUntil

  function unavailable(s: State, t: number): KeyResolution {
    return {
      ok: false,
      code: 'jwks_unavailable',
      detail: UNAVAILABLE_DETAIL,
      retryAfterSeconds: Math.max(1, Math.ceil((s.backoffUntil - t) / 1000)),
    }
  }

  function makeSource(partnerId: string, location: KeyLocation, where: string, generation: number): JwksKeySource {
    let orphan: State | undefined

    /** The shared state for (partner, location); re-created cold after LRU eviction. */
    function state(): State {
      const entry = entries.get(partnerId)
      if (entry?.where === where) return entry.state
      if (!entry || entry.generation < generation) {
        const fresh = emptyState(location)
        entries.set(partnerId, { where, generation, state: fresh, source })
        return fresh
      }
      // A newer location owns the partner: this outdated source (an in-flight request's) must not reset it.
      orphan ??= emptyState(location)
      return orphan
    }

    const fetchNow = (s: State) => fetchShared(partnerId, location, s)

    /** Refresh in the background when the set is in its last 10 % of freshness or past it; the request never waits. */
    function maybeRefreshInBackground(s: State, t: number): void {
      const window = Math.max(1000, (s.freshUntil - (s.fetchedAt ?? 0)) / 10)
      if (t >= s.freshUntil - window && t >= s.backoffUntil && !s.inflight) void fetchNow(s)
    }

    function view(): JwksView {
      const s = state()
      const t = now()
      const coolingDown = Math.max(s.backoffUntil, s.lastAttemptAt + UNKNOWN_KID_REFETCH_MS)
      return {
        source: 'jwks',
        jwksUrl: s.jwksUrl,
        openidConfigurationUrl: typeof location === 'string' ? null : location.openidConfigurationUrl,
        fetchedAt: s.fetchedAt === null ? null : iso(s.fetchedAt),
        freshUntil: s.fetchedAt === null ? null : iso(s.freshUntil),
        lastError: s.lastError,
        servingStale: s.fetchedAt !== null && t > s.freshUntil && t <= s.freshUntil + STALE_IF_ERROR_MS,
        coolingDownUntil: coolingDown > t ? iso(coolingDown) : null,
        keys: s.keySet.list(),
        ignoredKeys: s.keySet.ignoredKeys,
      }
    }

    const source: JwksKeySource = {
      async resolve(kid) {
        const s = state()
        let t = now()
        let hit = true
        if (!withinStaleLimit(s, t)) {
          // Cold, or past the stale-if-error limit: this request has to wait for a fetch — unless
          // the last one failed moments ago, so a dead endpoint is not hammered.
          hit = false
          if (t < s.backoffUntil && !s.inflight) {
            notify(() => options.events?.onLookup?.({ partnerId, hit }))
            return unavailable(s, t)
          }
          await fetchNow(s)
          t = now()
          if (!withinStaleLimit(s, t)) {
            notify(() => options.events?.onLookup?.({ partnerId, hit }))
            return unavailable(s, t)
          }
        } else {
          maybeRefreshInBackground(s, t)
        }
        if (!s.keySet.has(kid) && budgetAllowsRefetch(s, t)) {
          hit = false
          await fetchNow(s)
        }
        notify(() => options.events?.onLookup?.({ partnerId, hit }))
        return s.keySet.lookup(kid)
      },

      async refetchAfterSignatureFailure(kid, tried) {
        const s = state()
        // Joining a fetch already under way costs nothing; starting one spends the 30 s budget.
        if (s.inflight) await s.inflight
        else if (budgetAllowsRefetch(s, now())) await fetchNow(s)
        else return []
        return s.keySet.candidates(kid).filter((c) => !tried.some((old) => old.key.equals(c.key)))
      },

      async refresh() {
        await fetchNow(state())
        return view()
      },

      view,

      isCurrent(kid, key) {
        const s = state()
        const t = now()
        if (!withinStaleLimit(s, t)) return false
        // Cached verification results skip resolve(), so they too must keep the set refreshed.
        maybeRefreshInBackground(s, t)
        for (const c of s.keySet.candidates(kid ?? undefined)) if (c.key === key || c.key.equals(key)) return true
        return false
      },
    }
    return source
  }

  /** A location as one comparable string: a discovery partner whose issuer changes must start cold, its document judged anew. */
  const whereOf = (location: KeyLocation) =>
    typeof location === 'string' ? `jwks ${location}` : `discovery ${JSON.stringify([location.openidConfigurationUrl, location.issuer])}`

  return {
    forPartner(partnerId, location) {
      const where = whereOf(location)
      const known = entries.get(partnerId)
      if (known && known.where === where) return known.source
      const generation = ++generations
      const source = makeSource(partnerId, location, where, generation)
      entries.set(partnerId, { where, generation, state: emptyState(location), source })
      return source
    },
    forget(partnerId) {
      entries.delete(partnerId)
    },
  }
}
