// JWKS fetch metrics carry the partner, bounded to partners the directory knows; a deleted partner's series go.
import t from 'tap'
import { admin, build } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'

t.test('JWKS fetch counts and durations are labelled by outcome and partner', async (tt) => {
  const { app, clock } = await build(tt)
  const key = makeKey('labelled')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwksUrl: jwks.url })
  const broken = await startJwksServer(tt)
  broken.setHandler((_req, res) => res.writeHead(500).end())
  await createPartner(app, { id: 'globex', jwtIssuer: 'https://globex.example', jwksUrl: broken.url })
  const token = await mint(key, { iss: 'https://acme.example', sub: 'u1' }, { now: Math.floor(clock.now / 1000) })
  tt.equal((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)

  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(text, /gatehouse_jwks_fetches_total\{outcome="ok",partner="acme"\} [1-9]/)
  tt.match(text, /gatehouse_jwks_fetch_duration_seconds_count\{outcome="ok",partner="acme"\} [1-9]/)
  tt.match(text, /gatehouse_jwks_fetches_total\{outcome="[a-z_]+",partner="globex"\} [1-9]/, 'a failed fetch names its partner too')
  tt.notMatch(text, /gatehouse_jwks_fetches_total\{outcome="ok"\}/, 'no series without a partner')

  await app.inject({ method: 'PATCH', url: '/admin/partners/globex', headers: admin, payload: { status: 'disabled' } })
  tt.equal((await app.inject({ method: 'DELETE', url: '/admin/partners/globex', headers: admin })).statusCode, 204)
  const after = (await app.inject({ method: 'GET', url: '/metrics' })).body
  tt.notMatch(after, /partner="globex"\}/, "a deleted partner's JWKS series are removed")
  tt.match(after, /gatehouse_jwks_fetches_total\{outcome="ok",partner="acme"\} [1-9]/, 'the others stay')
})
