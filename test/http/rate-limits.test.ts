// Failed-authentication limits per IP and request budgets per credential: 429 problem+json with Retry-After.
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { admin, build } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'

t.test('failed authentications per IP are limited across /admin, /integrations and /me', async (tt) => {
  const { app, clock } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '3' } })
  const bad = { authorization: 'Bearer wrong-token' }
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: bad })).statusCode, 401)
  tt.equal((await app.inject({ method: 'GET', url: '/integrations/users/x', headers: bad })).statusCode, 401)
  tt.equal((await app.inject({ method: 'GET', url: '/me', headers: bad })).statusCode, 401)
  const blocked = await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })
  tt.equal(blocked.statusCode, 429, 'even a valid credential waits once the address is blocked')
  tt.equal(blocked.json().code, 'rate_limited')
  tt.match(String(blocked.headers['content-type']), /^application\/problem\+json/)
  tt.ok(Number(blocked.headers['retry-after']) >= 1 && Number(blocked.headers['retry-after']) <= 60)
  tt.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'operations endpoints are not limited')
  clock.now += 61_000
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200, 'the window resets')
})

t.test('successful requests never spend the failure budget', async (tt) => {
  const { app } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '2' } })
  for (let i = 0; i < 20; i++) tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200)
})

t.test('optional request budget per API key and per admin token', async (tt) => {
  const { app, clock } = await build(tt, { env: { API_KEY_REQUESTS_PER_MINUTE: '2', ADMIN_REQUESTS_PER_MINUTE: '5' } })
  const key = makeKey('rl')
  await createPartner(app, { id: 'acme', jwtPublicKey: key.spkiPem })
  const apiKey = await createApiKey(app, 'acme')
  const otherKey = await createApiKey(app, 'acme')
  const get = (k: string) => app.inject({ method: 'GET', url: '/integrations/users/x', headers: { authorization: `Bearer ${k}` } })
  tt.equal((await get(apiKey)).statusCode, 404)
  tt.equal((await get(apiKey)).statusCode, 404)
  const limited = await get(apiKey)
  tt.equal(limited.statusCode, 429)
  tt.equal(limited.json().code, 'rate_limited')
  tt.ok(Number(limited.headers['retry-after']) >= 1)
  tt.equal((await get(otherKey)).statusCode, 404, 'budgets are per key')
  // Admin budget: 2 requests were spent creating the keys and 1 creating the partner.
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200)
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200)
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 429)
  const me = await app.inject({
    method: 'GET',
    url: '/me',
    headers: { authorization: `Bearer ${await mint(key, { iss: 'https://acme.example', sub: 'u' }, { now: Math.floor(clock.now / 1000) })}` },
  })
  tt.equal(me.statusCode, 200, '/me has no per-credential budget')
})

t.test('defaults are generous and budgets are off unless configured', async (tt) => {
  const config = loadConfig({})
  tt.ok(config.rateLimits.authFailuresPerIp >= 1000)
  tt.equal(config.rateLimits.perApiKey, 0)
  tt.equal(config.rateLimits.perAdminToken, 0)
  tt.equal(loadConfig({ AUTH_FAILURES_PER_MINUTE: '0' }).rateLimits.authFailuresPerIp, 0, '0 turns the limit off')
})
