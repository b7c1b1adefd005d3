// The JWKS cache against real servers and a fake clock: single flight, kid budget, freshness, stale-if-error.
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { type JwksCacheEvents, type KeyResolution, createJwksCache } from '../../src/tokens/jwks-cache.js'
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { waitFor } from '../helpers/wait-for.js'

const START = Date.UTC(2030, 0, 1)
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

function setup(tt: Test, options: { maxPartners?: number; events?: JwksCacheEvents } = {}) {
  const clock = { now: START }
  const warnings: { obj: object; msg: string }[] = []
  const fetches: string[] = []
  const lookups: boolean[] = []
  const cache = createJwksCache({
    allowPrivateNetwork: true,
    now: () => clock.now,
    maxPartners: options.maxPartners,
    logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    events: options.events ?? {
      onFetch: (e) => fetches.push(e.outcome),
      onLookup: (e) => lookups.push(e.hit),
    },
  })
  tt.teardown(() => {
    clock.now = START
  })
  return { cache, clock, warnings, fetches, lookups }
}

/** The one key a resolution offers (a kid selects one), or null. */
const keyOf = (r: KeyResolution) => (r.ok && r.candidates.length === 1 ? r.candidates[0]!.key : null)
const retryAfter = (r: KeyResolution) => (r.ok || r.code !== 'jwks_unavailable' ? 0 : r.retryAfterSeconds)

/** All a refused caller learns of a JWKS failure. */
const UNAVAILABLE = "the partner's signing keys cannot be fetched right now; retry later"

const failWith500 = (server: JwksServer) =>
  server.setHandler((_req, res) => {
    res.statusCode = 500
    res.end('down')
  })

t.test('100 concurrent cold resolves share exactly one fetch', async (tt) => {
  const k1 = makeKey('k1')
  const server = await startJwksServer(tt, [k1.publicJwk])
  const { cache, lookups } = setup(tt)
  const source = cache.forPartner('p', server.url)
  const results = await Promise.all(Array.from({ length: 100 }, () => source.resolve('k1')))
  tt.equal(server.requests, 1)
  tt.ok(results.every((r) => keyOf(r)?.equals(k1.publicKey)))
  tt.equal(lookups.filter((hit) => !hit).length, 100, 'a cold resolve is a miss')
  await source.resolve('k1')
  tt.equal(lookups.at(-1), true, 'a warm resolve is a hit')
})

t.test('200 random unknown kids cost one fetch per 30 s', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  const first = await Promise.all(Array.from({ length: 200 }, () => source.resolve(randomUUID())))
  tt.ok(first.every((r) => !r.ok && r.code === 'unknown_key'))
  tt.equal(server.requests, 1, 'with the clock standing still: the cold fetch only')
  tt.match(first[0], { detail: /^kid [0-9a-f-]+ not in JWKS \(has k1\)$/ })
  tt.ok(source.view().coolingDownUntil, 'the 30 s budget shows as a cool-down')

  clock.now += 31 * SECOND
  for (let i = 0; i < 200; i++) await source.resolve(randomUUID())
  tt.equal(server.requests, 2, 'one refetch once the budget allows, then none')
})

t.test('an unknown kid is picked up by a refetch once the last fetch is 30 s old', async (tt) => {
  const k1 = makeKey('k1')
  const k2 = makeKey('k2')
  const server = await startJwksServer(tt, [k1.publicJwk])
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)
  server.setKeys([k1.publicJwk, k2.publicJwk])
  clock.now += 29 * SECOND
  tt.match(await source.resolve('k2'), { ok: false, code: 'unknown_key', detail: 'kid k2 not in JWKS (has k1)' })
  tt.equal(server.requests, 1, 'no refetch within 30 s of the last')
  clock.now += 2 * SECOND
  const found = await source.resolve('k2')
  tt.ok(keyOf(found)?.equals(k2.publicKey))
  tt.equal(server.requests, 2)
})

t.test('rotation: new key beside the old, then the old removed', async (tt) => {
  const k1 = makeKey('k1')
  const k2 = makeKey('k2')
  const server = await startJwksServer(tt, [k1.publicJwk])
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  const old = await source.resolve('k1')
  if (!old.ok) throw new Error('k1 should resolve')

  server.setKeys([k1.publicJwk, k2.publicJwk])
  clock.now += 31 * SECOND
  tt.ok((await source.resolve('k2')).ok, 'the new kid is found')
  tt.ok((await source.resolve('k1')).ok, 'the old kid still resolves')
  tt.equal(source.isCurrent('k1', keyOf(old)!), true)

  server.setKeys([k2.publicJwk])
  clock.now += 11 * MINUTE // past the default 10 min freshness
  tt.ok((await source.resolve('k1')).ok, 'stale keys answer while the background refresh runs')
  const after = await waitFor(
    () => source.resolve('k1'),
    (r) => !r.ok,
  )
  tt.match(after, { ok: false, code: 'unknown_key', detail: 'kid k1 not in JWKS (has k2)' })
  tt.equal(source.isCurrent('k1', keyOf(old)!), false, 'a verification cache learns the kid left')
  tt.same(
    source.view().keys.map((k) => k.kid),
    ['k2'],
    'the key set was replaced whole',
  )
})

