// Prometheus metrics of one app instance (prom-client, own registry): labels stay bounded.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface Metrics {
  registry: Registry
  httpRequests: Counter<'method' | 'route' | 'status'>
  /** Hot-path forms of `httpRequests.inc` and `verifications.inc`. */
  countRequest(method: string, route: string, status: number): void
  countVerification(code: string, partner: string): void
  verifications: Counter<'code' | 'partner'>
  jwksFetches: Counter<'outcome'>
  jwksFetchSeconds: Histogram<'outcome'>
  keyCacheLookups: Counter<'result'>
  verifyCacheLookups: Counter<'result'>
  jitProvisions: Counter
  jitDroppedClaims: Counter<'claim'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' })
  const registers = [registry]
  const httpRequests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  })
  const verifications = new Counter({
    name: 'gatehouse_token_verifications_total',
    help: 'Token verifications on /me by result code (ok or a SPEC §2 code) and partner id ("" before the issuer is known)',
    labelNames: ['code', 'partner'],
    registers,
  })
  const requestCounter = boundCounters(httpRequests)
  const verificationCounter = boundCounters(verifications)
  return {
    registry,
    httpRequests,
    countRequest: (method, route, status) => requestCounter(`${method} ${route} ${status}`, { method, route, status }).inc(),
    verifications,
    countVerification: (code, partner) => verificationCounter(`${code} ${partner}`, { code, partner }).inc(),
    jwksFetches: new Counter({
      name: 'gatehouse_jwks_fetches_total',
      help: 'JWKS fetches by outcome (ok or the failure reason)',
      labelNames: ['outcome'],
      registers,
    }),
    jwksFetchSeconds: new Histogram({
      name: 'gatehouse_jwks_fetch_duration_seconds',
      help: 'Duration of JWKS fetches',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    keyCacheLookups: new Counter({
      name: 'gatehouse_jwks_key_cache_lookups_total',
      help: 'JWKS key lookups answered from cache (hit) or needing a fetch (miss)',
      labelNames: ['result'],
      registers,
    }),
    verifyCacheLookups: new Counter({
      name: 'gatehouse_verify_cache_lookups_total',
      help: 'Verification-result cache lookups (hit, miss)',
      labelNames: ['result'],
      registers,
    }),
    jitProvisions: new Counter({ name: 'gatehouse_jit_provisions_total', help: 'Users created just in time', registers }),
    jitDroppedClaims: new Counter({
      name: 'gatehouse_jit_dropped_claims_total',
      help: 'Malformed optional claims dropped during JIT provisioning',
      labelNames: ['claim'],
      registers,
    }),
  }
}

/**
 * prom-client sorts and hashes a label object on every inc(); a child bound once per label set does not.
 * Label sets are bounded (route templates, statuses, codes, partner ids), so the map is too.
 */
function boundCounters<L extends string>(counter: Counter<L>): (key: string, labels: Record<L, string | number>) => { inc(): void } {
  const children = new Map<string, { inc(): void }>()
  return (key, labels) => {
    let child = children.get(key)
    if (!child) children.set(key, (child = counter.labels(labels)))
    return child
  }
}
