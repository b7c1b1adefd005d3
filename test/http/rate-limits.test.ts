// Failed-authentication limits per address and request budgets per credential: 429 problem+json with Retry-After,
// never for a request whose own credential is valid.
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { ADMIN_TOKEN, admin, build } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertProblem } from '../helpers/problem.js'

t.test('failed authentications per address are limited across /admin, /integrations and /me', async (tt) => {
  const { app, clock } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '3' } })
  const bad = { authorization: 'Bearer wrong-token' }
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: bad })).statusCode, 401)
  tt.equal((await app.inject({ method: 'GET', url: '/integrations/users/x', headers: bad })).statusCode, 401)
  tt.equal((await app.inject({ method: 'GET', url: '/me', headers: bad })).statusCode, 401)
  for (const url of ['/admin/partners', '/integrations/users/x', '/me']) {
    const blocked = await app.inject({ method: 'GET', url, headers: bad })
    assertProblem(tt, blocked, 429, 'rate_limited', `${url} once the address is blocked`)
    tt.ok(Number(blocked.headers['retry-after']) >= 1 && Number(blocked.headers['retry-after']) <= 60, 'Retry-After within the window')
  }
  tt.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'operations endpoints are not limited')
  clock.now += 61_000
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: bad })).statusCode, 401, 'the window resets')
})

t.test('a valid partner token, API key and admin token are served from an address blocked by junk', async (tt) => {
  const { app, clock } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '5' } })
  const key = makeKey('innocent')
  await createPartner(app, { id: 'acme', jwtPublicKey: key.spkiPem })
  const apiKey = await createApiKey(app, 'acme')
  const token = await mint(key, { iss: 'https://acme.example', sub: 'u1' }, { now: Math.floor(clock.now / 1000) })
  tt.equal((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, 'u1 exists')
  const junk = ['/me', '/integrations/users/u1', '/admin/partners']
  for (let i = 0; i < 30; i++) {
    await app.inject({ method: 'GET', url: junk[i % 3]!, headers: { authorization: `Bearer junk-${i}` } })
  }
  for (const url of junk) {
    const refused = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer more-junk' } })
    assertProblem(tt, refused, 429, 'rate_limited', `junk on ${url} is still refused`)
    tt.ok(Number(refused.headers['retry-after']) >= 1, 'with Retry-After')
  }
  tt.equal((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, 'a valid partner token')
  tt.equal((await app.inject({ method: 'GET', url: '/integrations/users/u1', headers: { authorization: `Bearer ${apiKey}` } })).statusCode, 200, 'a valid API key')
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200, 'the admin token')
  assertProblem(tt, await app.inject({ method: 'GET', url: '/me' }), 429, 'rate_limited', 'a request without a credential fails to authenticate too')
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

t.test('a request budget counts the credential, not the spelling of its Authorization header', async (tt) => {
  const { app } = await build(tt, { env: { API_KEY_REQUESTS_PER_MINUTE: '3', ADMIN_REQUESTS_PER_MINUTE: '4' } })
  await createPartner(app, { id: 'acme', jwtPublicKey: makeKey('spelling').spkiPem })
  const apiKey = await createApiKey(app, 'acme')
  const spellings = (secret: string) => [`bearer ${secret}`, `BEARER ${secret}`, `Bearer  ${secret}`, `Bearer ${secret} `]
  const keyAnswers = []
  for (const authorization of spellings(apiKey)) {
    keyAnswers.push((await app.inject({ method: 'GET', url: '/integrations/users/nobody', headers: { authorization } })).statusCode)
  }
  tt.same(keyAnswers, [404, 404, 404, 429], 'one API key, one budget of 3')
  // The admin budget of 4 already paid for creating the partner and the key.
  const adminAnswers = []
  for (const authorization of spellings(ADMIN_TOKEN)) {
    adminAnswers.push((await app.inject({ method: 'GET', url: '/admin/partners', headers: { authorization } })).statusCode)
  }
  tt.same(adminAnswers, [200, 200, 429, 429], 'one admin token, one budget of 4')
})

t.test('defaults are generous and budgets are off unless configured', async (tt) => {
  const config = loadConfig({})
  tt.ok(config.rateLimits.authFailuresPerIp >= 1000)
  tt.equal(config.rateLimits.perApiKey, 0)
  tt.equal(config.rateLimits.perAdminToken, 0)
  tt.equal(loadConfig({ AUTH_FAILURES_PER_MINUTE: '0' }).rateLimits.authFailuresPerIp, 0, '0 turns the limit off')
})
