// POST /integrations/token-checks, the key views and the refresh hooks (docs/reference.md, Partner API and Admin API).
import t, { type Test } from 'tap'
import { admin } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

async function setup(build: Build, tt: Test) {
  const built = await build(tt)
  const key = makeKey('k1')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  await createPartner(built.app, { id: 'acme', jwtIssuer: 'https://acme.example', jwksUrl: jwks.url, jwtAudience: 'y' })
  const apiKey = await createApiKey(built.app, 'acme')
  const now = Math.floor(built.clock.now / 1000)
  const check = (token: unknown) =>
    built.app.inject({ method: 'POST', url: '/integrations/token-checks', headers: { authorization: `Bearer ${apiKey}` }, payload: { token } })
  return { ...built, key, jwks, apiKey, now, check }
}

forEachStore(t, 'a valid token is reported valid, check by check, and nobody is provisioned', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u1', aud: 'y' }, { now: s.now }))
  tt.equal(res.statusCode, 200)
  const body = res.json()
  tt.equal(body.valid, true)
  tt.equal(body.code, null)
  tt.equal(body.header.kid, 'k1')
  tt.equal(body.claims.sub, 'u1')
  tt.same(
    body.checks.map((c: { name: string }) => c.name),
    ['format', 'algorithm', 'critical_headers', 'issuer', 'partner_active', 'key', 'key_strength', 'signature', 'required_claims', 'expiry', 'not_before', 'lifetime', 'audience', 'user_id', 'revocation'],
  )
  tt.ok(body.checks.every((c: { ok: boolean }) => c.ok))
  tt.equal(await s.store.users.get('acme', 'u1'), null, 'no user provisioned')
})

forEachStore(t, 'failures name the check and say why in actionable words', async (tt, build) => {
  const s = await setup(build, tt)
  const expired = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u', aud: 'y' }, { now: s.now - 642, lifetime: 540 }))
  tt.match(expired.json(), { valid: false, code: 'token_expired', detail: 'expired 102 s ago (skew 60 s)' })
  tt.match(expired.json().checks.find((c: { name: string }) => c.name === 'audience'), { ok: true }, 'later checks still run')

  const wrongKid = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u', aud: 'y' }, { now: s.now, header: { kid: 'k2' } }))
  tt.match(wrongKid.json(), { valid: false, code: 'unknown_key', detail: 'kid k2 not in JWKS (has k1)' })
  tt.match(wrongKid.json().checks.at(-1), { name: 'key', ok: false })

  const aud = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u', aud: ['x'] }, { now: s.now }))
  tt.match(aud.json(), { code: 'audience_mismatch', detail: `aud is ["x"], expected "y"` })

  const several = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u', aud: 'z' }, { now: s.now - 7200 }))
  const failed = several.json().checks.filter((c: { ok: boolean }) => !c.ok).map((c: { name: string }) => c.name)
  tt.same(failed, ['expiry', 'audience'], 'every claim problem is listed at once')
  tt.equal(several.json().code, 'token_expired', 'the first failure is the answer')

  const garbage = await s.check('garbage')
  tt.match(garbage.json(), { valid: false, code: 'malformed_token', header: null, claims: null })
  tt.equal((await s.check(42)).statusCode, 400, 'token must be a string')
})

forEachStore(t, "another partner's token is not yours", async (tt, build) => {
  const s = await setup(build, tt)
  const other = makeKey('other')
  await createPartner(s.app, { id: 'other', jwtIssuer: 'https://other.example', jwtPublicKey: other.spkiPem })
  const res = await s.check(await mint(other, { iss: 'https://other.example', sub: 'u' }, { now: s.now }))
  tt.match(res.json(), { valid: false, code: 'unknown_issuer' })
  tt.match(res.json().detail, /not your issuer/)
})

