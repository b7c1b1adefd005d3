// Admin API, the partner-control fields (docs/reference.md, Partner records and Admin API): openidConfigurationUrl,
// requireIssuedAt, claimMapping, requiredClaims and profileUpdate — their rules, field-level errors, merge-patch, OpenAPI.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { admin } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { assertInvalid } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'

const good = makeKey('admin-fields')
const ISSUER = 'https://auth.acme.example'

/** A valid create body (static key), overridden per case. */
const body = (overrides: Record<string, unknown> = {}) => ({ id: 'acme', name: 'Acme Corp', jwtIssuer: ISSUER, jwtPublicKey: good.spkiPem, ...overrides })

const post = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/admin/partners', headers: admin, payload: payload as object })
const patch = (app: FastifyInstance, payload: unknown, id = 'acme') =>
  app.inject({ method: 'PATCH', url: `/admin/partners/${id}`, headers: { ...admin, 'content-type': 'application/merge-patch+json' }, payload: payload as object })
const get = (app: FastifyInstance, id = 'acme') => app.inject({ method: 'GET', url: `/admin/partners/${id}`, headers: admin })

/** A discovery document and its JWKS on one loopback server; `configUrl` is the document. */
async function discoveryServer(tt: Test) {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  server.setHandler((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(req.url === '/.well-known/openid-configuration' ? { issuer: ISSUER, jwks_uri: `${base}/keys` } : { keys: [good.publicJwk] }))
  })
  return { server, configUrl: `${base}/.well-known/openid-configuration` }
}

forEachStore(t, 'create: the new fields default when omitted and round-trip when given', async (tt, build) => {
  const { app } = await build(tt)
  const plain = await post(app, body())
  tt.equal(plain.statusCode, 201)
  tt.match(plain.json(), { openidConfigurationUrl: null, requireIssuedAt: true, claimMapping: null, requiredClaims: null, profileUpdate: 'never' })

  const controls = {
    requireIssuedAt: false,
    claimMapping: {
      externalUserId: 'https://cointracker.com/claims/partner_user_id',
      email: 'identifier',
      displayName: 'name with spaces ✓',
      phone: 'p',
      countryCode: 'c'.repeat(256),
      locale: 'https://partner.example/claims/locale',
    },
    requiredClaims: { type: 'access_token', 'https://partner.example/tier': 'v'.repeat(1024), ISS: 'a registered name in another case is another claim' },
    profileUpdate: 'fillEmpty',
  }
  const created = await post(app, body({ id: 'beta', jwtIssuer: 'beta', ...controls }))
  tt.equal(created.statusCode, 201, created.body)
  tt.match(created.json(), controls)
  tt.same((await get(app, 'beta')).json(), created.json(), 'read back as written')
  for (const profileUpdate of ['never', 'overwrite']) {
    tt.equal((await post(app, body({ id: `p-${profileUpdate.toLowerCase()}`, jwtIssuer: profileUpdate, profileUpdate }))).json().profileUpdate, profileUpdate)
  }
  const empties = await post(app, body({ id: 'empty', jwtIssuer: 'empty', claimMapping: {}, requiredClaims: {} }))
  tt.match(empties.json(), { claimMapping: null, requiredClaims: null }, 'an empty object reads back as null')
  const nulls = await post(app, body({ id: 'nulls', jwtIssuer: 'nulls', claimMapping: null, requiredClaims: null, openidConfigurationUrl: null }))
  tt.match(nulls.json(), { claimMapping: null, requiredClaims: null, openidConfigurationUrl: null })
})

forEachStore(t, 'create: requireIssuedAt and profileUpdate are refused unless of their exact type', async (tt, build) => {
  const { app } = await build(tt)
  for (const value of ['false', 0, null, 'true']) {
    assertInvalid(tt, await post(app, body({ requireIssuedAt: value })), ['/requireIssuedAt'], `requireIssuedAt ${JSON.stringify(value)}`)
  }
  for (const value of ['FillEmpty', 'always', '', null, 1]) {
    assertInvalid(tt, await post(app, body({ profileUpdate: value })), ['/profileUpdate'], `profileUpdate ${JSON.stringify(value)}`)
  }
  tt.equal((await get(app)).statusCode, 404, 'nothing stored')
})