t.test('a JWKS answering 500 after warm-up keeps serving cached keys, marked stale', async (tt) => {
  const k1 = makeKey('k1')
  const server = await startJwksServer(tt, [k1.publicJwk])
  const { cache, clock, warnings, fetches } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)
  failWith500(server)
  clock.now += 15 * MINUTE
  tt.ok((await source.resolve('k1')).ok, 'answered from cache without waiting')
  const view = await waitFor(
    () => source.view(),
    (v) => v.lastError !== null,
  )
  tt.match(view, { servingStale: true, lastError: /500/, fetchedAt: new Date(START).toISOString() })
  tt.ok(view.coolingDownUntil, 'a retry backoff applies')
  tt.ok((await source.resolve('k1')).ok, 'still resolving after the failed refresh')
  tt.same(fetches, ['ok', 'http_status'])
  tt.equal(warnings.length, 1, 'the failure is logged')
  tt.match(warnings[0]!.obj, { partnerId: 'p', reason: 'http_status', servingStale: true })

  // Within the backoff no further request is made, even as requests keep coming.
  const requests = server.requests
  for (let i = 0; i < 10; i++) await source.resolve('k1')
  tt.equal(server.requests, requests)

  // Up to 24 h past freshness the keys still serve; beyond, the partner is unavailable.
  clock.now = START + 10 * MINUTE + 24 * HOUR - SECOND
  tt.ok((await source.resolve('k1')).ok, 'just inside the stale-if-error limit')
  await waitFor(
    () => fetches.length,
    (n) => n === 3,
  )
  tt.same(fetches, ['ok', 'http_status', 'http_status'], 'the background retry failed too')
  clock.now = START + 10 * MINUTE + 24 * HOUR + 2 * MINUTE
  const gone = await source.resolve('k1')
  tt.match(gone, { ok: false, code: 'jwks_unavailable', detail: UNAVAILABLE })
  tt.match(source.view().lastError, /500/, 'the reason stays in the key view')
  tt.ok(retryAfter(gone) >= 1)
  tt.equal(source.view().servingStale, false, 'nothing is served past the limit')
})

t.test('a cold partner whose JWKS fails is jwks_unavailable, and backs off', async (tt) => {
  const server = await startJwksServer(tt)
  failWith500(server)
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  const first = await source.resolve('k1')
  tt.match(first, { ok: false, code: 'jwks_unavailable', detail: UNAVAILABLE })
  tt.notMatch(first, { detail: /500|127\.0\.0\.1/ }, 'the detail names neither the status nor the address')
  tt.match(source.view().lastError, /500/, 'the reason stays in the key view')
  tt.ok(retryAfter(first) >= 1, 'Retry-After is at least 1 s')
  tt.equal(server.requests, 1)

  clock.now += 2 * SECOND
  const during = await Promise.all([source.resolve('k1'), source.resolve(undefined)])
  tt.ok(during.every((r) => !r.ok && r.code === 'jwks_unavailable' && r.retryAfterSeconds! >= 1))
  tt.equal(server.requests, 1, 'no request during the backoff')
  tt.ok(source.view().coolingDownUntil)

  clock.now += 4 * SECOND
  await source.resolve('k1')
  tt.equal(server.requests, 2, 'retried once the backoff ends')
  const second = await source.resolve('k1')
  tt.ok(retryAfter(second) > 5, 'the backoff doubles')

  server.setHandler(null)
  server.setKeys([makeKey('k1').publicJwk])
  clock.now += 11 * SECOND
  tt.ok((await source.resolve('k1')).ok, 'recovers once the endpoint does')
  tt.match(source.view(), { lastError: null, servingStale: false })
})

t.test('a fetch that yields no usable key is a success: kids are unknown_key', async (tt) => {
  const server = await startJwksServer(tt, [{ kty: 'EC', kid: 'ec', crv: 'P-256', x: 'a', y: 'b' }])
  const { cache, fetches } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.match(await source.resolve('k1'), { ok: false, code: 'unknown_key', detail: 'kid k1 not in JWKS (has ec)' })
  tt.match(await source.resolve('ec'), { ok: false, code: 'unknown_key', detail: /kty is EC/ })
  tt.match(await source.resolve(undefined), {
    ok: false,
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has no usable key; put the signing key's kid in the token header",
  })
  tt.same(fetches, ['ok'])
})

