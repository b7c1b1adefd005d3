// Just-in-time provisioning on /me: claim mapping, no overwrite, and concurrent first requests.
import t, { type Test } from 'tap'
import { admin } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

async function setup(build: Build, tt: Test) {
  const built = await build(tt)
  const key = makeKey('jit')
  await createPartner(built.app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
  const now = Math.floor(built.clock.now / 1000)
  const me = async (claims: Record<string, unknown>) =>
    built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${await mint(key, { iss: 'https://acme.example', ...claims }, { now })}` } })
  return { ...built, me }
}

forEachStore(t, 'claims map onto the new user with the spec normalisation', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.me({ sub: 'u1', email: 'ada@example.com', name: 'Ada L', displayName: '  Ada  ', phone: ' +44 20 ', country: 'gb-eng', locale: 'en-GB' })
  tt.equal(res.statusCode, 200)
  tt.match(res.json().user, { externalUserId: 'u1', email: 'ada@example.com', displayName: 'Ada', phone: '+44 20', countryCode: 'GB', locale: 'en-GB', provisionedBy: 'jit' })
  const viaName = await s.me({ sub: 'u2', name: 'Grace', countryCode: 'us', country: 'fr' })
  tt.match(viaName.json().user, { displayName: 'Grace', countryCode: 'US' })
})

forEachStore(t, 'malformed optional claims are dropped, never a refusal', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.me({ sub: 'u3', email: 'not-an-email', displayName: '   ', phone: 'x'.repeat(40), country: '1x', locale: 'not a locale!', name: 42 })
  tt.equal(res.statusCode, 200)
  tt.match(res.json().user, { email: null, displayName: null, phone: null, countryCode: null, locale: null })
  const metrics = await s.app.inject({ method: 'GET', url: '/metrics' })
  tt.match(metrics.body, /gatehouse_jit_dropped_claims_total\{claim="email"\} 1/)
})

forEachStore(t, 'optional claims with a NUL or an unpaired surrogate are dropped and counted by claim name, never a refusal', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.me({ sub: 'u7', email: 'ada@example.com', displayName: 'Ada\u0000', phone: '+44 20 \udfff', locale: 'en' })
  tt.equal(res.statusCode, 200)
  tt.match(res.json().user, { email: 'ada@example.com', displayName: null, phone: null, locale: 'en' })
  const viaName = await s.me({ sub: 'u8', name: '\ud800Grace' })
  tt.match(viaName.json().user, { displayName: null })
  const metrics = (await s.app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, /gatehouse_jit_dropped_claims_total\{claim="displayName"\} 1\n/)
  tt.match(metrics, /gatehouse_jit_dropped_claims_total\{claim="name"\} 1\n/)
  tt.match(metrics, /gatehouse_jit_dropped_claims_total\{claim="phone"\} 1\n/)
  tt.match(metrics, /gatehouse_jit_provisions_total 2\n/)
})

forEachStore(t, 'JIT fills a new row only: later tokens never overwrite stored fields', async (tt, build) => {
  const s = await setup(build, tt)
  await s.me({ sub: 'u4', email: 'first@example.com' })
  const again = await s.me({ sub: 'u4', email: 'second@example.com', displayName: 'New' })
  tt.equal(again.json().user.email, 'first@example.com')
  tt.equal(again.json().user.displayName, null)
  // An API-provisioned user is not touched by JIT either.
  const key = await createApiKey(s.app, 'acme')
  await s.app.inject({ method: 'POST', url: '/integrations/users', headers: { authorization: `Bearer ${key}` }, payload: { externalUserId: 'u5', email: 'api@example.com' } })
  const jit = await s.me({ sub: 'u5', email: 'jwt@example.com' })
  tt.match(jit.json().user, { email: 'api@example.com', provisionedBy: 'api' })
})

forEachStore(t, "a partner's upsert shows on the returning user's next /me (no stale user or body is served)", async (tt, build) => {
  const s = await setup(build, tt)
  tt.equal((await s.me({ sub: 'u6', email: 'old@example.com' })).json().user.email, 'old@example.com')
  tt.equal((await s.me({ sub: 'u6' })).json().user.email, 'old@example.com', 'a returning user, served as stored')
  const key = await createApiKey(s.app, 'acme')
  const upsert = await s.app.inject({ method: 'POST', url: '/integrations/users', headers: { authorization: `Bearer ${key}` }, payload: { externalUserId: 'u6', email: 'new@example.com', phone: '+44 20 7946 0000' } })
  tt.equal(upsert.statusCode, 200)
  tt.match((await s.me({ sub: 'u6' })).json().user, { email: 'new@example.com', phone: '+44 20 7946 0000', provisionedBy: 'jit' })
})

forEachStore(t, '50 concurrent first requests for one sub create exactly one user, all 200', async (tt, build) => {
  const s = await setup(build, tt)
  const results = await Promise.all(Array.from({ length: 50 }, () => s.me({ sub: 'racer', email: 'r@example.com' })))
  tt.same(new Set(results.map((r) => r.statusCode)), new Set([200]))
  tt.equal(new Set(results.map((r) => r.json().user.id)).size, 1, 'one user id')
  const metrics = await s.app.inject({ method: 'GET', url: '/metrics' })
  tt.match(metrics.body, /gatehouse_jit_provisions_total 1\n/)
})

forEachStore(t, 'a deleted user is provisioned afresh by the next token', async (tt, build) => {
  const s = await setup(build, tt)
  const first = (await s.me({ sub: 'gone' })).json().user.id
  const key = await createApiKey(s.app, 'acme')
  const del = await s.app.inject({ method: 'DELETE', url: '/integrations/users/gone', headers: { authorization: `Bearer ${key}` } })
  tt.equal(del.statusCode, 204)
  const second = (await s.me({ sub: 'gone' })).json().user.id
  tt.not(second, first)
  void admin
})