forEachStore(t, 'create: claimMapping keys are the six mappable fields, values 1–256 characters of well-formed text', async (tt, build) => {
  const { app } = await build(tt)
  const bad = async (claimMapping: unknown, path: string, what: string) => assertInvalid(tt, await post(app, body({ claimMapping })), [path], what)
  await bad({ userId: 'uid' }, '/claimMapping/userId', 'a key that is no mappable field')
  await bad({ provisionedBy: 'x' }, '/claimMapping/provisionedBy', 'a user field that is not mappable')
  await bad({ email: '' }, '/claimMapping/email', 'an empty claim name')
  await bad({ email: 'c'.repeat(257) }, '/claimMapping/email', 'a claim name of 257')
  await bad({ email: 42 }, '/claimMapping/email', 'a number')
  await bad({ email: null }, '/claimMapping/email', 'null as a value outside a PATCH')
  await bad({ email: 'bad\ud800' }, '/claimMapping/email', 'a lone surrogate')
  await bad({ email: 'nul\u0000' }, '/claimMapping/email', 'a NUL')
  await bad(['email'], '/claimMapping', 'an array')
  await bad('email=identifier', '/claimMapping', 'a string')
  tt.equal((await get(app)).statusCode, 404, 'nothing stored')
})

forEachStore(t, 'create: requiredClaims has at most 16 entries, names 1–256, values 1–1024 strings, none a registered claim', async (tt, build) => {
  const { app } = await build(tt)
  const bad = async (requiredClaims: unknown, path: string, what: string) => assertInvalid(tt, await post(app, body({ requiredClaims })), [path], what)
  const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, 'v']))
  await bad(entries(17), '/requiredClaims', '17 entries')
  for (const name of ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat']) await bad({ [name]: 'x' }, `/requiredClaims/${name}`, `the registered claim ${name}`)
  await bad({ type: '' }, '/requiredClaims/type', 'an empty value')
  await bad({ type: 'v'.repeat(1025) }, '/requiredClaims/type', 'a value of 1025')
  await bad({ type: 1 }, '/requiredClaims/type', 'a number value')
  await bad({ type: true }, '/requiredClaims/type', 'a boolean value')
  await bad({ type: ['access_token'] }, '/requiredClaims/type', 'an array value')
  await bad({ type: null }, '/requiredClaims/type', 'null as a value outside a PATCH')
  await bad({ type: 'bad\udfff' }, '/requiredClaims/type', 'a lone surrogate in a value')
  await bad({ ['n'.repeat(257)]: 'v' }, `/requiredClaims/${'n'.repeat(257)}`, 'a name of 257')
  await bad({ '': 'v' }, '/requiredClaims/', 'an empty name')
  await bad({ 'x\ud800': 'v' }, '/requiredClaims/x\ud800', 'a lone surrogate in a name')
  const reserved = assertInvalid(tt, await post(app, body({ requiredClaims: { type: 'access_token', iat: '1' } })), ['/requiredClaims/iat'], 'iat beside a valid claim')
  tt.match(reserved.errors?.[0]?.message, /may not be one of iss, sub, aud, exp, nbf, iat/)
  await bad(['type'], '/requiredClaims', 'an array')
  tt.equal((await get(app)).statusCode, 404, 'nothing stored')

  const sixteen = await post(app, body({ requiredClaims: { ...entries(15), ['n'.repeat(256)]: 'v' } }))
  tt.equal(sixteen.statusCode, 201, '16 entries, a name of 256')
  tt.equal(Object.keys(sixteen.json().requiredClaims).length, 16)
  const inherited = await post(app, body({ id: 'inherited', jwtIssuer: 'inherited', requiredClaims: { constructor: 'v', toString: 'w' } }))
  tt.equal(inherited.statusCode, 201, inherited.body)
  tt.same(inherited.json().requiredClaims, { constructor: 'v', toString: 'w' }, 'names of Object.prototype members are claims like any other')
  const merged = await app.inject({ method: 'PATCH', url: '/admin/partners/inherited', headers: admin, payload: { requiredClaims: { hasOwnProperty: 'x', toString: null } } })
  tt.same(merged.json().requiredClaims, { constructor: 'v', hasOwnProperty: 'x' }, 'and merge like any other')
})