t.test('max-age is clamped to [60 s, 24 h], default 10 min', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const cases: [Record<string, string>, number][] = [
    [{ 'cache-control': 'max-age=1' }, MINUTE],
    [{ 'cache-control': 'max-age=999999' }, 24 * HOUR],
    [{ 'cache-control': 'max-age=300' }, 5 * MINUTE],
    [{ 'cache-control': 'no-store' }, MINUTE],
    [{}, 10 * MINUTE],
  ]
  for (const [headers, freshMs] of cases) {
    server.setHeaders(headers)
    const { cache } = setup(tt)
    const view = await cache.forPartner('p', server.url).refresh()
    tt.equal(Date.parse(view.freshUntil!) - Date.parse(view.fetchedAt!), freshMs, JSON.stringify(headers))
  }
})

t.test('near staleness a background refresh starts and the request does not wait for it', async (tt) => {
  const k1 = makeKey('k1')
  const server = await startJwksServer(tt, [k1.publicJwk])
  server.setHeaders({ 'cache-control': 'max-age=100' })
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)

  clock.now += 50 * SECOND
  await source.resolve('k1')
  tt.equal(server.requests, 1, 'no refresh while comfortably fresh')

  // The refresh is held open until released, so a resolve that waited for it could not return.
  const held: ServerResponse[] = []
  server.setHandler((_req, res) => held.push(res))
  clock.now += 45 * SECOND // 95 s into 100 s: the last 10 %
  const result = await source.resolve('k1')
  tt.ok(result.ok, 'answered from cached keys')
  await waitFor(
    () => held.length,
    (n) => n === 1,
  )
  tt.equal(server.requests, 2, 'the background refresh reached the server')
  tt.equal(held.length, 1, 'and is still unanswered')
  for (let i = 0; i < 20; i++) await source.resolve('k1')
  tt.equal(server.requests, 2, 'single flight: no second refresh while one runs')

  held[0]!.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=100' })
  held[0]!.end(JSON.stringify({ keys: [k1.publicJwk] }))
  const view = await waitFor(
    () => source.view(),
    (v) => v.fetchedAt !== new Date(START).toISOString(),
  )
  tt.equal(view.fetchedAt, new Date(clock.now).toISOString(), 'the refresh landed')
})

t.test('a failing background refresh never rejects, even if an observer throws', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const clock = { now: START }
  const cache = createJwksCache({
    allowPrivateNetwork: true,
    now: () => clock.now,
    logger: {
      warn: () => {
        throw new Error('logger down')
      },
    },
    events: {
      onFetch: () => {
        throw new Error('metrics down')
      },
    },
  })
  const source = cache.forPartner('p', server.url)
  tt.ok((await source.resolve('k1')).ok)
  failWith500(server)
  clock.now += 11 * MINUTE
  tt.ok((await source.resolve('k1')).ok)
  const view = await waitFor(
    () => source.view(),
    (v) => v.lastError !== null,
  )
  tt.equal(view.servingStale, true)
})

t.test('refetchAfterSignatureFailure: a same-kid key change is picked up within the budget', async (tt) => {
  const original = makeKey('k1')
  const replacement = makeKey('k1-replacement')
  const server = await startJwksServer(tt, [original.publicJwk])
  const { cache, clock } = setup(tt)
  const source = cache.forPartner('p', server.url)
  const first = await source.resolve('k1')
  if (!first.ok) throw new Error('k1 should resolve')

  server.setKeys([{ ...replacement.publicJwk, kid: 'k1' }])
  tt.same(await source.refetchAfterSignatureFailure('k1', first.candidates), [], 'no refetch within 30 s')
  tt.equal(server.requests, 1)

  clock.now += 31 * SECOND
  const fresh = await source.refetchAfterSignatureFailure('k1', first.candidates)
  tt.equal(fresh.length, 1)
  tt.ok(fresh[0]!.key.equals(replacement.publicKey), 'the new material for the same kid')
  tt.equal(server.requests, 2)
  tt.equal(source.isCurrent('k1', keyOf(first)!), false)
  tt.equal(source.isCurrent('k1', fresh[0]!.key), true)

  clock.now += 31 * SECOND
  tt.same(await source.refetchAfterSignatureFailure('k1', fresh), [], 'unchanged material: nothing new to try')
  tt.equal(server.requests, 3)
})

