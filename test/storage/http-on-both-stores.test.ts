// The HTTP API's critical paths, run on each store through the real app: admin writes with ETags and
// conflicts, partner upserts, JIT under concurrency, readiness. PostgreSQL runs when GATEHOUSE_TEST_POSTGRES_URL is set.
import t, { type Test } from 'tap'
import { admin, type Built } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { forEachStore } from '../helpers/stores.js'

function onEachStore(name: string, fn: (tt: Test, built: Built) => Promise<void>): void {
  forEachStore(t, name, async (tt, build) => fn(tt, await build(tt)))
}

const key = makeKey('http-both')
const json = { ...admin, 'content-type': 'application/json' }

onEachStore('admin: create, ETag, If-Match, duplicate issuer, delete only when disabled', async (tt, { app }) => {
  const created = await app.inject({ method: 'POST', url: '/admin/partners', headers: json, payload: { id: 'acme', name: 'Acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem } })
  tt.equal(created.statusCode, 201)
  tt.equal(created.headers.etag, '"1"')
  const dupIssuer = await app.inject({ method: 'POST', url: '/admin/partners', headers: json, payload: { id: 'other', name: 'O', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem } })
  tt.equal(dupIssuer.statusCode, 409)
  tt.equal(dupIssuer.json().code, 'conflict')
  const stale = await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { ...json, 'if-match': '"7"' }, payload: { name: 'X' } })
  tt.equal(stale.statusCode, 412)
  const patched = await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { ...json, 'if-match': '"1"' }, payload: { name: 'Acme 2', jwtAudience: 'aud' } })
  tt.equal(patched.statusCode, 200)
  tt.equal(patched.headers.etag, '"2"')
  tt.match(patched.json(), { name: 'Acme 2', jwtAudience: 'aud', version: 2 })
  tt.equal((await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: admin })).statusCode, 409, 'active: not deletable')
  await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: json, payload: { status: 'disabled' } })
  tt.equal((await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: { ...admin, 'if-match': '"3"' } })).statusCode, 204)
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners/acme', headers: admin })).statusCode, 404)
  const audit = (await app.inject({ method: 'GET', url: '/admin/audit?partnerId=acme', headers: admin })).json()
  tt.same(audit.items.map((e: { action: string }) => e.action), ['partner.delete', 'partner.update', 'partner.update', 'partner.create'])
})

onEachStore('admin: a duplicate partner id is 409', async (tt, { app }) => {
  await createPartner(app, { id: 'acme', jwtPublicKey: key.spkiPem })
  const dup = await app.inject({ method: 'POST', url: '/admin/partners', headers: json, payload: { id: 'acme', name: 'Again', jwtIssuer: 'https://again.example', jwtPublicKey: key.spkiPem } })
  tt.equal(dup.statusCode, 409)
  tt.equal(dup.json().code, 'conflict')
})

onEachStore('integrations: upsert 201 then 200, absent unchanged, null clears; get, delete; revoked key refused', async (tt, { app }) => {
  await createPartner(app, { id: 'acme', jwtPublicKey: key.spkiPem })
  const created = await app.inject({ method: 'POST', url: '/admin/partners/acme/api-keys', headers: admin })
  const { id: keyId, key: apiKey } = created.json()
  const auth = { authorization: `Bearer ${apiKey}` }
  const first = await app.inject({ method: 'POST', url: '/integrations/users', headers: auth, payload: { externalUserId: 'ü/1', email: 'a@example.com', countryCode: 'gb' } })
  tt.equal(first.statusCode, 201)
  tt.match(first.json(), { externalUserId: 'ü/1', email: 'a@example.com', countryCode: 'GB', provisionedBy: 'api' })
  const second = await app.inject({ method: 'POST', url: '/integrations/users', headers: auth, payload: { externalUserId: 'ü/1', email: null, locale: 'en' } })
  tt.equal(second.statusCode, 200)
  tt.match(second.json(), { id: first.json().id, email: null, countryCode: 'GB', locale: 'en' })
  const path = `/integrations/users/${encodeURIComponent('ü/1')}`
  tt.same((await app.inject({ method: 'GET', url: path, headers: auth })).json(), second.json())
  tt.equal((await app.inject({ method: 'DELETE', url: path, headers: auth })).statusCode, 204)
  tt.equal((await app.inject({ method: 'GET', url: path, headers: auth })).statusCode, 404)
  tt.equal((await app.inject({ method: 'DELETE', url: `/admin/partners/acme/api-keys/${keyId}`, headers: admin })).statusCode, 204)
  tt.equal((await app.inject({ method: 'GET', url: path, headers: auth })).statusCode, 401, 'revoked key refused at once')
})

onEachStore('me: 50 concurrent first requests for one sub create exactly one user, all 200', async (tt, { app, clock }) => {
  await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
  const token = await mint(key, { iss: 'https://acme.example', sub: 'racer', email: 'r@example.com' }, { now: Math.floor(clock.now / 1000) })
  const results = await Promise.all(Array.from({ length: 50 }, () => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })))
  tt.same(new Set(results.map((r) => r.statusCode)), new Set([200]))
  tt.equal(new Set(results.map((r) => r.json().user.id)).size, 1)
  tt.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /gatehouse_jit_provisions_total 1\n/)
  const apiKey = await createApiKey(app, 'acme')
  tt.match((await app.inject({ method: 'GET', url: '/integrations/users/racer', headers: { authorization: `Bearer ${apiKey}` } })).json(), { provisionedBy: 'jit', email: 'r@example.com' })
})

onEachStore('me: a partner edit holds on the very next request of the instance that made it', async (tt, { app, clock }) => {
  await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
  const token = await mint(key, { iss: 'https://acme.example', sub: 'u' }, { now: Math.floor(clock.now / 1000) })
  const me = () => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  tt.equal((await me()).statusCode, 200)
  await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: json, payload: { status: 'disabled' } })
  tt.match((await me()).headers['www-authenticate'], /error_description="partner_disabled"/)
})

onEachStore('operations: readyz answers 200 on a migrated database', async (tt, { app }) => {
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  tt.equal(res.statusCode, 200)
  tt.same(res.json(), { status: 'ready' })
})
