// The JWKS cache's policy at its exact boundaries, against real loopback servers and a fake clock: retry backoff
// (5 s doubling to 60 s), the 30 s unknown-kid budget, freshness and the background-refresh window, the 24 h
// stale-if-error limit, what the key view, the observers and the log are told, and which state a source owns.
import type { ServerResponse } from 'node:http'
import t from 'tap'
import { JwksFetchError } from '../../src/tokens/jwks-fetch.js'
import { createJwksCache, type JwksCacheOptions, type KeyResolution } from '../../src/tokens/jwks-cache.js'
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { waitFor } from '../helpers/wait-for.js'

const START = Date.UTC(2030, 0, 1)
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const k1 = makeKey('k1')
const k2 = makeKey('k2')
const UNAVAILABLE = "the partner's signing keys cannot be fetched right now; retry later"
const iso = (ms: number) => new Date(ms).toISOString()

function setup(over: Partial<JwksCacheOptions> & { start?: number } = {}) {
  const clock = { now: over.start ?? START }
  const warnings: { obj: object; msg: string }[] = []
  const fetches: { partnerId: string; document: string; outcome: string; durationMs: number }[] = []
  const lookups: { partnerId: string; hit: boolean }[] = []
  const cache = createJwksCache({
    allowPrivateNetwork: true,
    now: () => clock.now,
    logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    events: { onFetch: (e) => fetches.push(e), onLookup: (e) => lookups.push(e) },
    ...over,
  })
  return { cache, clock, warnings, fetches, lookups, hits: () => lookups.map((l) => l.hit) }
}

const retryAfter = (r: KeyResolution) => (r.ok || r.code !== 'jwks_unavailable' ? null : r.retryAfterSeconds)
const failWith500 = (server: JwksServer) =>
  server.setHandler((_req, res) => {
    res.statusCode = 500
    res.end('down')
  })
const serveKeys = (res: ServerResponse, keys: object[], headers: Record<string, string> = {}) => {
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify({ keys }))
}

t.test('retry backoff: 5 s after a failure, doubling to a 60 s cap; Retry-After counts down; a success resets it', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  failWith500(server)
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  let at = START
  for (const backoff of [5, 10, 20, 40, 60, 60]) {
    const r = await source.resolve('k1')
    tt.match(r, { ok: false, code: 'jwks_unavailable', detail: UNAVAILABLE })
    tt.equal(retryAfter(r), backoff, `backoff ${backoff} s`)
    const requests = server.requests
    s.clock.now = at + backoff * SECOND - 1
    const during = await source.resolve('k1')
    tt.equal(retryAfter(during), 1, 'a millisecond left rounds up to 1 s')
    tt.equal(server.requests, requests, 'no request during the backoff')
    s.clock.now = at + backoff * SECOND - 1500
    tt.equal(retryAfter(await source.resolve('k1')), 2)
    at += backoff * SECOND
    s.clock.now = at
  }
  tt.equal(server.requests, 6)
  tt.same(s.hits(), Array(18).fill(false), 'a refusal is never a hit')

  server.setHandler(null)
  tt.ok((await source.resolve('k1')).ok, 'the retry at the end of the backoff succeeds')
  tt.match(source.view(), { lastError: null, coolingDownUntil: iso(at + 30 * SECOND) }, 'only the kid budget cools down now')
  failWith500(server)
  s.clock.now = at + 11 * MINUTE // stale: a background refresh, which fails
  tt.ok((await source.resolve('k1')).ok)
  const view = await waitFor(
    () => source.view(),
    (v) => v.lastError !== null,
  )
  tt.equal(view.coolingDownUntil, iso(at + 11 * MINUTE + 30 * SECOND), 'the kid budget counts from the attempt')
  s.clock.now += 30 * SECOND
  tt.equal(source.view().coolingDownUntil, null)
  s.clock.now = at + 11 * MINUTE
  tt.ok((await source.resolve('k9')).ok === false)
  tt.equal(server.requests, 8, 'within the backoff an unknown kid does not refetch either')
})

