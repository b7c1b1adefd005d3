// METRICS_TOKEN puts /metrics behind a bearer token; unset, /metrics stays open as before.
import t from 'tap'
import { build } from '../helpers/build-app.js'
import { assertProblem } from '../helpers/problem.js'

const METRICS_TOKEN = 'scrape-token-0123456789abcdef'

t.test('with METRICS_TOKEN set, /metrics answers only to that bearer token', async (tt) => {
  const { app } = await build(tt, { env: { METRICS_TOKEN } })
  const scrape = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} })
  for (const [what, authorization] of [
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer scrape-token-0123456789abcdeX'],
    ['a prefix of the token', `Bearer ${METRICS_TOKEN.slice(0, -1)}`],
    ['the token under another scheme', `Basic ${METRICS_TOKEN}`],
  ] as const) {
    const res = await scrape(authorization)
    assertProblem(tt, res, 401, 'unauthorized', what)
    tt.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse"', `${what}: WWW-Authenticate`)
    tt.notOk(res.body.includes('gatehouse_http_requests_total'), `${what}: no metrics`)
  }
  const ok = await scrape(`Bearer ${METRICS_TOKEN}`)
  tt.equal(ok.statusCode, 200)
  tt.match(String(ok.headers['content-type']), /^text\/plain/)
  tt.match(ok.body, /gatehouse_http_requests_total\{method="GET",route="\/metrics",status="401"\} 4/)
  tt.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, '/healthz needs no token')
  tt.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, '/readyz needs no token')
})

t.test('wrong metrics tokens count as failed authentications of their address', async (tt) => {
  const { app } = await build(tt, { env: { METRICS_TOKEN, AUTH_FAILURES_PER_MINUTE: '2' } })
  const scrape = (token: string) => app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
  tt.equal((await scrape('guess-1')).statusCode, 401)
  tt.equal((await scrape('guess-2')).statusCode, 401)
  assertProblem(tt, await scrape('guess-3'), 429, 'rate_limited')
  tt.equal((await scrape(METRICS_TOKEN)).statusCode, 200, 'the right token still scrapes')
})

t.test('without METRICS_TOKEN, /metrics is open', async (tt) => {
  const { app } = await build(tt)
  tt.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200)
})
