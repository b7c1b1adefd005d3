// The token shapes real partners send, end to end at the token core: embedded kit, custom JWT without kid, OIDC access tokens via discovery.
import t, { type Test } from 'tap'
import type { PartnerRecord } from '../../src/storage/types.js'
import { verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { jitProfileFromClaims } from '../../src/users/jit-profile.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerRecord, tokenCore } from '../helpers/token-core.js'

const NS = 'https://cointracker.com/claims/'

/** A partner whose key documents one loopback server answers: `serve` maps a path (and the server's base URL) to a JSON body, null for 404. */
async function withPartner(tt: Test, over: (base: string) => Partial<PartnerRecord>, serve: (path: string, base: string) => object | null) {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  server.setHandler((req, res) => {
    const body = serve(req.url ?? '', base)
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body ?? {}))
  })
  const record = partnerRecord({ id: 'seed', ...over(base) })
  const core = await tokenCore([record])
  return { record, core, now: core.nowSec() }
}

t.test('embedded kit: no sub, no iat, namespaced user id and partner name, an audience', async (tt) => {
  const key = makeKey('kit-1')
  const s = await withPartner(
    tt,
    (base) => ({
      jwtIssuer: 'https://partner.example',
      jwksUrl: `${base}/jwks`,
      jwtAudience: 'https://embedded.cointracker.com',
      requireIssuedAt: false,
      claimMapping: { externalUserId: `${NS}partner_user_id` },
      requiredClaims: { [`${NS}partner_name`]: 'acme' },
    }),
    (path) => (path === '/jwks' ? { keys: [key.publicJwk] } : null),
  )
  const claims = {
    [`${NS}partner_name`]: 'acme',
    [`${NS}partner_user_id`]: 'user-42',
    aud: 'https://embedded.cointracker.com',
    iss: 'https://partner.example',
    exp: s.now + 900,
    iat: undefined,
  }
  const verified = await verifyPartnerToken(await mint(key, claims, { now: s.now }), s.core.options)
  tt.match(verified, { sub: 'user-42', iat: null, exp: s.now + 900, kid: 'kit-1' })
  tt.same(jitProfileFromClaims(verified.claims, s.record.claimMapping), { profile: {}, dropped: [] }, 'no profile claims, nothing dropped')

  const refuse = async (change: Record<string, unknown>, code: string, detail: string | RegExp) =>
    tt.rejects(verifyPartnerToken(await mint(key, { ...claims, ...change }, { now: s.now }), s.core.options), { code, detail }, `${code}: ${detail}`)
  await refuse({ [`${NS}partner_name`]: 'acme-old' }, 'claim_mismatch', `claim ${NS}partner_name is 'acme-old', expected 'acme'`)
  await refuse({ [`${NS}partner_name`]: undefined }, 'missing_claim', `claim ${NS}partner_name is missing, expected 'acme'`)
  await refuse({ [`${NS}partner_user_id`]: undefined, sub: 'user-42' }, 'missing_claim', `user id claim ${NS}partner_user_id is missing`)
  await refuse({ aud: 'https://embedded.staging.example' }, 'audience_mismatch', /^aud is "https:\/\/embedded.staging.example"/)
  await refuse({ exp: s.now + 3601 }, 'token_lifetime_too_long', 'token has no iat and expires in 3601 s; the partner allows at most 3600 s')
})

t.test('custom JWT: signed without kid during a rotation, an aud array, iat optional', async (tt) => {
  const oldKey = makeKey('custom-old')
  const newKey = makeKey('custom-new')
  // Published without kids, as a partner following the jose example would.
  const bare = [oldKey, newKey].map(({ publicJwk: { kid: _kid, ...jwk } }) => jwk)
  const s = await withPartner(
    tt,
    (base) => ({ jwtIssuer: 'project-1234', jwksUrl: `${base}/jwks`, jwtAudience: 'crossmint.com', requireIssuedAt: false }),
    (path) => (path === '/jwks' ? { keys: bare } : null),
  )
  for (const [key, iat] of [
    [oldKey, s.now],
    [newKey, undefined],
  ] as const) {
    const token = await mint(key, { iss: 'project-1234', sub: 'user-7', aud: ['crossmint.com', 'other'], iat, exp: s.now + 600 }, { now: s.now, omitKid: true })
    const verified = await verifyPartnerToken(token, s.core.options)
    tt.ok(verified.key.equals(key.publicKey), `${key.kid} verifies${iat === undefined ? ' a token without iat' : ''}`)
    tt.match(verified, { sub: 'user-7', kid: null, iat: iat ?? null })
  }
})

t.test('OIDC via discovery: email mapped from identifier, type must be access_token, an id_token is refused', async (tt) => {
  const key = makeKey('oidc-1')
  const issuer = 'https://www.cotter.example'
  const s = await withPartner(
    tt,
    (base) => ({
      jwtIssuer: issuer,
      openidConfigurationUrl: `${base}/.well-known/openid-configuration`,
      jwtAudience: 'api-key-id',
      claimMapping: { email: 'identifier' },
      requiredClaims: { type: 'access_token' },
    }),
    (path, base) => {
      if (path === '/.well-known/openid-configuration') return { issuer, jwks_uri: `${base}/keys` }
      return path === '/keys' ? { keys: [key.publicJwk] } : null
    },
  )
  const token = (type: string) =>
    mint(key, { iss: issuer, sub: 'cotter-user-1', aud: 'api-key-id', type, identifier: 'user@oidc.example', email: 'ignored@std.example', jti: 'j1' }, { now: s.now })
  const verified = await verifyPartnerToken(await token('access_token'), s.core.options)
  tt.equal(verified.sub, 'cotter-user-1')
  tt.same({ ...verified.claims }, { identifier: 'user@oidc.example' }, 'only the mapped email claim is kept, not the standard one')
  tt.same(jitProfileFromClaims(verified.claims, s.record.claimMapping).profile, { email: 'user@oidc.example' })
  await tt.rejects(verifyPartnerToken(await token('id_token'), s.core.options), {
    code: 'claim_mismatch',
    detail: "claim type is 'id_token', expected 'access_token'",
  })
})