t.test('the backoff after a failure is 5 s again once a fetch has succeeded', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  failWith500(server)
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  await source.resolve('k1')
  s.clock.now += 5 * SECOND
  tt.equal(retryAfter(await source.resolve('k1')), 10)
  server.setHandler(null)
  const ok = await source.refresh()
  tt.match(ok, { lastError: null, fetchedAt: iso(s.clock.now), coolingDownUntil: iso(s.clock.now + 30 * SECOND) })
  failWith500(server)
  s.clock.now += 10 * MINUTE + 24 * HOUR + 1
  tt.equal(retryAfter(await source.resolve('k1')), 5, 'past the stale limit the fetch fails: the first failure since the success')
  tt.equal(server.requests, 4)
})

t.test('refresh ignores the backoff', async (tt) => {
  const server = await startJwksServer(tt)
  failWith500(server)
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  await source.resolve('k1')
  server.setHandler(null)
  server.setKeys([k1.publicJwk])
  const view = await source.refresh()
  tt.equal(server.requests, 2)
  tt.match(view, { lastError: null, fetchedAt: iso(START), keys: [{ kid: 'k1' }] })
  tt.ok((await source.resolve('k1')).ok)
})

t.test('unknown kid: a refetch exactly 30 s after the last attempt, not a millisecond before', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)
  tt.equal(source.view().coolingDownUntil, iso(START + 30 * SECOND))
  server.setKeys([k1.publicJwk, k2.publicJwk])
  s.clock.now = START + 30 * SECOND - 1
  tt.match(await source.resolve('k2'), { ok: false, code: 'unknown_key' })
  tt.equal(server.requests, 1)
  s.clock.now = START + 30 * SECOND
  tt.equal(source.view().coolingDownUntil, null)
  tt.ok((await source.resolve('k2')).ok)
  tt.equal(server.requests, 2)
  tt.same(s.hits(), [false, true, false], 'cold: miss; unknown kid without a refetch: hit; with one: miss')
  tt.ok((await source.resolve('k1')).ok)
  tt.equal(s.lookups.at(-1)?.hit, true)
  tt.same(new Set(s.lookups.map((l) => l.partnerId)), new Set(['p']))

  // A token without kid is an unknown kid too when no usable key can be tried.
  server.setKeys([k1.publicJwk, k2.publicJwk, makeKey('k3').publicJwk, makeKey('k4').publicJwk])
  await source.refresh()
  s.clock.now += 30 * SECOND
  server.setKeys([k1.publicJwk])
  tt.ok((await source.resolve(undefined)).ok, 'four usable keys: no kid refetches, and the set now has one')
  tt.equal(server.requests, 4)
})

t.test('freshness: a background refresh starts in the last 10 % of max-age, not before, and the request does not wait', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  server.setHeaders({ 'cache-control': 'max-age=100' })
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)
  tt.match(source.view(), { fetchedAt: iso(START), freshUntil: iso(START + 100 * SECOND), servingStale: false })
  s.clock.now = START + 90 * SECOND - 1
  await source.resolve('k1')
  tt.equal(source.isCurrent('k1', k1.publicKey), true)
  tt.equal(server.requests, 1, 'not yet')

  const held: ServerResponse[] = []
  server.setHandler((_req, res) => held.push(res))
  s.clock.now = START + 90 * SECOND
  tt.ok((await source.resolve('k1')).ok)
  tt.equal(s.lookups.at(-1)?.hit, true, 'answered from the cache while the refresh runs')
  await waitFor(
    () => held.length,
    (n) => n === 1,
  )
  serveKeys(held[0]!, [k2.publicJwk], { 'cache-control': 'max-age=100' })
  const view = await waitFor(
    () => source.view(),
    (v) => v.fetchedAt === iso(START + 90 * SECOND),
  )
  tt.match(view, { freshUntil: iso(START + 190 * SECOND), keys: [{ kid: 'k2' }] })
})

