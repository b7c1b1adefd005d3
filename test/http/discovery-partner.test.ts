// A partner registered with openidConfigurationUrl, over HTTP: keys from the document's jwks_uri, the key view naming both URLs, refusals when the document is wrong.
import t, { type Test } from 'tap'
import { admin, build } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'

const ISSUER = 'https://www.oidc-partner.example'
const key = makeKey('oidc-http')

async function setup(tt: Test) {
  const built = await build(tt)
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  const doc: Record<string, unknown> = { issuer: ISSUER, jwks_uri: `${base}/keys` }
  server.setHandler((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(req.url === '/.well-known/openid-configuration' ? doc : { keys: [key.publicJwk] }))
  })
  const configUrl = `${base}/.well-known/openid-configuration`
  const now = Math.floor(built.clock.now / 1000)
  const token = (type: string) => mint(key, { iss: ISSUER, sub: 'cotter-1', aud: 'api-key-id', type, identifier: 'user@oidc.example' }, { now })
  const me = async (type: string) => built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${await token(type)}` } })
  const keyView = async () => (await built.app.inject({ method: 'GET', url: '/admin/partners/oidc/keys', headers: admin })).json()
  return { ...built, base, doc, configUrl, me, keyView }
}

const partner = (configUrl: string) => ({
  id: 'oidc',
  jwtIssuer: ISSUER,
  openidConfigurationUrl: configUrl,
  jwtAudience: 'api-key-id',
  claimMapping: { email: 'identifier' },
  requiredClaims: { type: 'access_token' },
})

t.test('an access token verifies with the discovered keys and provisions the mapped email; an id_token is claim_mismatch', async (tt) => {
  const s = await setup(tt)
  await createPartner(s.app, partner(s.configUrl))
  const ok = await s.me('access_token')
  tt.equal(ok.statusCode, 200, ok.body)
  tt.match(ok.json(), { user: { externalUserId: 'cotter-1', email: 'user@oidc.example' } })
  const idToken = await s.me('id_token')
  tt.equal(idToken.statusCode, 401)
  tt.match(idToken.json(), { code: 'claim_mismatch', detail: "claim type is 'id_token', expected 'access_token'" })
  tt.match(await s.keyView(), { source: 'jwks', openidConfigurationUrl: s.configUrl, jwksUrl: `${s.base}/keys`, keys: [{ kid: 'oidc-http', usable: true }] })
})

t.test("a document naming another issuer leaves the partner without keys: 503 jwks_unavailable, the reason in the key view and the write's warnings", async (tt) => {
  const s = await setup(tt)
  s.doc.issuer = 'https://www.oidc-partner.example/'
  const created = (await createPartner(s.app, partner(s.configUrl))) as { warnings?: string[] }
  tt.match(created.warnings, [/issuer is "https:\/\/www.oidc-partner.example\/", expected the partner's jwtIssuer/])
  const res = await s.me('access_token')
  tt.equal(res.statusCode, 503)
  tt.match(res.json(), { code: 'jwks_unavailable', detail: "the partner's signing keys cannot be fetched right now; retry later" })
  tt.notMatch(res.body, /issuer/, 'the reason stays out of the refusal')
  tt.match(await s.keyView(), { jwksUrl: null, lastError: /expected the partner's jwtIssuer "https:\/\/www.oidc-partner.example"$/ })
})
