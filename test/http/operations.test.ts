// /healthz, /readyz and /metrics: Prometheus text with bounded labels.
import t from 'tap'
import { build } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'

t.test('healthz and readyz', async (tt) => {
  const { app, store } = await build(tt)
  tt.same((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' })
  tt.same((await app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' })
  await store.close()
  const notReady = await app.inject({ method: 'GET', url: '/readyz' })
  tt.equal(notReady.statusCode, 503, 'database gone: not ready')
  tt.match(String(notReady.headers['content-type']), /^application\/problem\+json/)
  tt.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process is still up')
})

t.test('metrics cover requests, verification outcomes, JWKS fetches, cache lookups and JIT', async (tt) => {
  const { app, clock } = await build(tt)
  const key = makeKey('m1')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwksUrl: jwks.url })
  const now = Math.floor(clock.now / 1000)
  const token = await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'bad' }, { now })
  const me = (tok: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${tok}` } })
  await me(token)
  await me(token)
  await me(await mint(key, { iss: 'https://acme.example', sub: 'u2' }, { now: now - 7200 }))
  await me(await mint(key, { iss: 'https://nobody.example', sub: 'u2' }, { now }))
  await app.inject({ method: 'GET', url: '/integrations/users/some%20user' })

  const res = await app.inject({ method: 'GET', url: '/metrics' })
  tt.equal(res.statusCode, 200)
  tt.match(String(res.headers['content-type']), /^text\/plain/)
  const text = res.body
  tt.match(text, /gatehouse_http_requests_total\{method="GET",route="\/me",status="200"\} 2/)
  tt.match(text, /gatehouse_http_requests_total\{method="GET",route="\/integrations\/users\/:externalUserId",status="401"\} 1/, 'route templates, never raw URLs')
  tt.notOk(text.includes('some%20user'))
  tt.match(text, /gatehouse_token_verifications_total\{code="ok",partner="acme"\} 2/)
  tt.match(text, /gatehouse_token_verifications_total\{code="token_expired",partner="acme"\} 1/)
  tt.match(text, /gatehouse_token_verifications_total\{code="unknown_issuer",partner=""\} 1/, 'an unknown iss never becomes a label')
  tt.match(text, /gatehouse_jwks_fetches_total\{outcome="ok",partner="acme"\} 1/)
  tt.match(text, /gatehouse_jwks_fetch_duration_seconds_count\{outcome="ok",partner="acme"\} 1/)
  tt.match(text, /gatehouse_jwks_key_cache_lookups_total\{result="hit"\} \d+/)
  tt.match(text, /gatehouse_verify_cache_lookups_total\{result="hit"\} 1/)
  tt.match(text, /gatehouse_jit_provisions_total 1/)
  tt.match(text, /gatehouse_jit_dropped_claims_total\{claim="email"\} 1/)
  tt.match(text, /gatehouse_process_resident_memory_bytes/)
})