t.test('isCurrent keeps the set refreshed too, and is false for a cold source or past the stale limit', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  tt.equal(source.isCurrent('k1', k1.publicKey), false, 'cold: nothing is current')
  tt.equal(server.requests, 0, 'and nothing is fetched')
  await source.resolve('k1')
  tt.equal(source.isCurrent('k1', k1.publicKey), true)
  tt.equal(source.isCurrent('k1', k2.publicKey), false, 'another key under the kid')
  tt.equal(source.isCurrent('k2', k1.publicKey), false, 'another kid')
  tt.equal(source.isCurrent(null, k1.publicKey), true, 'no kid: one of the usable keys')

  server.setKeys([k2.publicJwk])
  s.clock.now = START + 10 * MINUTE
  tt.equal(source.isCurrent('k1', k1.publicKey), true, 'stale, still answered from the cached set')
  await waitFor(
    () => server.requests,
    (n) => n === 2,
  )
  const view = await waitFor(
    () => source.view(),
    (v) => v.fetchedAt !== iso(START),
  )
  tt.same(
    view.keys.map((k) => k.kid),
    ['k2'],
  )
  tt.equal(source.isCurrent('k1', k1.publicKey), false, 'the refreshed set has no k1')

  failWith500(server)
  s.clock.now = START + 20 * MINUTE + 24 * HOUR + 1
  tt.equal(source.isCurrent('k2', k2.publicKey), false, 'past the stale-if-error limit')
})

t.test('stale-if-error: cached keys serve up to 24 h past freshness, inclusive, then the partner is unavailable', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  await source.resolve('k1')
  failWith500(server)
  const fresh = START + 10 * MINUTE
  s.clock.now = fresh
  tt.equal(source.view().servingStale, false, 'at freshUntil: still fresh')
  s.clock.now = fresh + 1
  tt.equal(source.view().servingStale, true)
  s.clock.now = fresh + 24 * HOUR
  tt.equal(source.view().servingStale, true)
  const last = await source.resolve('k1')
  tt.ok(last.ok, 'the last millisecond of the limit')
  await waitFor(
    () => s.warnings.length,
    (n) => n === 1,
  )
  tt.match(s.warnings[0], { obj: { partnerId: 'p', jwksUrl: server.url, reason: 'http_status', servingStale: true }, msg: /^JWKS fetch failed: .*500/ })
  s.clock.now = fresh + 24 * HOUR + 1
  tt.equal(source.view().servingStale, false)
  const gone = await source.resolve('k1')
  tt.match(gone, { ok: false, code: 'jwks_unavailable', detail: UNAVAILABLE })
  tt.equal(retryAfter(gone), 5, 'the background failure a millisecond ago set the backoff')
  tt.equal(server.requests, 2, 'no request during that backoff')
  tt.equal(s.lookups.at(-1)?.hit, false)

  s.clock.now += 5 * SECOND
  const again = await source.resolve('k1')
  tt.equal(retryAfter(again), 10, 'past the limit a request waits for the fetch, which fails again')
  tt.equal(server.requests, 3)
  tt.match(s.warnings[1], { obj: { servingStale: false } })
  tt.equal(s.warnings.length, 2)
})

t.test('a cold cache near the epoch still fetches: unfetched keys are never within the stale limit', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup({ start: 1000 })
  const source = s.cache.forPartner('p', server.url)
  tt.match(
    source.view(),
    { source: 'jwks', jwksUrl: server.url, openidConfigurationUrl: null, fetchedAt: null, freshUntil: null, lastError: null, servingStale: false, coolingDownUntil: null, keys: [], ignoredKeys: 0 },
    'a cold view',
  )
  tt.equal(source.isCurrent('k1', k1.publicKey), false)
  tt.ok((await source.resolve('k1')).ok)
  tt.equal(server.requests, 1)
  tt.equal(source.view().fetchedAt, iso(1000))
})