forEachStore(t, 'key view: the verifier view with per-key reasons, and admin refresh', async (tt, build) => {
  const s = await setup(build, tt)
  const weak = makeKey('weak', 1024)
  s.jwks.setKeys([s.key.publicJwk, weak.publicJwk, { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'a', y: 'b' }, { ...makeKey('enc').publicJwk, use: 'enc' }])
  s.jwks.setHeaders({ 'cache-control': 'max-age=120' })
  const refreshed = await s.app.inject({ method: 'POST', url: '/admin/partners/acme/keys/refresh', headers: admin })
  tt.equal(refreshed.statusCode, 200)
  const view = refreshed.json()
  tt.match(view, { source: 'jwks', jwksUrl: s.jwks.url, lastError: null, servingStale: false })
  tt.equal(Date.parse(view.freshUntil) - Date.parse(view.fetchedAt), 120_000, 'max-age honoured')
  tt.match(view.keys, [
    { kid: 'k1', bits: 2048, usable: true, reason: null },
    { kid: 'weak', bits: 1024, usable: false },
    { kid: 'ec', usable: false },
    { kid: 'enc', usable: false },
  ])
  tt.ok(view.keys.slice(1).every((k: { reason: string | null }) => typeof k.reason === 'string' && k.reason.length > 0))
  const get = await s.app.inject({ method: 'GET', url: '/admin/partners/acme/keys', headers: admin })
  tt.same(get.json(), view)

  const staticKey = makeKey('static')
  await createPartner(s.app, { id: 'fixed', jwtIssuer: 'https://fixed.example', jwtPublicKey: staticKey.spkiPem })
  const staticView = await s.app.inject({ method: 'GET', url: '/admin/partners/fixed/keys', headers: admin })
  tt.match(staticView.json(), { source: 'static', keys: [{ bits: 2048, usable: true }] })
  tt.equal((await s.app.inject({ method: 'GET', url: '/admin/partners/nope/keys', headers: admin })).statusCode, 404)
})

forEachStore(t, 'Cache-Control max-age is clamped to [60 s, 24 h]', async (tt, build) => {
  const s = await setup(build, tt)
  const refresh = async (cacheControl: string) => {
    s.jwks.setHeaders({ 'cache-control': cacheControl })
    const v = (await s.app.inject({ method: 'POST', url: '/admin/partners/acme/keys/refresh', headers: admin })).json()
    return (Date.parse(v.freshUntil) - Date.parse(v.fetchedAt)) / 1000
  }
  tt.equal(await refresh('max-age=1'), 60)
  tt.equal(await refresh('public, max-age=999999'), 86400)
  tt.equal(await refresh('no-cache'), 60)
  s.jwks.setHeaders({})
  tt.equal(await refresh(''), 600, 'default 10 min')
})

forEachStore(t, 'a partner announces a rotation itself, at most once per 10 s', async (tt, build) => {
  const s = await setup(build, tt)
  const k2 = makeKey('k2')
  s.jwks.setKeys([s.key.publicJwk, k2.publicJwk])
  const refresh = () => s.app.inject({ method: 'POST', url: '/integrations/keys/refresh', headers: { authorization: `Bearer ${s.apiKey}` } })
  const first = await refresh()
  tt.equal(first.statusCode, 200)
  tt.same(first.json().keys.map((k: { kid: string }) => k.kid), ['k1', 'k2'])
  const second = await refresh()
  tt.equal(second.statusCode, 429)
  tt.equal(second.json().code, 'rate_limited')
  tt.ok(Number(second.headers['retry-after']) >= 1)
  // The new kid verifies right away, without waiting for the 30 s unknown-kid budget.
  const me = await s.app.inject({
    method: 'GET',
    url: '/me',
    headers: { authorization: `Bearer ${await mint(k2, { iss: 'https://acme.example', sub: 'u', aud: 'y' }, { now: s.now })}` },
  })
  tt.equal(me.statusCode, 200)
  s.clock.now += 10_001
  tt.equal((await refresh()).statusCode, 200, 'allowed again after 10 s')
})

forEachStore(t, 'partner writes with a jwksUrl report warnings, never failing the write', async (tt, build) => {
  const s = await setup(build, tt)
  const mixed = await startJwksServer(tt, [makeKey('good').publicJwk, makeKey('tiny', 1024).publicJwk])
  const ok = await createPartner(s.app, { id: 'mixed', jwtIssuer: 'https://mixed.example', jwksUrl: mixed.url })
  tt.match(ok.warnings, [/key tiny skipped: modulus is 1024 bits/])
  const dead = await startJwksServer(tt)
  const deadUrl = dead.url
  await dead.close()
  const down = await createPartner(s.app, { id: 'down', jwtIssuer: 'https://down.example', jwksUrl: deadUrl })
  tt.match(down.warnings, [/^JWKS unreachable/])
  const empty = await startJwksServer(tt, [])
  const none = await createPartner(s.app, { id: 'empty', jwtIssuer: 'https://empty.example', jwksUrl: empty.url })
  tt.same(none.warnings, ['JWKS has no usable key'])
  const patched = await s.app.inject({ method: 'PATCH', url: '/admin/partners/empty', headers: admin, payload: { jwksUrl: mixed.url } })
  tt.equal(patched.statusCode, 200)
  tt.match(patched.json().warnings, [/key tiny skipped/])
  const renamed = await s.app.inject({ method: 'PATCH', url: '/admin/partners/empty', headers: admin, payload: { name: 'E' } })
  tt.notOk('warnings' in renamed.json(), 'no jwksUrl written, no warnings')
})

