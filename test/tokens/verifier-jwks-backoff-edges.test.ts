// The retry backoff where it alone decides: beside the 30 s unknown-kid budget (a backoff of 40 s outlasts it) and
// inside the background-refresh window, to the millisecond; and a cold source's key view, which lists no keys.
// A counting fetcher and a fake clock: a fetch starts synchronously, so "no fetch" is seen without waiting.
import t from 'tap'
import { JwksFetchError, type JwksDocument } from '../../src/tokens/jwks-fetch.js'
import { createJwksCache, type KeyResolution } from '../../src/tokens/jwks-cache.js'
import { makeKey } from '../helpers/keys.js'

const START = Date.UTC(2030, 0, 1)
const SECOND = 1000
const MINUTE = 60 * SECOND
const k1 = makeKey('k1')

/** A JWKS endpoint that serves k1 (max-age as given) until told to fail; `calls` counts fetches as they start. */
function countingFetcher(maxAgeSeconds: number | null = null) {
  const endpoint = {
    calls: 0,
    failing: false,
    fetchJwks: async (url: string): Promise<JwksDocument> => {
      endpoint.calls++
      if (endpoint.failing) throw new JwksFetchError('http_status', 'JWKS answered HTTP 500')
      return { keys: [k1.publicJwk], maxAgeSeconds, url }
    },
  }
  return endpoint
}

const code = (r: KeyResolution) => (r.ok ? 'ok' : r.code)
/** Lets a background fetch run to its end: every promise step it takes is done before the next macrotask. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

t.test('a cold source: its key view lists no keys and ignores none', async (tt) => {
  const endpoint = countingFetcher()
  const cache = createJwksCache({ allowPrivateNetwork: true, now: () => START, fetchJwks: endpoint.fetchJwks })
  const view = cache.forPartner('p', 'http://127.0.0.1:1/jwks').view()
  tt.same(view.keys, [], 'no keys before the first fetch')
  tt.equal(view.ignoredKeys, 0)
  tt.equal(view.fetchedAt, null)
  tt.equal(endpoint.calls, 0, 'a view never fetches')
})

t.test('unknown kid: a backoff longer than the 30 s budget holds the refetch back to its last millisecond', async (tt) => {
  const endpoint = countingFetcher()
  const clock = { now: START }
  const cache = createJwksCache({ allowPrivateNetwork: true, now: () => clock.now, fetchJwks: endpoint.fetchJwks })
  const source = cache.forPartner('p', 'http://127.0.0.1:1/jwks')
  tt.equal(code(await source.resolve('k1')), 'ok')
  tt.equal(endpoint.calls, 1)

  // Four failed unknown-kid refetches, 30 s apart (each once the budget and the backoff allow): backoffs 5, 10, 20, 40 s.
  endpoint.failing = true
  let attempt = START
  for (const backoff of [5, 10, 20, 40]) {
    attempt += 30 * SECOND
    clock.now = attempt
    tt.equal(code(await source.resolve('kx')), 'unknown_key', 'the cached set still answers')
    tt.equal(source.view().coolingDownUntil, new Date(attempt + Math.max(30, backoff) * SECOND).toISOString(), `backoff ${backoff} s`)
  }
  tt.equal(endpoint.calls, 5)

  const backoffUntil = attempt + 40 * SECOND
  clock.now = attempt + 30 * SECOND // the budget allows a refetch, the backoff does not
  tt.equal(code(await source.resolve('kx')), 'unknown_key')
  clock.now = backoffUntil - 1
  tt.equal(code(await source.resolve('kx')), 'unknown_key')
  tt.equal(endpoint.calls, 5, 'no refetch while the backoff lasts, though the 30 s budget has passed')
  tt.equal(code(await source.resolve('k1')), 'ok', 'a known kid is served meanwhile')

  endpoint.failing = false
  clock.now = backoffUntil
  tt.equal(code(await source.resolve('kx')), 'unknown_key', 'still unknown after the refetch')
  tt.equal(endpoint.calls, 6, 'the refetch happens exactly when the backoff ends')
  tt.equal(source.view().lastError, null)
})

t.test('background refresh: after a failed one, the next waits out the backoff to the millisecond', async (tt) => {
  const endpoint = countingFetcher(100) // fresh for 100 s; the refresh window is its last 10 s
  const clock = { now: START }
  const cache = createJwksCache({ allowPrivateNetwork: true, now: () => clock.now, fetchJwks: endpoint.fetchJwks })
  const source = cache.forPartner('p', 'http://127.0.0.1:1/jwks')
  await source.resolve('k1')
  tt.equal(endpoint.calls, 1)

  endpoint.failing = true
  const failedAt = START + 95 * SECOND // inside the window
  clock.now = failedAt
  tt.equal(code(await source.resolve('k1')), 'ok', 'the request does not wait for the refresh')
  tt.equal(endpoint.calls, 2, 'a background refresh starts')
  await settle()
  tt.not(source.view().lastError, null, 'and fails')

  clock.now = failedAt + 1
  await source.resolve('k1')
  clock.now = failedAt + 5 * SECOND - 1
  await source.resolve('k1')
  tt.ok(source.isCurrent('k1', k1.publicKey), 'the cached key stays current')
  tt.equal(endpoint.calls, 2, 'no refresh during the 5 s backoff, though the set is in its refresh window')

  clock.now = failedAt + 5 * SECOND
  tt.equal(code(await source.resolve('k1')), 'ok')
  tt.equal(endpoint.calls, 3, 'the next refresh starts exactly when the backoff ends')
})

t.test('past freshness a failing endpoint is retried in the background once per backoff, not per request', async (tt) => {
  const endpoint = countingFetcher(100)
  const clock = { now: START }
  const cache = createJwksCache({ allowPrivateNetwork: true, now: () => clock.now, fetchJwks: endpoint.fetchJwks })
  const source = cache.forPartner('p', 'http://127.0.0.1:1/jwks')
  await source.resolve('k1')
  endpoint.failing = true
  clock.now = START + 10 * MINUTE // stale: served from cache while refreshes fail
  const backoffs = [5, 10, 20]
  let failedAt = clock.now
  for (const [i, backoff] of backoffs.entries()) {
    tt.equal(code(await source.resolve('k1')), 'ok', 'stale keys serve')
    await settle()
    tt.equal(endpoint.calls, 2 + i)
    for (const during of [1, backoff * SECOND - 1]) {
      clock.now = failedAt + during
      await source.resolve('k1')
    }
    tt.equal(endpoint.calls, 2 + i, `no retry within the ${backoff} s backoff`)
    failedAt += backoff * SECOND
    clock.now = failedAt
  }
  tt.equal(source.view().servingStale, true)
})
