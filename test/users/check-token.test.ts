// checkTokenAndUser: the token check's last rows (user id, revocation) and the preview of what the token would write,
// over the real token core and a real SQLite user store; it never writes.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import type { PartnerRecord } from '../../src/storage/types.js'
import { checkTokenAndUser } from '../../src/users/check-token.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { partnerRecord, tokenCore } from '../helpers/token-core.js'

type Tap = Parameters<typeof tempDbPath>[0]

const key = makeKey('check-token')

async function setup(tt: Tap, over: Partial<PartnerRecord> = {}) {
  const record = partnerRecord({ id: 'acme', jwtPublicKey: key.spkiPem, ...over })
  const core = await tokenCore([record])
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  const { id: _i, version: _v, createdAt: _c, updatedAt: _u, ...fields } = record
  await store.partners.create('acme', partnerFields(fields), 'test')
  const check = (token: string, partnerId = 'acme') => checkTokenAndUser(token, partnerId, { ...core.options, users: store.users })
  return { core, store, check }
}

const NO_PROFILE = { email: null, displayName: null, phone: null, countryCode: null, locale: null }

t.test('a token failing before the user id check has no user preview and no user_id or revocation rows', async (tt) => {
  const { core, check } = await setup(tt)
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: undefined }, { now: core.nowSec() }))
  tt.equal(report.valid, false)
  tt.equal(report.user, null)
  tt.notOk(report.checks.some((c) => c.name === 'user_id' || c.name === 'revocation'))
})

t.test('a partner id the directory does not know has no user preview', async (tt) => {
  const { core, check } = await setup(tt)
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1' }, { now: core.nowSec() }), 'nobody')
  tt.equal(report.user, null)
})

t.test('a new user: the token would provision one, with the profile its claims give and the claims it drops', async (tt) => {
  const { core, check, store } = await setup(tt)
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'a@example.com', phone: 7 }, { now: core.nowSec() }))
  tt.equal(report.valid, true)
  tt.same(report.checks.slice(-2), [
    { name: 'user_id', ok: true, detail: 'user id "u1" from claim sub' },
    { name: 'revocation', ok: true, detail: 'no such user yet: the token would provision one' },
  ])
  tt.same(report.user, { externalUserId: 'u1', exists: false, profile: { ...NO_PROFILE, email: 'a@example.com' }, droppedClaims: [{ claim: 'phone', reason: 'is a number, not a string' }] })
  tt.equal(await store.users.get('acme', 'u1'), null, 'nobody is provisioned')
})

t.test('an existing user never revoked: the profile it would have after the partner profileUpdate', async (tt) => {
  const { core, check, store } = await setup(tt, { profileUpdate: 'fillEmpty' })
  await store.users.provision('acme', 'u1', { email: 'old@example.com' })
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'new@example.com', name: 'Ann' }, { now: core.nowSec() }))
  tt.same(report.checks.at(-1), { name: 'revocation', ok: true, detail: 'sessions never revoked' })
  tt.same(report.user, { externalUserId: 'u1', exists: true, profile: { ...NO_PROFILE, email: 'old@example.com', displayName: 'Ann' }, droppedClaims: [] })
  tt.equal((await store.users.get('acme', 'u1'))?.displayName, null, 'nothing is written')
})

t.test('an existing user under never: the preview is the stored profile', async (tt) => {
  const { core, check, store } = await setup(tt)
  await store.users.provision('acme', 'u1', { email: 'old@example.com' })
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'new@example.com' }, { now: core.nowSec() }))
  tt.same(report.user?.profile, { ...NO_PROFILE, email: 'old@example.com' })
})

t.test('revoked sessions: an older valid token is refused token_revoked, a newer one passes and says after which revocation', async (tt) => {
  const { core, check, store } = await setup(tt, { profileUpdate: 'overwrite' })
  await store.users.provision('acme', 'u1', { email: 'old@example.com' })
  const revoked = await store.users.revokeSessions('acme', 'u1', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
  const at = Date.parse(revoked!.tokensValidAfter!) / 1000
  core.clock.now = at * 1000
  const older = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'new@example.com' }, { now: at - 10 }))
  tt.match(older, { valid: false, code: 'token_revoked', detail: /sessions revoked at/ })
  tt.match(older.checks.at(-1), { name: 'revocation', ok: false, detail: older.detail })
  tt.same(older.user, { externalUserId: 'u1', exists: true, profile: { ...NO_PROFILE, email: 'old@example.com' }, droppedClaims: [] }, 'a refused token changes nothing')
  const newer = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', email: 'new@example.com' }, { now: at }))
  tt.match(newer, { valid: true, code: null })
  tt.same(newer.checks.at(-1), { name: 'revocation', ok: true, detail: `issued after the revocation at ${revoked!.tokensValidAfter}` })
  tt.same(newer.user?.profile, { ...NO_PROFILE, email: 'new@example.com' })
})

t.test('revoked sessions and an earlier failure: the first failure stays the answer', async (tt) => {
  const { core, check, store } = await setup(tt, { jwtAudience: 'api' })
  await store.users.provision('acme', 'u1', {})
  const revoked = await store.users.revokeSessions('acme', 'u1', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
  const at = Date.parse(revoked!.tokensValidAfter!) / 1000
  core.clock.now = at * 1000
  const report = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', aud: 'other' }, { now: at - 10 }))
  tt.equal(report.code, 'audience_mismatch')
  tt.match(report.checks.at(-1), { name: 'revocation', ok: false })
})

t.test('a token without iat is judged issued at exp − the partner lifetime', async (tt) => {
  const { core, check, store } = await setup(tt, { requireIssuedAt: false, maxTokenLifetimeSeconds: 600 })
  await store.users.provision('acme', 'u1', {})
  const revoked = await store.users.revokeSessions('acme', 'u1', { actor: 'test', maxTokenLifetimeSeconds: 600 })
  const at = Date.parse(revoked!.tokensValidAfter!) / 1000
  core.clock.now = at * 1000
  const counted = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', iat: undefined, exp: at + 599 }))
  tt.match(counted, { valid: false, code: 'token_revoked', detail: /it has no iat/ })
  const after = await check(await mint(key, { iss: 'https://acme.example', sub: 'u1', iat: undefined, exp: at + 600 }))
  tt.equal(after.valid, true)
})
