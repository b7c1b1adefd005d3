// Session revocation (docs/reference.md, Users and the last row of Token verification): the partner, admin
// and /me sides, on both stores, and across two instances sharing one PostgreSQL database.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/storage/index.js'
import { ADMIN_TOKEN, admin, type Built } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner, type PartnerSetup } from '../helpers/partners.js'
import { startStatementLog, untilUserCached } from '../helpers/pg-statement-log.js'
import { freshSchema, postgresOnly } from '../helpers/postgres.js'
import { assertInvalid, assertProblem } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'
import { waitFor } from '../helpers/wait-for.js'

const key = makeKey('revocation')
const ISS = 'https://acme.example'

function onEachStore(name: string, fn: (tt: Test, built: Built) => Promise<void>): void {
  forEachStore(t, name, async (tt, build) => fn(tt, await build(tt)))
}

async function setup(built: Built, partner: Partial<PartnerSetup> = {}) {
  await createPartner(built.app, { id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem, ...partner })
  const apiKey = await createApiKey(built.app, 'acme')
  const partnerApi = { authorization: `Bearer ${apiKey}` }
  const me = (token: string) => built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  const revoke = async (externalUserId: string) => {
    const res = await built.app.inject({ method: 'POST', url: `/integrations/users/${encodeURIComponent(externalUserId)}/sessions/revoke`, headers: partnerApi })
    if (res.statusCode !== 200) throw new Error(`revoke: ${res.statusCode} ${res.body}`)
    return res.json() as { tokensValidAfter: string; updatedAt: string }
  }
  const seconds = (iso: string) => Date.parse(iso) / 1000
  return { ...built, partnerApi, me, revoke, seconds, now: Math.floor(built.clock.now / 1000) }
}

onEachStore('a token issued before the revocation is refused token_revoked, whatever the result cache holds; one issued at or after it is accepted', async (tt, built) => {
  const s = await setup(built)
  const before = await mint(key, { iss: ISS, sub: 'u1' }, { now: s.now - 30 })
  tt.equal((await s.me(before)).statusCode, 200, 'accepted (and its result cached) before the revocation')
  tt.equal((await s.me(before)).statusCode, 200)

  const revoked = await s.revoke('u1')
  tt.match(revoked.tokensValidAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, 'whole seconds, ISO-8601')
  const validAfter = s.seconds(revoked.tokensValidAfter)
  s.clock.now = validAfter * 1000

  const refused = await s.me(before)
  const problem = assertProblem(tt, refused, 401, 'token_revoked')
  tt.equal(refused.headers['www-authenticate'], 'Bearer realm="gatehouse", error="invalid_token", error_description="token_revoked"')
  tt.notOk(problem.detail.includes(before), 'the token is never echoed')
  assertProblem(tt, await s.me(await mint(key, { iss: ISS, sub: 'u1' }, { now: validAfter - 1 })), 401, 'token_revoked', 'issued one second before')
  tt.equal((await s.me(await mint(key, { iss: ISS, sub: 'u1' }, { now: validAfter }))).statusCode, 200, 'issued at the revocation instant')
  tt.equal((await s.me(await mint(key, { iss: ISS, sub: 'u2' }, { now: s.now - 30 }))).statusCode, 200, "another user's tokens are untouched")

  const metrics = (await s.app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, /gatehouse_token_verifications_total\{code="token_revoked",partner="acme"\} 2\n/)
})

onEachStore('a revoked token never re-provisions or changes its user; deleting the user clears the revocation', async (tt, built) => {
  const s = await setup(built, { profileUpdate: 'overwrite' })
  const first = (await s.me(await mint(key, { iss: ISS, sub: 'u1', email: 'old@example.com' }, { now: s.now - 30 }))).json().user
  const revoked = await s.revoke('u1')
  const stale = await mint(key, { iss: ISS, sub: 'u1', email: 'new@example.com' }, { now: s.seconds(revoked.tokensValidAfter) - 5 })
  assertProblem(tt, await s.me(stale), 401, 'token_revoked')
  const stored = await s.store.users.get('acme', 'u1')
  tt.match(stored, { id: first.id, email: 'old@example.com', updatedAt: revoked.updatedAt }, 'the refused token wrote nothing')

  const del = await s.app.inject({ method: 'DELETE', url: '/integrations/users/u1', headers: s.partnerApi })
  tt.equal(del.statusCode, 204)
  const fresh = await s.me(stale)
  tt.equal(fresh.statusCode, 200, 'the deleted user is provisioned afresh')
  tt.not(fresh.json().user.id, first.id)
  tt.equal(fresh.json().user.tokensValidAfter, null, 'a new user starts unrevoked')
})