forEachStore(t, 'create: openidConfigurationUrl obeys the jwksUrl rules', async (tt, build) => {
  tt.test('with JWKS_ALLOW_PRIVATE_NETWORK=true', async (t2) => {
    const { app } = await build(t2)
    const withUrl = (id: string, openidConfigurationUrl: unknown) => post(app, body({ id, jwtIssuer: id, jwtPublicKey: undefined, openidConfigurationUrl }))
    assertInvalid(t2, await withUrl('rel', '/.well-known/openid-configuration'), ['/openidConfigurationUrl'], 'relative URL')
    assertInvalid(t2, await withUrl('ftp', 'ftp://auth.acme.example/.well-known/openid-configuration'), ['/openidConfigurationUrl'], 'ftp:')
    assertInvalid(t2, await withUrl('userinfo', 'https://user:pass@auth.acme.example/x'), ['/openidConfigurationUrl'], 'userinfo')
    assertInvalid(t2, await withUrl('empty', ''), ['/openidConfigurationUrl'], 'empty URL')
    assertInvalid(t2, await withUrl('long', `https://auth.acme.example/${'a'.repeat(2048)}`), ['/openidConfigurationUrl'], 'URL over 2048')
    assertInvalid(t2, await withUrl('num', 42), ['/openidConfigurationUrl'], 'a number')
    const { configUrl } = await discoveryServer(t2)
    t2.equal((await withUrl('loop', configUrl)).statusCode, 201, 'http: and loopback allowed')
  })

  tt.test('with JWKS_ALLOW_PRIVATE_NETWORK=false', async (t2) => {
    const { app } = await build(t2, { env: { JWKS_ALLOW_PRIVATE_NETWORK: 'false' } })
    const withUrl = (id: string, openidConfigurationUrl: string) => post(app, body({ id, jwtIssuer: id, jwtPublicKey: undefined, openidConfigurationUrl }))
    assertInvalid(t2, await withUrl('plain', 'http://auth.acme.example/.well-known/openid-configuration'), ['/openidConfigurationUrl'], 'http: refused')
    assertInvalid(t2, await withUrl('loop', 'https://127.0.0.1/.well-known/openid-configuration'), ['/openidConfigurationUrl'], 'loopback refused')
    assertInvalid(t2, await withUrl('private', 'https://10.1.2.3/.well-known/openid-configuration'), ['/openidConfigurationUrl'], '10/8 refused')
    assertInvalid(t2, await withUrl('localhost', 'https://localhost/.well-known/openid-configuration'), ['/openidConfigurationUrl'], 'localhost refused')
  })
})

forEachStore(t, 'exactly one of jwksUrl, openidConfigurationUrl and jwtPublicKey, named field by field', async (tt, build) => {
  const { app } = await build(tt)
  const { server, configUrl } = await discoveryServer(tt)
  const jwksUrl = `http://127.0.0.1:${server.port}/keys`
  const sources = (s: Record<string, unknown>) => body({ jwtPublicKey: undefined, ...s })
  assertInvalid(tt, await post(app, sources({ jwksUrl, openidConfigurationUrl: configUrl })), ['/openidConfigurationUrl'], 'jwksUrl and discovery')
  assertInvalid(tt, await post(app, sources({ openidConfigurationUrl: configUrl, jwtPublicKey: good.spkiPem })), ['/jwtPublicKey'], 'discovery and a key')
  const all = assertInvalid(tt, await post(app, sources({ jwksUrl, openidConfigurationUrl: configUrl, jwtPublicKey: good.spkiPem })), ['/openidConfigurationUrl', '/jwtPublicKey'], 'all three')
  tt.equal(all.errors?.length, 2)
  assertInvalid(tt, await post(app, sources({ openidConfigurationUrl: null })), ['/jwksUrl'], 'none')
  tt.equal(server.requests, 0, 'a refused write fetches nothing')

  const created = await post(app, sources({ openidConfigurationUrl: configUrl }))
  tt.equal(created.statusCode, 201, created.body)
  tt.match(created.json(), { jwksUrl: null, openidConfigurationUrl: configUrl, jwtPublicKey: null })
  assertInvalid(tt, await patch(app, { jwksUrl }), ['/openidConfigurationUrl'], 'PATCH adding a JWKS URL beside discovery')
  assertInvalid(tt, await patch(app, { openidConfigurationUrl: null }), ['/jwksUrl'], 'PATCH clearing the only source')
  const toStatic = await patch(app, { openidConfigurationUrl: null, jwtPublicKey: good.spkiPem })
  tt.equal(toStatic.statusCode, 200, 'discovery → static key')
  tt.match(toStatic.json(), { openidConfigurationUrl: null, jwtPublicKey: good.spkiPem, version: 2 })
})

forEachStore(t, 'a write that sets openidConfigurationUrl fetches it once and reports warnings', async (tt, build) => {
  const { app } = await build(tt)
  const { server, configUrl } = await discoveryServer(tt)
  const created = await post(app, body({ jwtPublicKey: undefined, openidConfigurationUrl: configUrl }))
  tt.equal(created.statusCode, 201)
  tt.same(created.json().warnings, [], 'a healthy document and JWKS: an empty list')
  tt.equal(server.requests, 2, 'the document, then its jwks_uri')
  const renamed = await patch(app, { name: 'Renamed' })
  tt.notOk('warnings' in renamed.json(), 'a write not setting the URL reports nothing')

  const down = await startJwksServer(tt)
  down.setHandler((_req, res) => {
    res.writeHead(500)
    res.end()
  })
  const broken = await patch(app, { openidConfigurationUrl: `http://127.0.0.1:${down.port}/.well-known/openid-configuration` })
  tt.equal(broken.statusCode, 200, 'warnings never fail the write')
  tt.equal(broken.json().warnings.length, 1)
  tt.match(broken.json().warnings[0], /unreachable/)
})