forEachStore(t, 'a token check previews the user the token would provision, says which claim the user id came from, and writes nothing', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u1', aud: 'y', email: 'ada@example.com', countryCode: 'gb', locale: 'not a locale!' }, { now: s.now }))
  const body = res.json()
  tt.equal(body.valid, true)
  tt.same(body.user, {
    externalUserId: 'u1',
    exists: false,
    profile: { email: 'ada@example.com', displayName: null, phone: null, countryCode: 'GB', locale: null },
    droppedClaims: [{ claim: 'locale', reason: body.user.droppedClaims[0]?.reason }],
  })
  tt.type(body.user.droppedClaims[0].reason, 'string')
  tt.notOk(body.user.droppedClaims[0].reason.includes('not a locale!'), 'a dropped claim is described, never quoted')
  tt.match(body.checks.find((c: { name: string }) => c.name === 'user_id'), { ok: true, detail: 'user id "u1" from claim sub' })
  tt.equal(await s.store.users.get('acme', 'u1'), null, 'nobody provisioned')

  const unsigned = await s.check(await mint(makeKey('stranger'), { iss: 'https://acme.example', sub: 'u1', aud: 'y' }, { now: s.now, header: { kid: 'k1' } }))
  tt.match(unsigned.json(), { code: 'invalid_signature', user: null }, 'no user before the user id claim passed')
  tt.match((await s.check(await mint(s.key, { iss: 'https://acme.example', aud: 'y' }, { now: s.now }))).json(), { code: 'missing_claim', user: null })
  const expired = await s.check(await mint(s.key, { iss: 'https://acme.example', sub: 'u1', aud: 'y' }, { now: s.now - 7200 }))
  tt.match(expired.json(), { code: 'token_expired', user: { externalUserId: 'u1', exists: false } }, 'a later failure still previews the user')
})

forEachStore(t, "a token check previews an existing user's profile update, and reports a revoked token token_revoked, without writing", async (tt, build) => {
  const s = await setup(build, tt)
  const patched = await s.app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { profileUpdate: 'fillEmpty' } })
  tt.equal(patched.statusCode, 200, patched.body)
  const partnerApi = { authorization: `Bearer ${s.apiKey}` }
  const upsert = await s.app.inject({ method: 'POST', url: '/integrations/users', headers: partnerApi, payload: { externalUserId: 'u1', email: 'stored@example.com' } })
  const stored = upsert.json()
  const token = await mint(s.key, { iss: 'https://acme.example', sub: 'u1', aud: 'y', email: 'new@example.com', displayName: 'Ada' }, { now: s.now - 30 })
  const preview = (await s.check(token)).json()
  tt.match(preview, { valid: true, user: { externalUserId: 'u1', exists: true, profile: { email: 'stored@example.com', displayName: 'Ada' }, droppedClaims: [] } })
  tt.match(await s.store.users.get('acme', 'u1'), { displayName: null, updatedAt: stored.updatedAt }, 'the update is only previewed')

  const revoke = await s.app.inject({ method: 'POST', url: '/integrations/users/u1/sessions/revoke', headers: partnerApi })
  tt.equal(revoke.statusCode, 200)
  s.clock.now = Date.parse(revoke.json().tokensValidAfter)
  const revoked = (await s.check(token)).json()
  tt.match(revoked, { valid: false, code: 'token_revoked' })
  tt.match(revoked.checks.at(-1), { name: 'revocation', ok: false })
  tt.match(revoked.user, { exists: true, profile: { email: 'stored@example.com', displayName: null } }, 'a revoked token would write nothing')
})

forEachStore(t, 'GET /integrations/keys answers the calling partner its own key view, as the admin view shows it', async (tt, build) => {
  const s = await setup(build, tt)
  const own = await s.app.inject({ method: 'GET', url: '/integrations/keys', headers: { authorization: `Bearer ${s.apiKey}` } })
  tt.equal(own.statusCode, 200)
  tt.same(own.json(), (await s.app.inject({ method: 'GET', url: '/admin/partners/acme/keys', headers: admin })).json())
  const other = makeKey('other-static')
  await createPartner(s.app, { id: 'other', jwtIssuer: 'https://other.example', jwtPublicKey: other.spkiPem })
  const theirs = await s.app.inject({ method: 'GET', url: '/integrations/keys', headers: { authorization: `Bearer ${await createApiKey(s.app, 'other')}` } })
  tt.match(theirs.json(), { source: 'static' }, "another partner's key answers with that partner's own view")
  tt.equal((await s.app.inject({ method: 'GET', url: '/integrations/keys' })).statusCode, 401)
})