onEachStore('a token without iat counts as issued at exp − L, L the larger of the lifetime now and at the revocation', async (tt, built) => {
  const s = await setup(built, { requireIssuedAt: false, maxTokenLifetimeSeconds: 600 })
  const { tokensValidAfter } = await s.revoke((await s.me(await mint(key, { iss: ISS, sub: 'u1', iat: undefined }, { now: s.now }))).json().user.externalUserId)
  const at = s.seconds(tokensValidAfter)
  s.clock.now = at * 1000
  const noIat = (exp: number) => mint(key, { iss: ISS, sub: 'u1', iat: undefined, exp })
  assertProblem(tt, await s.me(await noIat(at + 599)), 401, 'token_revoked', 'exp − 600 is before the revocation')
  tt.equal((await s.me(await noIat(at + 600))).statusCode, 200, 'exp − 600 is the revocation instant')

  const patch = (maxTokenLifetimeSeconds: number) =>
    s.app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { maxTokenLifetimeSeconds } })
  tt.equal((await patch(300)).statusCode, 200)
  // Five minutes on, a token expiring at at + 599 passes the 300 s lifetime check (exp − now ≤ 300).
  s.clock.now = (at + 300) * 1000
  assertProblem(tt, await s.me(await noIat(at + 599)), 401, 'token_revoked', 'a shorter lifetime now does not shrink L below the one at revocation')
  s.clock.now = at * 1000
  tt.equal((await patch(900)).statusCode, 200)
  assertProblem(tt, await s.me(await noIat(at + 899)), 401, 'token_revoked', 'a longer lifetime now widens L')
  tt.equal((await s.me(await noIat(at + 900))).statusCode, 200)
})

onEachStore('session revocation routes: no body or {}, 200 user or 404, audited, and only for your own users', async (tt, built) => {
  const s = await setup(built)
  await s.me(await mint(key, { iss: ISS, sub: 'user/42 é' }, { now: s.now }))
  const url = `/integrations/users/${encodeURIComponent('user/42 é')}/sessions/revoke`
  const noBody = await s.app.inject({ method: 'POST', url, headers: s.partnerApi })
  tt.equal(noBody.statusCode, 200)
  tt.match(noBody.json(), { externalUserId: 'user/42 é', tokensValidAfter: String, provisionedBy: 'jit' })
  tt.notOk('revocationLifetimeSeconds' in noBody.json(), 'internal fields stay internal')
  tt.equal((await s.app.inject({ method: 'POST', url, headers: s.partnerApi, payload: {} })).statusCode, 200, '{} is no body')
  assertInvalid(tt, await s.app.inject({ method: 'POST', url, headers: s.partnerApi, payload: { tokensValidAfter: '2020-01-01T00:00:00Z' } }), ['/tokensValidAfter'], 'a field')
  assertProblem(tt, await s.app.inject({ method: 'POST', url, headers: { ...s.partnerApi, 'content-type': 'application/json' }, payload: '[]' }), 400, 'invalid_request', 'an array')
  assertProblem(tt, await s.app.inject({ method: 'POST', url: '/integrations/users/nobody/sessions/revoke', headers: s.partnerApi }), 404, 'not_found')

  await createPartner(s.app, { id: 'other', jwtPublicKey: makeKey('revocation-other').spkiPem })
  const otherApi = { authorization: `Bearer ${await createApiKey(s.app, 'other')}` }
  assertProblem(tt, await s.app.inject({ method: 'POST', url, headers: otherApi }), 404, 'not_found', "another partner's user")

  const adminUrl = (partner: string, user: string) => `/admin/partners/${partner}/users/${encodeURIComponent(user)}/sessions/revoke`
  const viaAdmin = await s.app.inject({ method: 'POST', url: adminUrl('acme', 'user/42 é'), headers: admin })
  tt.equal(viaAdmin.statusCode, 200)
  tt.match(viaAdmin.json(), { partnerId: 'acme', externalUserId: 'user/42 é', tokensValidAfter: String })
  assertProblem(tt, await s.app.inject({ method: 'POST', url: adminUrl('nope', 'user/42 é'), headers: admin }), 404, 'not_found', 'unknown partner')
  assertProblem(tt, await s.app.inject({ method: 'POST', url: adminUrl('acme', 'nobody'), headers: admin }), 404, 'not_found', 'unknown user')
  assertInvalid(tt, await s.app.inject({ method: 'POST', url: adminUrl('acme', 'user/42 é'), headers: admin, payload: { x: 1 } }), ['/x'], 'admin: a field')
  assertProblem(tt, await s.app.inject({ method: 'POST', url: adminUrl('acme', 'user/42 é') }), 401, 'unauthorized')

  const audit = (await s.app.inject({ method: 'GET', url: '/admin/audit?partnerId=acme', headers: admin })).json()
  const revocations = audit.items.filter((e: { action: string }) => e.action === 'user.revoke_sessions')
  tt.equal(revocations.length, 3, 'every revocation is audited')
  tt.match(revocations[0], { actor: 'env', changedFields: ['tokensValidAfter'] })
  tt.match(revocations[2], { actor: /^api-key:/ })
})

