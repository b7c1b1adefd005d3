// The three token shapes real partners send, end to end over HTTP: each partner record as the README shows it,
// tokens minted by `gatehouse dev mint --preset`, the right user provisioned, and the near-misses refused with the right code.
import t, { type Test } from 'tap'
import { type DevKey, generateDevKey, type MintInput, mintDevToken } from '../../src/cli/dev-keys.js'
import { EMBEDDED_KIT_CLAIMS } from '../../src/cli/dev-token-shapes.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { createPartner } from '../helpers/partners.js'
import { assertProblem } from '../helpers/problem.js'
import { type Build, forEachStore } from '../helpers/stores.js'

async function setup(build: Build, tt: Test, keys: DevKey[]) {
  const built = await build(tt)
  const server = await startJwksServer(tt, keys.map((k) => k.publicJwk))
  const now = Math.floor(built.clock.now / 1000)
  const me = (token: string) => built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  const sign = async (key: DevKey, input: Omit<MintInput, 'ttlSeconds'> & { ttlSeconds?: number }) =>
    (await mintDevToken(key, { ttlSeconds: 600, now, ...input })).token
  return { ...built, server, now, me, sign }
}

forEachStore(t, 'embedded kit: no sub, no iat, namespaced user id and partner slug, an audience', async (tt, build) => {
  const key = await generateDevKey({ kid: 'kit-1' })
  const s = await setup(build, tt, [key])
  const iss = 'https://auth.kit.example'
  const aud = 'https://embedded.gatehouse.example'
  await createPartner(s.app, {
    id: 'kit',
    jwtIssuer: iss,
    jwksUrl: s.server.url,
    jwtAudience: aud,
    requireIssuedAt: false,
    maxTokenLifetimeSeconds: 900,
    claimMapping: { externalUserId: EMBEDDED_KIT_CLAIMS.userId },
    requiredClaims: { [EMBEDDED_KIT_CLAIMS.partnerName]: 'kit' },
  })
  const kit = (input: Partial<MintInput> = {}) => s.sign(key, { preset: 'embedded-kit', iss, sub: 'user-7', aud, partnerName: 'kit', ...input })

  const ok = await s.me(await kit())
  tt.equal(ok.statusCode, 200, ok.body)
  tt.match(ok.json().user, { partnerId: 'kit', externalUserId: 'user-7', provisionedBy: 'jit' })

  assertProblem(tt, await s.me(await kit({ partnerName: 'kit-old' })), 401, 'claim_mismatch', 'another partner slug')
  assertProblem(tt, await s.me(await kit({ claims: { [EMBEDDED_KIT_CLAIMS.partnerName]: undefined } })), 401, 'missing_claim', 'no partner slug')
  assertProblem(tt, await s.me(await kit({ claims: { [EMBEDDED_KIT_CLAIMS.userId]: undefined, sub: 'user-7' } })), 401, 'missing_claim', 'no mapped user id (sub is not read)')
  assertProblem(tt, await s.me(await kit({ aud: 'https://elsewhere.example' })), 401, 'audience_mismatch')
  assertProblem(tt, await s.me(await kit({ ttlSeconds: 3600 })), 401, 'token_lifetime_too_long', 'exp − now over the 900 s maximum')
})

forEachStore(t, 'custom JWT: signed without kid through a rotation, aud as an array, no iat', async (tt, build) => {
  const [old, next] = [await generateDevKey({ kid: 'old' }), await generateDevKey({ kid: 'new' })]
  const s = await setup(build, tt, [old, next])
  const iss = 'proj_0123456789'
  await createPartner(s.app, { id: 'custom', jwtIssuer: iss, jwksUrl: s.server.url, jwtAudience: 'gatehouse', requireIssuedAt: false })
  const custom = (key: DevKey, input: Partial<MintInput> = {}) => s.sign(key, { preset: 'custom-jwt', iss, sub: 'u-1', aud: 'gatehouse', email: 'ada@example.com', ...input })

  for (const key of [old, next]) {
    const res = await s.me(await custom(key))
    tt.equal(res.statusCode, 200, `key ${key.kid}: ${res.body}`)
    tt.match(res.json().user, { externalUserId: 'u-1', email: 'ada@example.com' })
  }
  assertProblem(tt, await s.me(await custom(old, { aud: 'crossmint.com' })), 401, 'audience_mismatch', 'an array without our audience')
  assertProblem(tt, await s.me(await custom(old, { claims: { iat: s.now + 3600 } })), 401, 'token_not_yet_valid', 'an iat, when present, is still checked')
  assertProblem(tt, await s.me(await custom(old, { claims: { iat: 'yesterday' } })), 401, 'missing_claim', 'an iat that is not a number')

  const strict = { id: 'strict', jwtIssuer: 'proj_strict', jwksUrl: s.server.url, jwtAudience: 'gatehouse' }
  await createPartner(s.app, strict)
  assertProblem(tt, await s.me(await custom(old, { iss: 'proj_strict' })), 401, 'missing_claim', 'a partner that requires iat')
})

forEachStore(t, 'OpenID Connect: keys through discovery, user id from client_user_id, email from identifier, access tokens only', async (tt, build) => {
  const key = await generateDevKey({ kid: 'oidc-1' })
  const s = await setup(build, tt, [key])
  const origin = `http://127.0.0.1:${s.server.port}`
  s.server.setHandler((req, res) => {
    res.setHeader('content-type', 'application/json')
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: origin, jwks_uri: `${origin}/jwks.json` }))
    else if (req.url === '/jwks.json') res.end(JSON.stringify({ keys: [key.publicJwk] }))
    else res.writeHead(404).end('{}')
  })
  const created = await createPartner(s.app, {
    id: 'oidc',
    jwtIssuer: origin,
    openidConfigurationUrl: `${origin}/.well-known/openid-configuration`,
    jwtAudience: 'api-key-id',
    claimMapping: { externalUserId: 'client_user_id', email: 'identifier' },
    requiredClaims: { type: 'access_token' },
  })
  tt.same(created.warnings, [], 'the discovery document and its JWKS were fetched on write')
  const oidc = (input: Partial<MintInput> = {}) => s.sign(key, { preset: 'oidc', iss: origin, sub: 'client-42', aud: 'api-key-id', email: 'ada@example.com', ...input })

  const ok = await s.me(await oidc())
  tt.equal(ok.statusCode, 200, ok.body)
  tt.match(ok.json().user, { partnerId: 'oidc', externalUserId: 'client-42', email: 'ada@example.com' })

  assertProblem(tt, await s.me(await oidc({ claims: { type: 'id_token' } })), 401, 'claim_mismatch', 'an ID token')
  assertProblem(tt, await s.me(await oidc({ claims: { type: undefined } })), 401, 'missing_claim', 'no type')
  assertProblem(tt, await s.me(await oidc({ claims: { client_user_id: undefined } })), 401, 'missing_claim', 'no client_user_id (sub is the provider id)')
  assertProblem(tt, await s.me(await oidc({ iss: 'https://www.cotter.app' })), 401, 'unknown_issuer')
})