t.test('kid verdicts: weak key, unusable key, and the no-kid rule', async (tt) => {
  const k1 = makeKey('k1')
  const k2 = makeKey('k2')
  const weak = makeKey('weak', 1024)
  const enc = { ...makeKey('enc').publicJwk, use: 'enc' }
  const server = await startJwksServer(tt, [k1.publicJwk, weak.publicJwk, enc])
  const { cache } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.match(await source.resolve('weak'), { ok: false, code: 'weak_key', detail: 'kid weak names a 1024-bit key (minimum 2048)' })
  tt.match(await source.resolve('enc'), { ok: false, code: 'unknown_key', detail: /use is enc/ })

  const single = await source.resolve(undefined)
  tt.ok(keyOf(single)?.equals(k1.publicKey), 'no kid: the one usable key (weak and unusable keys do not count)')
  tt.equal(source.isCurrent(null, k1.publicKey), true)

  const k3 = makeKey('k3')
  const k4 = makeKey('k4')
  server.setKeys([k1.publicJwk, k2.publicJwk, k3.publicJwk, k4.publicJwk, weak.publicJwk])
  await source.refresh()
  tt.match(await source.resolve(undefined), {
    ok: false,
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has 4 usable keys (at most 3 are tried without one); put the signing key's kid in the token header",
  })
  tt.equal(source.isCurrent(null, k1.publicKey), false, 'a no-kid result is no longer current once four keys are usable')
  tt.equal(source.isCurrent('k1', k1.publicKey), true, 'while a kid result still is')
})

t.test('a kid published twice answers with its usable key', async (tt) => {
  const k1 = makeKey('k1')
  const server = await startJwksServer(tt, [{ ...makeKey('enc').publicJwk, kid: 'k1', use: 'enc' }, k1.publicJwk])
  const { cache } = setup(tt)
  const found = await cache.forPartner('p', server.url).resolve('k1')
  tt.ok(keyOf(found)?.equals(k1.publicKey))
})

t.test('refresh ignores the budget, shares an in-flight fetch and never throws', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const { cache } = setup(tt)
  const source = cache.forPartner('p', server.url)
  await source.resolve('k1')
  const views = await Promise.all([source.refresh(), source.refresh(), source.refresh()])
  tt.equal(server.requests, 2, 'three concurrent refreshes, one fetch')
  tt.match(views[0], {
    source: 'jwks',
    jwksUrl: server.url,
    lastError: null,
    keys: [{ kid: 'k1', alg: 'RS256', bits: 2048, usable: true, reason: null }],
  })
  failWith500(server)
  const failed = await source.refresh()
  tt.match(failed, { lastError: /500/, keys: [{ kid: 'k1' }] })
  tt.equal(server.requests, 3)
})

t.test('sources: one per (partner, URL); a new URL or forget starts cold', async (tt) => {
  const a = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const b = await startJwksServer(tt, [makeKey('k2').publicJwk])
  const { cache } = setup(tt)
  const source = cache.forPartner('p', a.url)
  tt.equal(cache.forPartner('p', a.url), source, 'same partner and URL: same source')
  await source.resolve('k1')
  await cache.forPartner('p', a.url).resolve('k1')
  tt.equal(a.requests, 1, 'and the same cached state')

  const moved = cache.forPartner('p', b.url)
  tt.not(moved, source)
  tt.equal(moved.view().fetchedAt, null, 'a new URL starts cold')
  tt.ok((await moved.resolve('k2')).ok)
  tt.ok((await source.resolve('k1')).ok, 'an outdated source (as an in-flight request may hold) still works')
  tt.ok((await moved.resolve('k2')).ok)
  tt.equal(b.requests, 1, 'and did not reset the new URL\'s cached state')

  cache.forget('p')
  await cache.forPartner('p', b.url).resolve('k2')
  tt.equal(b.requests, 2, 'forget drops the cached keys')
})

t.test('maxPartners bounds the cache: an evicted partner goes cold', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const { cache } = setup(tt, { maxPartners: 2 })
  for (const id of ['a', 'b', 'c']) await cache.forPartner(id, server.url).resolve('k1')
  tt.equal(server.requests, 3)
  await cache.forPartner('c', server.url).resolve('k1')
  tt.equal(server.requests, 3, 'recent partners stay cached')
  await cache.forPartner('a', server.url).resolve('k1')
  tt.equal(server.requests, 4, 'the least recent one was evicted')
})

t.test('keys past the first 100 of a JWKS are ignored, and the view counts them', async (tt) => {
  const key = makeKey('k1')
  const keys = Array.from({ length: 150 }, (_, i) => ({ ...key.publicJwk, kid: `k${i + 1}` }))
  const server = await startJwksServer(tt, keys)
  const { cache } = setup(tt)
  const source = cache.forPartner('p', server.url)
  tt.match(await source.resolve('k100'), { ok: true, candidates: [{ label: 'kid k100' }] }, 'the 100th key is considered')
  tt.match(await source.resolve('k120'), { ok: false, code: 'unknown_key', detail: /^kid k120 not in JWKS \(has k1, k2, .* and 90 more\)$/ })
  const view = source.view()
  tt.equal(view.keys.length, 100)
  tt.equal(view.ignoredKeys, 50)
})