onEachStore('upserts cannot set tokensValidAfter, and never clear a revocation', async (tt, built) => {
  const s = await setup(built)
  const upsert = (payload: object) => s.app.inject({ method: 'POST', url: '/integrations/users', headers: s.partnerApi, payload })
  assertInvalid(tt, await upsert({ externalUserId: 'u1', tokensValidAfter: null }), ['/tokensValidAfter'])
  tt.equal((await upsert({ externalUserId: 'u1' })).json().tokensValidAfter, null, 'a new user starts unrevoked')
  const { tokensValidAfter } = await s.revoke('u1')
  tt.equal((await upsert({ externalUserId: 'u1', email: 'a@example.com' })).json().tokensValidAfter, tokensValidAfter)
})

t.test('[postgres] a revocation through instance A holds on A at once and on B within 5 s, whatever B caches', postgresOnly(), async (tt) => {
  const fresh = await freshSchema(tt)
  const bLog = await startStatementLog(tt, fresh.url)
  const instance = async (url: string): Promise<FastifyInstance> => {
    const config = loadConfig({ DATABASE_URL: url, ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'silent' })
    const store = await openStore(config.database)
    const app = await buildApp({ config, store, logger: false })
    tt.teardown(async () => {
      await app.close()
      await store.close()
    })
    return app
  }
  const a = await instance(fresh.url)
  await createPartner(a, { id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem })
  const apiKey = await createApiKey(a, 'acme')
  const b = await instance(bLog.url)
  const token = await mint(key, { iss: ISS, sub: 'u1' }, { now: Math.floor(Date.now() / 1000) - 30 })
  const me = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  tt.equal((await me(b)).statusCode, 200, 'B has verified the token and cached the result and the user')
  tt.equal((await me(a)).statusCode, 200, 'so has A')
  // B answers u1 from its user cache (its change listener has confirmed a heartbeat): the revocation below
  // has a warm cache to get past.
  await untilUserCached(bLog, () => me(b))
  const revoked = await a.inject({ method: 'POST', url: '/integrations/users/u1/sessions/revoke', headers: { authorization: `Bearer ${apiKey}` } })
  tt.equal(revoked.statusCode, 200)
  assertProblem(tt, await me(a), 401, 'token_revoked', "A's very next request")
  const started = Date.now()
  const onB = await waitFor(() => me(b), (res) => res.statusCode === 401, 6000)
  const ms = Date.now() - started
  assertProblem(tt, onB, 401, 'token_revoked', 'B')
  tt.ok(ms < 5000, `B refuses it after ${ms} ms`)
})