t.test('what observers and the log are told of each fetch', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup()
  const source = s.cache.forPartner('acme', server.url)
  await source.resolve('k1')
  failWith500(server)
  await source.refresh()
  tt.match(s.fetches, [
    { partnerId: 'acme', document: 'jwks', outcome: 'ok' },
    { partnerId: 'acme', document: 'jwks', outcome: 'http_status' },
  ])
  tt.ok(
    s.fetches.every((f) => f.durationMs >= 0 && f.durationMs <= performance.now()),
    'a duration: the time the fetch took, not a sum of clock readings',
  )
  tt.same(s.warnings, [
    {
      obj: { partnerId: 'acme', jwksUrl: server.url, reason: 'http_status', servingStale: true },
      msg: `JWKS fetch failed: ${source.view().lastError}`,
    },
  ])
})

t.test('a discovery partner: the log names the document and the jwks_uri it gave', async (tt) => {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  server.setHandler((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ issuer: 'https://issuer.example', jwks_uri: `${base}/jwks` }))
    }
    res.statusCode = 500
    res.end('down')
  })
  const s = setup()
  const location = { openidConfigurationUrl: `${base}/.well-known/openid-configuration`, issuer: 'https://issuer.example' }
  const source = s.cache.forPartner('oidc', location)
  tt.match(source.view(), { jwksUrl: null, openidConfigurationUrl: location.openidConfigurationUrl })
  tt.match(await source.resolve('k1'), { ok: false, code: 'jwks_unavailable' })
  tt.match(s.fetches, [
    { partnerId: 'oidc', document: 'discovery', outcome: 'ok' },
    { partnerId: 'oidc', document: 'jwks', outcome: 'http_status' },
  ])
  tt.same(s.warnings[0]!.obj, { partnerId: 'oidc', openidConfigurationUrl: location.openidConfigurationUrl, jwksUrl: `${base}/jwks`, reason: 'http_status', servingStale: false })
  tt.equal(source.view().jwksUrl, `${base}/jwks`, 'the jwks_uri last read')

  tt.equal(s.cache.forPartner('oidc', { ...location }), source, 'the same document and issuer: the same source')
  const moved = s.cache.forPartner('oidc', { ...location, issuer: 'https://other.example' })
  tt.not(moved, source, 'a new issuer: a new source')
  tt.equal(moved.view().jwksUrl, null, 'that starts cold')
})

t.test('a fetcher failing with something other than a JwksFetchError counts as a network failure', async (tt) => {
  const thrown: unknown[] = [new Error('socket hang up'), 'a bare string']
  const s = setup({
    fetchJwks: async () => {
      throw thrown.shift()
    },
  })
  const source = s.cache.forPartner('p', 'http://127.0.0.1:1/jwks')
  tt.match(await source.resolve('k1'), { ok: false, code: 'jwks_unavailable' })
  tt.equal(source.view().lastError, 'socket hang up')
  s.clock.now += 5 * SECOND
  await source.resolve('k1')
  tt.equal(source.view().lastError, 'a bare string')
  tt.same(
    s.fetches.map((f) => f.outcome),
    ['network', 'network'],
  )
  tt.same(
    s.warnings.map((w) => [(w.obj as { reason: string }).reason, w.msg]),
    [
      ['network', 'JWKS fetch failed: socket hang up'],
      ['network', 'JWKS fetch failed: a bare string'],
    ],
  )
  const typed = setup({
    fetchJwks: async () => {
      throw new JwksFetchError('too_large', 'JWKS is over 256 KiB')
    },
  })
  await typed.cache.forPartner('p', 'http://127.0.0.1:1/jwks').resolve('k1')
  tt.match(typed.warnings[0], { obj: { reason: 'too_large' }, msg: 'JWKS fetch failed: JWKS is over 256 KiB' })
  tt.equal(typed.fetches[0]!.outcome, 'too_large')
})

