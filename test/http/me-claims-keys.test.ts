// /me with a partner's claim rules (mapped user id, optional iat, required claim values) and the key views' lastVerifiedAt, over HTTP.
import t, { type Test } from 'tap'
import { admin } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

const NS = 'https://cointracker.com/claims/'
const ISSUER = 'https://kit-partner.example'

async function setup(build: Build, tt: Test) {
  const built = await build(tt)
  const keys = [makeKey('kit-a'), makeKey('kit-b')]
  const jwks = await startJwksServer(tt, keys.map((k) => k.publicJwk))
  await createPartner(built.app, {
    id: 'kit',
    jwtIssuer: ISSUER,
    jwksUrl: jwks.url,
    jwtAudience: 'https://embedded.cointracker.com',
    requireIssuedAt: false,
    claimMapping: { externalUserId: `${NS}partner_user_id` },
    requiredClaims: { [`${NS}partner_name`]: 'acme' },
  })
  const apiKey = await createApiKey(built.app, 'kit')
  const now = Math.floor(built.clock.now / 1000)
  const claims = { iss: ISSUER, aud: 'https://embedded.cointracker.com', [`${NS}partner_name`]: 'acme', [`${NS}partner_user_id`]: 'user-42', iat: undefined }
  const token = (over: Record<string, unknown> = {}, key = keys[0]!) => mint(key, { ...claims, ...over }, { now })
  const me = (tok: string) => built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${tok}` } })
  const check = (tok: string) =>
    built.app.inject({ method: 'POST', url: '/integrations/token-checks', headers: { authorization: `Bearer ${apiKey}` }, payload: { token: tok } })
  const adminKeys = async () => (await built.app.inject({ method: 'GET', url: '/admin/partners/kit/keys', headers: admin })).json()
  const partnerKeys = async () => (await built.app.inject({ method: 'GET', url: '/integrations/keys', headers: { authorization: `Bearer ${apiKey}` } })).json()
  return { ...built, keys, apiKey, token, me, check, adminKeys, partnerKeys }
}

forEachStore(t, 'an embedded-kit token without sub or iat provisions the user its mapped claim names', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.me(await s.token())
  tt.equal(res.statusCode, 200, res.body)
  tt.match(res.json(), { user: { partnerId: 'kit', externalUserId: 'user-42', provisionedBy: 'jit' } })
})

forEachStore(t, 'a required claim with another value is 401 claim_mismatch; an absent one missing_claim', async (tt, build) => {
  const s = await setup(build, tt)
  const mismatch = await s.me(await s.token({ [`${NS}partner_name`]: 'acme-old' }))
  tt.equal(mismatch.statusCode, 401)
  tt.equal(mismatch.headers['www-authenticate'], 'Bearer realm="gatehouse", error="invalid_token", error_description="claim_mismatch"')
  tt.match(mismatch.json(), { code: 'claim_mismatch', detail: `claim ${NS}partner_name is 'acme-old', expected 'acme'` })
  const missing = await s.me(await s.token({ [`${NS}partner_name`]: undefined }))
  tt.match(missing.json(), { code: 'missing_claim', detail: `claim ${NS}partner_name is missing, expected 'acme'` })
  const noUser = await s.me(await s.token({ [`${NS}partner_user_id`]: undefined, sub: 'user-42' }))
  tt.match(noUser.json(), { code: 'missing_claim', detail: `user id claim ${NS}partner_user_id is missing` })
  tt.equal(await s.store.users.get('kit', 'user-42'), null, 'no refused token provisions anyone')
})

forEachStore(t, 'the key views show lastVerifiedAt: set by /me and its cached hits, untouched by token checks', async (tt, build) => {
  const s = await setup(build, tt)
  const token = await s.token({}, s.keys[1]!)
  const checked = await s.check(token)
  tt.equal(checked.json().valid, true, checked.body)
  tt.match(await s.adminKeys(), { keys: [{ kid: 'kit-a', lastVerifiedAt: null }, { kid: 'kit-b', lastVerifiedAt: null }] }, 'a token check is not a /me acceptance')

  tt.equal((await s.me(token)).statusCode, 200)
  const first = new Date(s.clock.now).toISOString()
  tt.match(await s.adminKeys(), { keys: [{ kid: 'kit-a', lastVerifiedAt: null }, { kid: 'kit-b', lastVerifiedAt: first }] })

  s.clock.now += 7_000
  tt.equal((await s.me(token)).statusCode, 200, 'the same token again: a result-cache hit')
  const later = new Date(s.clock.now).toISOString()
  tt.match(await s.partnerKeys(), { keys: [{ kid: 'kit-a', lastVerifiedAt: null }, { kid: 'kit-b', lastVerifiedAt: later }] }, 'the partner sees it too')

  s.clock.now += 7_000
  await s.check(token)
  tt.match(await s.adminKeys(), { keys: [{}, { kid: 'kit-b', lastVerifiedAt: later }] }, 'still untouched by token checks')

  const revoked = await s.app.inject({
    method: 'POST',
    url: '/integrations/users/user-42/sessions/revoke',
    headers: { authorization: `Bearer ${s.apiKey}` },
  })
  tt.equal(revoked.statusCode, 200, revoked.body)
  s.clock.now += 7_000
  tt.match((await s.me(token)).json(), { code: 'token_revoked' }, 'verified (a cached hit), then refused by row 16')
  tt.match(await s.adminKeys(), { keys: [{}, { kid: 'kit-b', lastVerifiedAt: later }] }, 'a refused token is no acceptance')
})

forEachStore(t, 'a token without kid is verified by whichever of the two keys signed it; the token check names it', async (tt, build) => {
  const s = await setup(build, tt)
  const now = Math.floor(s.clock.now / 1000)
  const claims = { iss: ISSUER, aud: 'https://embedded.cointracker.com', [`${NS}partner_name`]: 'acme', [`${NS}partner_user_id`]: 'user-7' }
  const noKid = await mint(s.keys[1]!, claims, { now, omitKid: true })
  tt.equal((await s.me(noKid)).statusCode, 200)
  const report = (await s.check(noKid)).json()
  tt.match(report.checks.find((c: { name: string }) => c.name === 'signature'), { ok: true, detail: 'RS256 signature verifies with kid kit-b' })
})