forEachStore(t, 'PATCH merges claimMapping and requiredClaims key by key', async (tt, build) => {
  const { app, store } = await build(tt)
  await post(app, body({ claimMapping: { email: 'identifier', locale: 'lang' }, requiredClaims: { type: 'access_token', tier: 'gold' } }))

  const merged = await patch(app, { claimMapping: { email: 'mail', displayName: 'partner_name', locale: null }, requiredClaims: { tier: null, region: 'eu' } })
  tt.equal(merged.statusCode, 200, merged.body)
  tt.match(merged.json(), { version: 2 })
  tt.same(merged.json().claimMapping, { email: 'mail', displayName: 'partner_name' }, 'replaced, added and removed')
  tt.same(merged.json().requiredClaims, { type: 'access_token', region: 'eu' })
  tt.same((await store.audit.list({ partnerId: 'acme', limit: 1 }))[0]!.changedFields, ['claimMapping', 'requiredClaims'])

  const untouched = await patch(app, { claimMapping: {}, requiredClaims: { type: 'access_token' } })
  tt.equal(untouched.json().version, 2, 'an empty object and a same value change nothing')
  const absentKey = await patch(app, { claimMapping: { phone: null } })
  tt.equal(absentKey.json().version, 2, 'removing a key that is not there changes nothing')

  const lastKeys = await patch(app, { claimMapping: { email: null, displayName: null } })
  tt.equal(lastKeys.json().claimMapping, null, 'removing the last key leaves null')
  const cleared = await patch(app, { requiredClaims: null })
  tt.equal(cleared.json().requiredClaims, null, 'null clears the whole field')
  const fromNull = await patch(app, { requiredClaims: { type: 'id_token', drop: null } })
  tt.same(fromNull.json().requiredClaims, { type: 'id_token' }, 'merging into null starts from empty')
  tt.same((await get(app)).json().requiredClaims, { type: 'id_token' })

  const others = await patch(app, { requireIssuedAt: false, profileUpdate: 'overwrite' })
  tt.match(others.json(), { requireIssuedAt: false, profileUpdate: 'overwrite', requiredClaims: { type: 'id_token' } })
  assertInvalid(tt, await patch(app, { requireIssuedAt: null }), ['/requireIssuedAt'], 'null for a non-nullable field')
  assertInvalid(tt, await patch(app, { profileUpdate: null }), ['/profileUpdate'], 'null profileUpdate')
})

forEachStore(t, 'PATCH validates the keys of its objects as create does, and the merged record as a whole', async (tt, build) => {
  const { app, store } = await build(tt)
  const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`c${i}`, 'v']))
  await post(app, body({ requiredClaims: sixteen }))
  assertInvalid(tt, await patch(app, { claimMapping: { userId: 'x' } }), ['/claimMapping/userId'], 'an unknown mapping key')
  assertInvalid(tt, await patch(app, { claimMapping: { email: '' } }), ['/claimMapping/email'], 'an empty claim name')
  assertInvalid(tt, await patch(app, { requiredClaims: { iat: null } }), ['/requiredClaims/iat'], 'a registered claim, even to remove it')
  assertInvalid(tt, await patch(app, { requiredClaims: { aud: 'x' } }), ['/requiredClaims/aud'], 'a registered claim')
  assertInvalid(tt, await patch(app, { requiredClaims: { c0: 'v'.repeat(1025) } }), ['/requiredClaims/c0'], 'a value of 1025')
  assertInvalid(tt, await patch(app, { requiredClaims: { c99: 'v' } }), ['/requiredClaims'], 'a 17th entry on the merged record')
  tt.equal((await store.partners.get('acme'))?.version, 1, 'refused patches changed nothing')
  const swapped = await patch(app, { requiredClaims: { c0: null, c99: 'v' } })
  tt.equal(swapped.statusCode, 200, 'removing one and adding one keeps 16')
  tt.equal(Object.keys(swapped.json().requiredClaims).length, 16)
})

forEachStore(t, 'the OpenAPI document shows the new fields on create, patch and the partner', async (tt, build) => {
  const { app } = await build(tt)
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  const schemas = doc.components.schemas
  const newFields = ['openidConfigurationUrl', 'requireIssuedAt', 'claimMapping', 'requiredClaims', 'profileUpdate']
  for (const name of ['PartnerCreate', 'PartnerPatch', 'Partner']) {
    for (const field of newFields) tt.ok(schemas[name]?.properties?.[field], `${name}.${field}`)
  }
  tt.match(JSON.stringify(schemas.PartnerCreate.properties.profileUpdate), /fillEmpty/)
  tt.match(JSON.stringify(schemas.PartnerCreate.properties.claimMapping), /externalUserId/)
})