t.test('refetchAfterSignatureFailure joins a fetch under way without spending the budget, and offers only untried keys', async (tt) => {
  const replacement = { ...k2.publicJwk, kid: 'k1' }
  const server = await startJwksServer(tt, [k1.publicJwk])
  server.setHeaders({ 'cache-control': 'max-age=100' })
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  const first = await source.resolve('k1')
  if (!first.ok) throw new Error('k1 should resolve')
  const held: ServerResponse[] = []
  server.setHandler((_req, res) => held.push(res))
  s.clock.now = START + 95 * SECOND
  await source.resolve('k1') // starts the background refresh
  await waitFor(
    () => held.length,
    (n) => n === 1,
  )
  const pending = source.refetchAfterSignatureFailure('k1', first.candidates)
  serveKeys(held[0]!, [replacement])
  const fresh = await pending
  tt.equal(fresh.length, 1)
  tt.ok(fresh[0]!.key.equals(k2.publicKey), 'the replaced material, from the joined fetch')
  tt.equal(server.requests, 2, 'no fetch of its own')

  server.setHandler(null)
  server.setKeys([k1.publicJwk, k2.publicJwk])
  tt.same(await source.refetchAfterSignatureFailure('k1', fresh), [], 'within 30 s of the last attempt: no refetch, nothing new')
  tt.equal(server.requests, 2)
  s.clock.now += 30 * SECOND
  const back = await source.refetchAfterSignatureFailure('k1', fresh)
  tt.equal(server.requests, 3)
  tt.equal(back.length, 1)
  tt.ok(back[0]!.key.equals(k1.publicKey))
  s.clock.now += 30 * SECOND
  tt.same(await source.refetchAfterSignatureFailure('k2', []).then((c) => c.map((x) => x.label)), ['kid k2'], 'nothing tried: every key the kid selects')
})

t.test('sources: an outdated one keeps its own state; an evicted one re-creates and owns its partner again', async (tt) => {
  const a = await startJwksServer(tt, [k1.publicJwk])
  const b = await startJwksServer(tt, [k2.publicJwk])
  const s = setup({ maxPartners: 2 })
  const old = s.cache.forPartner('p', a.url)
  const moved = s.cache.forPartner('p', b.url)
  tt.ok((await old.resolve('k1')).ok)
  tt.ok((await old.resolve('k1')).ok)
  tt.equal(a.requests, 1, 'the outdated source caches what it fetched')
  tt.equal(moved.view().fetchedAt, null, 'without touching the current one')
  tt.equal(s.cache.forPartner('p', b.url), moved)

  const q = s.cache.forPartner('q', b.url)
  tt.not(q, moved, 'another partner, another source')
  await q.resolve('k2')
  tt.equal(moved.view().fetchedAt, null, 'and another state')
  tt.equal(q.view().fetchedAt, iso(START))
  await s.cache.forPartner('r', b.url).resolve('k2') // evicts p (least recently used)
  const requests = b.requests
  tt.ok((await moved.resolve('k2')).ok, 'an evicted source starts cold')
  tt.equal(b.requests, requests + 1)
  tt.equal(s.cache.forPartner('p', b.url), moved, 'and is the source of its partner again')
  await moved.resolve('k2')
  tt.equal(b.requests, requests + 1, 'with its state cached')
})

t.test('a partner forgotten while a source is held: the held source starts cold', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  await source.resolve('k1')
  s.cache.forget('p')
  tt.equal(source.view().fetchedAt, null)
  await source.resolve('k1')
  tt.equal(server.requests, 2)
  tt.equal(s.cache.forPartner('p', server.url), source)
})

t.test('during a backoff a resolve joins a fetch already under way (a refresh) instead of refusing', async (tt) => {
  const server = await startJwksServer(tt)
  failWith500(server)
  const s = setup()
  const source = s.cache.forPartner('p', server.url)
  tt.equal(retryAfter(await source.resolve('k1')), 5)
  const held: ServerResponse[] = []
  server.setHandler((_req, res) => held.push(res))
  const refreshed = source.refresh()
  await waitFor(
    () => held.length,
    (n) => n === 1,
  )
  const joined = source.resolve('k1')
  serveKeys(held[0]!, [k1.publicJwk])
  tt.ok((await joined).ok, 'answered by the refresh it joined')
  tt.match(await refreshed, { lastError: null, keys: [{ kid: 'k1' }] })
  tt.equal(server.requests, 2)
  tt.equal(s.lookups.at(-1)?.hit, false)
})
