// Prometheus metrics of one app instance (prom-client, own registry): labels stay bounded.
import { Counter, type CounterConfiguration, collectDefaultMetrics, Histogram, type LabelValues, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  /** gatehouse_http_requests_total and gatehouse_token_verifications_total: counted on every request. */
  countRequest(method: string, route: string, status: number): void
  countVerification(code: string, partner: string): void
  /** gatehouse_verify_cache_lookups_total. */
  countVerifyCacheLookup(hit: boolean): void
  /** Counts one JWKS fetch of a partner the directory knows (callers never pass an unknown id: labels stay bounded). */
  countJwksFetch(partner: string, outcome: string, seconds: number): void
  /** Drops a deleted partner's JWKS fetch series. */
  forgetJwksPartner(partner: string): void
  keyCacheLookups: Counter<'result'>
  jitProvisions: Counter
  jitDroppedClaims: Counter<'claim'>
  profileUpdates: Counter
  /** The refusals feed's writes: written, sampled_out (not written, by design) or failed. */
  refusalRecords: Counter<'outcome'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' })
  const registers = [registry]
  const requestTally = talliedCounter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  })
  const verificationTally = talliedCounter({
    name: 'gatehouse_token_verifications_total',
    help: 'Token verifications on /me by result code (ok or a token refusal code) and partner id ("" before the issuer is known)',
    labelNames: ['code', 'partner'],
    registers,
  })
  const verifyCacheTally = talliedCounter({
    name: 'gatehouse_verify_cache_lookups_total',
    help: 'Verification-result cache lookups (hit, miss)',
    labelNames: ['result'],
    registers,
  })
  const verifyCacheHit = verifyCacheTally('hit', () => ({ result: 'hit' }))
  const verifyCacheMiss = verifyCacheTally('miss', () => ({ result: 'miss' }))
  const jwksFetches = new Counter({
    name: 'gatehouse_jwks_fetches_total',
    help: 'JWKS fetches by outcome (ok or the failure reason) and partner id',
    labelNames: ['outcome', 'partner'],
    registers,
  })
  const jwksFetchSeconds = new Histogram({
    name: 'gatehouse_jwks_fetch_duration_seconds',
    help: 'Duration of JWKS fetches by outcome and partner id',
    labelNames: ['outcome', 'partner'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })
  // prom-client removes a series only by its full label set, so remember each partner's outcomes.
  const jwksOutcomes = new Map<string, Set<string>>()
  return {
    registry,
    countRequest(method, route, status) {
      requestTally(`${method} ${route} ${status}`, () => ({ method, route, status })).n++
    },
    countVerification(code, partner) {
      verificationTally(`${code} ${partner}`, () => ({ code, partner })).n++
    },
    countVerifyCacheLookup(hit) {
      if (hit) verifyCacheHit.n++
      else verifyCacheMiss.n++
    },
    countJwksFetch(partner, outcome, seconds) {
      const outcomes = jwksOutcomes.get(partner) ?? new Set()
      jwksOutcomes.set(partner, outcomes.add(outcome))
      jwksFetches.inc({ outcome, partner })
      jwksFetchSeconds.observe({ outcome, partner }, seconds)
    },
    forgetJwksPartner(partner) {
      for (const outcome of jwksOutcomes.get(partner) ?? []) {
        jwksFetches.remove({ outcome, partner })
        jwksFetchSeconds.remove({ outcome, partner })
      }
      jwksOutcomes.delete(partner)
    },
    keyCacheLookups: new Counter({
      name: 'gatehouse_jwks_key_cache_lookups_total',
      help: 'JWKS key lookups answered from cache (hit) or needing a fetch (miss)',
      labelNames: ['result'],
      registers,
    }),
    jitProvisions: new Counter({ name: 'gatehouse_jit_provisions_total', help: 'Users created just in time', registers }),
    jitDroppedClaims: new Counter({
      name: 'gatehouse_jit_dropped_claims_total',
      help: 'Malformed optional claims dropped from a JIT profile or a profile update, by claim name',
      labelNames: ['claim'],
      registers,
    }),
    profileUpdates: new Counter({
      name: 'gatehouse_profile_updates_total',
      help: "Existing users' profiles changed by a later token (the partner's profileUpdate)",
      registers,
    }),
    refusalRecords: new Counter({
      name: 'gatehouse_refusal_records_total',
      help: 'Refused /me tokens offered to the refusals feed, by outcome: written, sampled_out (a flood, by design) or failed',
      labelNames: ['outcome'],
      registers,
    }),
  }
}

interface Tally {
  n: number
}

/**
 * A counter for the hot path: prom-client sorts and hashes the label set on every inc(), even through a child
 * from labels(). Here a request only bumps a number, and the counter catches up when scraped (prom-client
 * runs `collect` before every read). Label sets are bounded (route templates, statuses, codes, partner ids).
 */
function talliedCounter<L extends string>(config: CounterConfiguration<L>): (key: string, labels: () => LabelValues<L>) => Tally {
  const tallies = new Map<string, { tally: Tally; reported: number; labels: LabelValues<L> }>()
  new Counter<L>({
    ...config,
    collect() {
      for (const entry of tallies.values()) {
        if (entry.tally.n === entry.reported) continue
        this.inc(entry.labels, entry.tally.n - entry.reported)
        entry.reported = entry.tally.n
      }
    },
  })
  return (key, labels) => {
    let entry = tallies.get(key)
    if (!entry) tallies.set(key, (entry = { tally: { n: 0 }, reported: 0, labels: labels() }))
    return entry.tally
  }
}
