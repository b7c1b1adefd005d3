// Admin API (docs/reference.md, Partner records and Admin API): admin auth, partner validation and CRUD, ETags, warnings, API keys, audit, body handling.
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { generateSecret, hashSecret } from '../../src/credentials/secrets.js'
import { ADMIN_TOKEN, admin } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { createApiKey } from '../helpers/partners.js'
import { assertInvalid, assertProblem } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'

const good = makeKey('admin-good')

/** A valid create body (static key), overridden per case. */
const body = (overrides: Record<string, unknown> = {}) => ({
  id: 'acme',
  name: 'Acme Corp',
  jwtIssuer: 'https://auth.acme.example',
  jwtPublicKey: good.spkiPem,
  ...overrides,
})

const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = admin) =>
  app.inject({ method: 'POST', url: '/admin/partners', headers, payload: payload as object })

const patch = (app: FastifyInstance, id: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PATCH', url: `/admin/partners/${id}`, headers: { ...admin, ...headers }, payload: payload as object })

const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url, headers: admin })

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

forEachStore(t, 'admin auth', async (tt, build) => {
  const { app, store } = await build(tt)
  const list = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/admin/partners', headers })

  assertProblem(tt, await list({}), 401, 'unauthorized', 'no token')
  assertProblem(tt, await list({ authorization: 'Bearer not-the-admin-token' }), 401, 'unauthorized', 'wrong token')
  assertProblem(tt, await list({ authorization: `Basic ${ADMIN_TOKEN}` }), 401, 'unauthorized', 'wrong scheme')
  assertProblem(tt, await list({ authorization: `Bearer ${ADMIN_TOKEN}x` }), 401, 'unauthorized', 'token with a suffix')
  const unauth = await list({})
  tt.match(unauth.headers['www-authenticate'], /^Bearer realm="gatehouse"/)

  tt.equal((await list(admin)).statusCode, 200, 'ADMIN_TOKEN works')
  tt.equal((await list({ authorization: `bearer ${ADMIN_TOKEN}` })).statusCode, 200, 'scheme is case-insensitive')

  // A stored admin token, as the CLI creates them.
  const secret = generateSecret('gh_admin')
  tt.equal(secret.hash, hashSecret(secret.secret))
  const record = await store.adminTokens.create({ id: secret.id, prefix: secret.prefix, hash: secret.hash, label: 'ops' }, 'cli')
  const dbAuth = { authorization: `Bearer ${secret.secret}` }
  tt.equal((await list(dbAuth)).statusCode, 200, 'a stored admin token works')
  const created = await post(app, body(), dbAuth)
  tt.equal(created.statusCode, 201)
  const audit = (await get(app, '/admin/audit?partnerId=acme')).json()
  tt.equal(audit.items[0].actor, `admin-token:${record.id}`, 'audit names the stored token')

  tt.equal(await store.adminTokens.revoke(record.id, 'cli'), true)
  assertProblem(tt, await list(dbAuth), 401, 'unauthorized', 'revoked stored token')
  tt.equal((await list(admin)).statusCode, 200, 'ADMIN_TOKEN still works')

  // Every admin route is guarded, including ones with bodies and unknown partners.
  for (const [method, url] of [
    ['POST', '/admin/partners'],
    ['GET', '/admin/partners/acme'],
    ['PATCH', '/admin/partners/acme'],
    ['DELETE', '/admin/partners/acme'],
    ['POST', '/admin/partners/acme/api-keys'],
    ['GET', '/admin/partners/acme/api-keys'],
    ['DELETE', '/admin/partners/acme/api-keys/x'],
    ['GET', '/admin/partners/acme/keys'],
    ['POST', '/admin/partners/acme/keys/refresh'],
    ['GET', '/admin/audit'],
  ] as const) {
    assertProblem(tt, await app.inject({ method, url, payload: method === 'POST' || method === 'PATCH' ? {} : undefined }), 401, 'unauthorized', `${method} ${url}`)
  }
})

forEachStore(t, 'create: 201 with ETag "1", version 1 and the defaults', async (tt, build) => {
  const { app } = await build(tt)
  const res = await post(app, body())
  tt.equal(res.statusCode, 201)
  tt.equal(res.headers.etag, '"1"')
  tt.match(res.headers['content-type'], /^application\/json/)
  const p = res.json()
  tt.match(p, {
    id: 'acme',
    name: 'Acme Corp',
    jwtIssuer: 'https://auth.acme.example',
    jwksUrl: null,
    jwtPublicKey: good.spkiPem,
    jwtAudience: null,
    maxTokenLifetimeSeconds: 3600,
    status: 'active',
    version: 1,
  })
  tt.notOk('warnings' in p, 'no jwksUrl written, no warnings')
  tt.equal(new Date(p.createdAt).toISOString(), p.createdAt, 'createdAt is ISO-8601 UTC')
  tt.equal(p.updatedAt, p.createdAt)

  const fetched = await get(app, '/admin/partners/acme')
  tt.equal(fetched.statusCode, 200)
  tt.equal(fetched.headers.etag, '"1"')
  tt.same(fetched.json(), p)

  const explicit = await post(app, body({ id: 'beta', jwtIssuer: 'beta', jwtAudience: 'gh', maxTokenLifetimeSeconds: 60, status: 'disabled' }))
  tt.equal(explicit.statusCode, 201)
  tt.match(explicit.json(), { jwtAudience: 'gh', maxTokenLifetimeSeconds: 60, status: 'disabled' })
  tt.equal((await post(app, body({ id: 'gamma', jwtIssuer: 'gamma', maxTokenLifetimeSeconds: 86400 }))).statusCode, 201, '86400 allowed')
})

forEachStore(t, 'create: field validation of the partner record rules', async (tt, build) => {
  const { app } = await build(tt)
  const bad = async (overrides: Record<string, unknown>, path: string, what: string) =>
    assertInvalid(tt, await post(app, body(overrides)), [path], what)

  // id
  await bad({ id: 'Acme' }, '/id', 'id with uppercase')
  await bad({ id: 'a' }, '/id', 'id too short')
  await bad({ id: 'a'.repeat(64) }, '/id', 'id too long (64)')
  await bad({ id: '-acme' }, '/id', 'id starting with -')
  await bad({ id: 'ac_me' }, '/id', 'id with _')
  await bad({ id: 'acme\n' }, '/id', 'id with a trailing newline')
  await bad({ id: 42 }, '/id', 'id as a number')
  tt.equal((await post(app, body({ id: 'a'.repeat(63), jwtIssuer: 'i63' }))).statusCode, 201, 'id of 63 allowed')
  tt.equal((await post(app, body({ id: '9z', jwtIssuer: 'i2' }))).statusCode, 201, 'id of 2 allowed')

  // name
  await bad({ name: '' }, '/name', 'empty name')
  await bad({ name: 'n'.repeat(201) }, '/name', 'name of 201')
  await bad({ name: 7 }, '/name', 'name as a number')
  await bad({ name: null }, '/name', 'name null')
  tt.equal((await post(app, body({ id: 'name200', jwtIssuer: 'n200', name: 'n'.repeat(200) }))).statusCode, 201, 'name of 200 allowed')

  // jwtIssuer
  await bad({ jwtIssuer: '' }, '/jwtIssuer', 'empty issuer')
  await bad({ jwtIssuer: 'i'.repeat(2049) }, '/jwtIssuer', 'issuer of 2049')
  await bad({ jwtIssuer: ['x'] }, '/jwtIssuer', 'issuer as an array')
  tt.equal((await post(app, body({ id: 'iss2048', jwtIssuer: 'i'.repeat(2048) }))).statusCode, 201, 'issuer of 2048 allowed')

  // jwtAudience
  await bad({ jwtAudience: '' }, '/jwtAudience', 'empty audience')
  await bad({ jwtAudience: 'a'.repeat(2049) }, '/jwtAudience', 'audience of 2049')
  await bad({ jwtAudience: 1 }, '/jwtAudience', 'audience as a number')
  tt.equal((await post(app, body({ id: 'aud2048', jwtIssuer: 'a2048', jwtAudience: 'a'.repeat(2048) }))).statusCode, 201, 'audience of 2048')

  // maxTokenLifetimeSeconds: 60–86400, integers, never coerced
  await bad({ maxTokenLifetimeSeconds: 59 }, '/maxTokenLifetimeSeconds', 'lifetime 59')
  await bad({ maxTokenLifetimeSeconds: 86401 }, '/maxTokenLifetimeSeconds', 'lifetime 86401')
  await bad({ maxTokenLifetimeSeconds: '3600' }, '/maxTokenLifetimeSeconds', 'lifetime as a string')
  await bad({ maxTokenLifetimeSeconds: 600.5 }, '/maxTokenLifetimeSeconds', 'lifetime not an integer')
  await bad({ maxTokenLifetimeSeconds: null }, '/maxTokenLifetimeSeconds', 'lifetime null')

  // status
  await bad({ status: 'paused' }, '/status', 'unknown status')
  await bad({ status: true }, '/status', 'status as a boolean')

  // unknown fields are refused and named
  const unknown = assertInvalid(tt, await post(app, body({ jwtAlgorithm: 'HS256', extra: 1 })), ['/jwtAlgorithm', '/extra'], 'unknown fields')
  tt.equal(unknown.errors?.length, 2)
  await bad({ version: 7 }, '/version', 'version is server-maintained')
  await bad({ createdAt: '2020-01-01T00:00:00.000Z' }, '/createdAt', 'createdAt is server-maintained')

  // missing required fields, wrong body types
  const { id: _id, ...noId } = body()
  assertInvalid(tt, await post(app, noId), ['/id'], 'id missing')
  const { name: _name, ...noName } = body()
  assertInvalid(tt, await post(app, noName), ['/name'], 'name missing')
  assertProblem(tt, await post(app, [body()]), 400, 'invalid_request', 'array body')
  assertProblem(tt, await app.inject({ method: 'POST', url: '/admin/partners', headers: { ...admin, 'content-type': 'application/json' }, payload: '"acme"' }), 400, 'invalid_request', 'string body')
  assertProblem(tt, await app.inject({ method: 'POST', url: '/admin/partners', headers: { ...admin, 'content-type': 'application/json' }, payload: 'null' }), 400, 'invalid_request', 'null body')

  tt.same((await get(app, '/admin/partners')).json().items.map((p: { id: string }) => p.id).sort(), ['9z', 'a'.repeat(63), 'aud2048', 'iss2048', 'name200'].sort(), 'only the valid ones were stored')
})

forEachStore(t, 'create: jwksUrl rules', async (tt, build) => {
  tt.test('with JWKS_ALLOW_PRIVATE_NETWORK=true', async (t2) => {
    const { app } = await build(t2)
    const jwks = await startJwksServer(t2, [makeKey('k1').publicJwk])
    const withUrl = (id: string, jwksUrl: unknown) => post(app, body({ id, jwtIssuer: id, jwtPublicKey: undefined, jwksUrl }))
    assertInvalid(t2, await withUrl('rel', '/.well-known/jwks.json'), ['/jwksUrl'], 'relative URL')
    assertInvalid(t2, await withUrl('noscheme', 'auth.acme.example/jwks.json'), ['/jwksUrl'], 'no scheme')
    assertInvalid(t2, await withUrl('ftp', 'ftp://auth.acme.example/jwks.json'), ['/jwksUrl'], 'ftp:')
    assertInvalid(t2, await withUrl('file', 'file:///etc/passwd'), ['/jwksUrl'], 'file:')
    assertInvalid(t2, await withUrl('userinfo', 'https://user:pass@auth.acme.example/jwks.json'), ['/jwksUrl'], 'userinfo')
    assertInvalid(t2, await withUrl('user', 'https://user@auth.acme.example/jwks.json'), ['/jwksUrl'], 'username only')
    assertInvalid(t2, await withUrl('empty', ''), ['/jwksUrl'], 'empty URL')
    assertInvalid(t2, await withUrl('long', `https://auth.acme.example/${'a'.repeat(2048)}`), ['/jwksUrl'], 'URL over 2048')
    assertInvalid(t2, await withUrl('num', 42), ['/jwksUrl'], 'URL as a number')
    const ok = await withUrl('loop', jwks.url)
    t2.equal(ok.statusCode, 201, 'http: and loopback allowed')
    t2.same(ok.json().warnings, [], 'a healthy JWKS gives an empty warnings list')
  })

  tt.test('with JWKS_ALLOW_PRIVATE_NETWORK=false', async (t2) => {
    const { app } = await build(t2, { env: { JWKS_ALLOW_PRIVATE_NETWORK: 'false' } })
    const withUrl = (id: string, jwksUrl: string) => post(app, body({ id, jwtIssuer: id, jwtPublicKey: undefined, jwksUrl }))
    assertInvalid(t2, await withUrl('plain', 'http://auth.acme.example/jwks.json'), ['/jwksUrl'], 'http: refused')
    assertInvalid(t2, await withUrl('loop4', 'https://127.0.0.1/jwks.json'), ['/jwksUrl'], '127.0.0.1 refused')
    assertInvalid(t2, await withUrl('loop8', 'https://127.8.8.8/jwks.json'), ['/jwksUrl'], '127/8 refused')
    assertInvalid(t2, await withUrl('loop6', 'https://[::1]/jwks.json'), ['/jwksUrl'], '[::1] refused')
    assertInvalid(t2, await withUrl('mapped', 'https://[::ffff:127.0.0.1]/jwks.json'), ['/jwksUrl'], 'IPv4-mapped loopback refused')
    assertInvalid(t2, await withUrl('localhost', 'https://localhost/jwks.json'), ['/jwksUrl'], 'localhost refused')
    assertInvalid(t2, await withUrl('localhost2', 'https://LocalHost./jwks.json'), ['/jwksUrl'], 'localhost. refused')
    assertInvalid(t2, await withUrl('private', 'https://10.1.2.3/jwks.json'), ['/jwksUrl'], '10/8 refused')
    assertInvalid(t2, await withUrl('metadata', 'https://169.254.169.254/jwks.json'), ['/jwksUrl'], 'link-local refused')
    assertInvalid(t2, await withUrl('decimal', 'https://2130706433/jwks.json'), ['/jwksUrl'], 'decimal-encoded 127.0.0.1 refused')
    // A static-key partner is unaffected by the network rules.
    t2.equal((await post(app, body())).statusCode, 201)
  })
})

forEachStore(t, 'create: jwtPublicKey rules', async (tt, build) => {
  const { app } = await build(tt)
  const withKey = (id: string, jwtPublicKey: unknown) => post(app, body({ id, jwtIssuer: id, jwtPublicKey }))

  const spki = await withKey('spki', good.spkiPem)
  tt.equal(spki.statusCode, 201, 'SPKI accepted')
  const pkcs1 = await withKey('pkcs1', good.pkcs1Pem)
  tt.equal(pkcs1.statusCode, 201, 'PKCS#1 accepted')
  tt.equal(pkcs1.json().jwtPublicKey, good.pkcs1Pem, 'stored as given')
  tt.equal((await withKey('k4096', makeKey('big', 4096).spkiPem)).statusCode, 201, '4096-bit accepted')

  assertInvalid(tt, await withKey('weak', makeKey('weak', 1024).spkiPem), ['/jwtPublicKey'], '1024-bit SPKI')
  assertInvalid(tt, await withKey('weak1', makeKey('weak', 1024).pkcs1Pem), ['/jwtPublicKey'], '1024-bit PKCS#1')
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  assertInvalid(tt, await withKey('ec', ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()), ['/jwtPublicKey'], 'EC key')
  const ed = generateKeyPairSync('ed25519')
  assertInvalid(tt, await withKey('ed', ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()), ['/jwtPublicKey'], 'Ed25519 key')
  assertInvalid(tt, await withKey('garbage', 'not a key at all'), ['/jwtPublicKey'], 'garbage')
  assertInvalid(tt, await withKey('empty', ''), ['/jwtPublicKey'], 'empty string')
  assertInvalid(tt, await withKey('armour', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), ['/jwtPublicKey'], 'armour around garbage')
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  assertInvalid(tt, await withKey('cert', cert), ['/jwtPublicKey'], 'a certificate block')
  assertInvalid(tt, await withKey('twokeys', good.spkiPem + makeKey('other').spkiPem), ['/jwtPublicKey'], 'two PEM blocks')
  assertInvalid(tt, await withKey('num', 12345), ['/jwtPublicKey'], 'a number')

  // A pasted private key is refused and never echoed back.
  for (const [what, pem] of [
    ['PKCS#8 private key', good.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['PKCS#1 private key', good.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['EC private key', ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString()],
  ] as const) {
    const res = await withKey('private', pem)
    assertInvalid(tt, res, ['/jwtPublicKey'], what)
    const lines = pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'))
    tt.ok(lines.length >= 2)
    tt.ok(lines.every((line) => !res.body.includes(line)), `${what}: no line of the PEM is in the body`)
    tt.notOk(res.body.includes('-----BEGIN'), `${what}: no PEM armour in the body`)
    // Not via a patch either.
    const patched = await patch(app, 'spki', { jwtPublicKey: pem })
    assertInvalid(tt, patched, ['/jwtPublicKey'], `${what} by PATCH`)
    tt.ok(lines.every((line) => !patched.body.includes(line)), `${what} by PATCH: not echoed`)
  }
  tt.equal((await get(app, '/admin/partners/private')).statusCode, 404, 'nothing stored')
})

forEachStore(t, 'create: exactly one of jwksUrl and jwtPublicKey', async (tt, build) => {
  const { app } = await build(tt)
  const jwks = await startJwksServer(tt, [makeKey('k1').publicJwk])
  assertInvalid(tt, await post(app, body({ jwksUrl: jwks.url })), ['/jwtPublicKey'], 'both')
  const neither = await post(app, body({ jwtPublicKey: undefined }))
  assertInvalid(tt, neither, ['/jwksUrl'], 'neither')
  assertInvalid(tt, await post(app, body({ jwtPublicKey: null, jwksUrl: null })), ['/jwksUrl'], 'both null')
  tt.equal(jwks.requests, 0, 'a refused write fetches nothing')
  tt.equal((await post(app, body({ jwtPublicKey: null, jwksUrl: jwks.url }))).statusCode, 201, 'jwksUrl with a null key')
})

forEachStore(t, 'create: duplicates', async (tt, build) => {
  const { app } = await build(tt)
  tt.equal((await post(app, body())).statusCode, 201)
  assertProblem(tt, await post(app, body({ jwtIssuer: 'https://other.example' })), 409, 'conflict', 'duplicate id')
  assertProblem(tt, await post(app, body({ id: 'other' })), 409, 'conflict', 'duplicate jwtIssuer')
  // Issuers are matched exactly: no trimming, no trailing-slash or case games.
  for (const [id, jwtIssuer] of [
    ['slash', 'https://auth.acme.example/'],
    ['space', ' https://auth.acme.example'],
    ['case', 'https://AUTH.acme.example'],
  ]) {
    tt.equal((await post(app, body({ id, jwtIssuer }))).statusCode, 201, `issuer variant ${JSON.stringify(jwtIssuer)} is a different issuer`)
  }
  tt.equal((await get(app, '/admin/partners/slash')).json().jwtIssuer, 'https://auth.acme.example/', 'stored as given')
  // A PATCH onto a taken issuer is a conflict too.
  assertProblem(tt, await patch(app, 'slash', { jwtIssuer: 'https://auth.acme.example' }), 409, 'conflict', 'patch to a taken issuer')
  tt.equal((await get(app, '/admin/partners/slash')).json().version, 1, 'nothing changed')
})

forEachStore(t, 'list, get and 404', async (tt, build) => {
  const { app } = await build(tt)
  const empty = await get(app, '/admin/partners')
  tt.equal(empty.statusCode, 200)
  tt.same(empty.json(), { items: [] })
  await post(app, body({ id: 'zeta', jwtIssuer: 'z' }))
  await post(app, body({ id: 'alpha', jwtIssuer: 'a' }))
  const list = (await get(app, '/admin/partners')).json()
  tt.same(Object.keys(list), ['items'])
  tt.same(list.items.map((p: { id: string }) => p.id), ['alpha', 'zeta'])
  tt.match(list.items[0], { id: 'alpha', version: 1, status: 'active' })

  assertProblem(tt, await get(app, '/admin/partners/nope'), 404, 'not_found', 'unknown partner')
  assertProblem(tt, await get(app, '/admin/partners/NOPE'), 404, 'not_found', 'not even a slug')
  assertProblem(tt, await patch(app, 'nope', { name: 'x' }), 404, 'not_found', 'PATCH unknown')
  assertProblem(tt, await app.inject({ method: 'DELETE', url: '/admin/partners/nope', headers: admin }), 404, 'not_found', 'DELETE unknown')
  assertProblem(tt, await app.inject({ method: 'POST', url: '/admin/partners/nope/api-keys', headers: admin }), 404, 'not_found', 'API key for unknown')
  assertProblem(tt, await get(app, '/admin/partners/nope/api-keys'), 404, 'not_found', 'API keys of unknown')
})

forEachStore(t, 'PATCH: merge-patch semantics, versions and ETags', async (tt, build) => {
  const { app, store } = await build(tt)
  await post(app, body({ jwtAudience: 'gatehouse' }))

  const renamed = await patch(app, 'acme', { name: 'Acme Inc' }, { 'content-type': 'application/merge-patch+json' })
  tt.equal(renamed.statusCode, 200, 'application/merge-patch+json')
  tt.equal(renamed.headers.etag, '"2"')
  tt.match(renamed.json(), { name: 'Acme Inc', version: 2, jwtAudience: 'gatehouse', jwtIssuer: 'https://auth.acme.example' })
  tt.notOk('warnings' in renamed.json())

  const viaJson = await patch(app, 'acme', { maxTokenLifetimeSeconds: 600 }, { 'content-type': 'application/json' })
  tt.equal(viaJson.statusCode, 200, 'application/json')
  tt.equal(viaJson.headers.etag, '"3"')
  tt.match(viaJson.json(), { maxTokenLifetimeSeconds: 600, version: 3, name: 'Acme Inc' })

  const charset = await patch(app, 'acme', { name: 'Acme' }, { 'content-type': 'application/merge-patch+json; charset=utf-8' })
  tt.equal(charset.statusCode, 200, 'merge-patch with a charset parameter')
  tt.equal(charset.json().version, 4)

  const cleared = await patch(app, 'acme', { jwtAudience: null }, { 'content-type': 'application/merge-patch+json' })
  tt.equal(cleared.statusCode, 200)
  tt.equal(cleared.json().jwtAudience, null, 'null clears a nullable field')
  tt.equal(cleared.json().version, 5)
  tt.ok(Date.parse(cleared.json().updatedAt) >= Date.parse(cleared.json().createdAt))

  // A patch that changes nothing does not bump the version.
  const same = await patch(app, 'acme', { name: 'Acme', jwtAudience: null })
  tt.equal(same.statusCode, 200)
  tt.equal(same.json().version, 5, 'no-op patch: same version')
  tt.equal(same.headers.etag, '"5"')
  const emptyPatch = await patch(app, 'acme', {})
  tt.equal(emptyPatch.statusCode, 200)
  tt.equal(emptyPatch.json().version, 5, 'empty patch: same version')
  tt.equal((await get(app, '/admin/partners/acme')).headers.etag, '"5"')

  // id is immutable; unknown and non-nullable nulls are refused.
  assertInvalid(tt, await patch(app, 'acme', { id: 'other' }), ['/id'], 'id in the body')
  assertInvalid(tt, await patch(app, 'acme', { id: 'acme' }), ['/id'], 'the same id in the body')
  assertInvalid(tt, await patch(app, 'acme', { version: 9 }), ['/version'], 'version in the body')
  assertInvalid(tt, await patch(app, 'acme', { nickname: 'x' }), ['/nickname'], 'unknown field')
  assertInvalid(tt, await patch(app, 'acme', { name: null }), ['/name'], 'null name')
  assertInvalid(tt, await patch(app, 'acme', { status: null }), ['/status'], 'null status')
  assertInvalid(tt, await patch(app, 'acme', { maxTokenLifetimeSeconds: '600' }), ['/maxTokenLifetimeSeconds'], 'string lifetime')
  assertInvalid(tt, await patch(app, 'acme', { maxTokenLifetimeSeconds: 86401 }), ['/maxTokenLifetimeSeconds'], 'lifetime too long')
  // Clearing the only key source leaves neither: refused on the merged record.
  assertInvalid(tt, await patch(app, 'acme', { jwtPublicKey: null }), ['/jwksUrl'], 'clearing the only key')
  assertProblem(tt, await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { ...admin, 'content-type': 'application/merge-patch+json' }, payload: '[1]' }), 400, 'invalid_request', 'array patch')
  assertProblem(tt, await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { ...admin, 'content-type': 'application/merge-patch+json' }, payload: '{"name":' }), 400, 'invalid_request', 'broken merge-patch JSON')
  tt.equal((await store.partners.get('acme'))?.version, 5, 'refused patches changed nothing')

  // Switch JWKS ⇄ static key.
  const jwks = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const toJwks = await patch(app, 'acme', { jwksUrl: jwks.url, jwtPublicKey: null }, { 'content-type': 'application/merge-patch+json' })
  tt.equal(toJwks.statusCode, 200, 'static → JWKS')
  tt.match(toJwks.json(), { jwksUrl: jwks.url, jwtPublicKey: null, version: 6 })
  tt.same(toJwks.json().warnings, [], 'a write setting jwksUrl reports warnings')
  assertInvalid(tt, await patch(app, 'acme', { jwtPublicKey: good.spkiPem }), ['/jwtPublicKey'], 'adding a key beside the URL')
  const toStatic = await patch(app, 'acme', { jwtPublicKey: good.pkcs1Pem, jwksUrl: null })
  tt.equal(toStatic.statusCode, 200, 'JWKS → static')
  tt.match(toStatic.json(), { jwksUrl: null, jwtPublicKey: good.pkcs1Pem, version: 7 })
  tt.notOk('warnings' in toStatic.json())
  const view = await get(app, '/admin/partners/acme/keys')
  tt.match(view.json(), { source: 'static', keys: [{ bits: 2048, usable: true }] }, 'the verifier sees the change at once')
})

forEachStore(t, 'PATCH and DELETE honour If-Match', async (tt, build) => {
  const { app } = await build(tt)
  await post(app, body())
  const matching = await patch(app, 'acme', { name: 'v2' }, { 'if-match': '"1"' })
  tt.equal(matching.statusCode, 200, 'matching If-Match')
  tt.equal(matching.headers.etag, '"2"')
  assertProblem(tt, await patch(app, 'acme', { name: 'v3' }, { 'if-match': '"1"' }), 412, 'precondition_failed', 'stale If-Match')
  assertProblem(tt, await patch(app, 'acme', { name: 'v3' }, { 'if-match': 'garbage' }), 412, 'precondition_failed', 'unparseable If-Match')
  assertProblem(tt, await patch(app, 'acme', { name: 'v3' }, { 'if-match': '"99"' }), 412, 'precondition_failed', 'future If-Match')
  tt.equal((await get(app, '/admin/partners/acme')).json().name, 'v2', 'a refused patch changes nothing')
  const star = await patch(app, 'acme', { name: 'v3' }, { 'if-match': '*' })
  tt.equal(star.statusCode, 200, 'If-Match: *')
  tt.equal(star.headers.etag, '"3"')
  const weak = await patch(app, 'acme', { name: 'v4' }, { 'if-match': 'W/"3"' })
  tt.equal(weak.statusCode, 200, 'weak form of the current ETag')
  tt.equal(weak.json().version, 4)

  // DELETE: only a disabled partner, and only at the expected version.
  assertProblem(tt, await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: admin }), 409, 'conflict', 'deleting an active partner')
  const disabled = await patch(app, 'acme', { status: 'disabled' }, { 'if-match': '"4"' })
  tt.equal(disabled.json().version, 5)
  assertProblem(
    tt,
    await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: { ...admin, 'if-match': '"4"' } }),
    412,
    'precondition_failed',
    'stale If-Match on DELETE',
  )
  tt.equal((await get(app, '/admin/partners/acme')).statusCode, 200, 'still there')
  const del = await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: { ...admin, 'if-match': '"5"' } })
  tt.equal(del.statusCode, 204)
  tt.equal(del.body, '')
  assertProblem(tt, await get(app, '/admin/partners/acme'), 404, 'not_found', 'gone')
  assertProblem(tt, await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: admin }), 404, 'not_found', 'deleted twice')
})

forEachStore(t, 'DELETE removes the partner with its users and API keys', async (tt, build) => {
  const { app, store } = await build(tt)
  await post(app, body())
  await post(app, body({ id: 'other', jwtIssuer: 'https://other.example' }))
  const key = await createApiKey(app, 'acme')
  const otherKey = await createApiKey(app, 'other')
  const asPartner = (k: string) => ({ authorization: `Bearer ${k}` })
  for (const [k, id] of [[key, 'u1'], [key, 'u2'], [otherKey, 'u1']] as const) {
    const res = await app.inject({ method: 'POST', url: '/integrations/users', headers: asPartner(k), payload: { externalUserId: id } })
    tt.equal(res.statusCode, 201)
  }
  await patch(app, 'acme', { status: 'disabled' })
  const del = await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: admin })
  tt.equal(del.statusCode, 204)

  tt.equal(await store.users.get('acme', 'u1'), null, 'users gone')
  tt.equal(await store.users.get('acme', 'u2'), null)
  tt.same(await store.apiKeys.list('acme'), [], 'API keys gone')
  tt.ok(await store.users.get('other', 'u1'), "other partner's user stays")
  tt.equal((await store.apiKeys.list('other')).length, 1)

  // Re-creating the id starts from nothing: the old key does not come back to life.
  tt.equal((await post(app, body())).statusCode, 201)
  assertProblem(
    tt,
    await app.inject({ method: 'GET', url: '/integrations/users/u1', headers: asPartner(key) }),
    401,
    'unauthorized',
    "deleted partner's key",
  )
  const fresh = await createApiKey(app, 'acme')
  assertProblem(tt, await app.inject({ method: 'GET', url: '/integrations/users/u1', headers: asPartner(fresh) }), 404, 'not_found', 'old user gone')
  tt.equal((await app.inject({ method: 'GET', url: '/integrations/users/u1', headers: asPartner(otherKey) })).statusCode, 200)
})

forEachStore(t, 'warnings when a write sets a jwksUrl', async (tt, build) => {
  const { app, store } = await build(tt)
  const ec = { kty: 'EC', kid: 'ec-key', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', use: 'sig' }
  const weak = makeKey('weak-key', 1024).publicJwk
  const flawed = await startJwksServer(tt, [ec, weak])
  const res = await post(app, body({ id: 'flawed', jwtIssuer: 'f', jwtPublicKey: undefined, jwksUrl: flawed.url }))
  tt.equal(res.statusCode, 201, 'warnings never fail the write')
  const warnings: string[] = res.json().warnings
  tt.ok(Array.isArray(warnings))
  tt.ok(warnings.some((w) => w.includes('ec-key')), 'the EC key is named')
  tt.ok(warnings.some((w) => w.includes('weak-key')), 'the 1024-bit key is named')
  tt.ok(warnings.some((w) => /no usable key/i.test(w)), 'no usable key is reported')
  tt.equal(flawed.requests, 1, 'fetched once')
  tt.ok(await store.partners.get('flawed'), 'stored')

  const port = await closedPort()
  const down = await post(app, body({ id: 'down', jwtIssuer: 'd', jwtPublicKey: undefined, jwksUrl: `http://127.0.0.1:${port}/jwks.json` }))
  tt.equal(down.statusCode, 201, 'an unreachable JWKS does not fail the write')
  tt.ok((down.json().warnings as string[]).some((w) => /unreachable/i.test(w)), 'an unreachable warning')
  tt.ok(await store.partners.get('down'))

  // PATCH setting the URL reports too; PATCH not touching it does not.
  const healthy = await startJwksServer(tt, [makeKey('k1').publicJwk, weak])
  const patched = await patch(app, 'down', { jwksUrl: healthy.url })
  tt.equal(patched.statusCode, 200)
  tt.same(patched.json().warnings.length, 1)
  tt.ok(patched.json().warnings[0].includes('weak-key'))
  tt.notOk('warnings' in (await patch(app, 'down', { name: 'Down' })).json())
  const staticPatch = await patch(app, 'down', { jwtPublicKey: good.spkiPem, jwksUrl: null })
  tt.notOk('warnings' in staticPatch.json(), 'clearing the URL is not setting it')
})

forEachStore(t, 'API keys', async (tt, build) => {
  const { app } = await build(tt)
  await post(app, body())
  await post(app, body({ id: 'other', jwtIssuer: 'o' }))
  const create = () => app.inject({ method: 'POST', url: '/admin/partners/acme/api-keys', headers: admin })
  const first = await create()
  tt.equal(first.statusCode, 201)
  const k1 = first.json()
  tt.same(Object.keys(k1).sort(), ['createdAt', 'id', 'key', 'prefix'])
  tt.type(k1.key, 'string')
  tt.ok(k1.key.startsWith(k1.prefix), 'prefix is the start of the key')
  tt.ok(k1.key.length > k1.prefix.length + 20, 'prefix is only a part')
  const k2 = (await create()).json()
  tt.not(k2.key, k1.key)

  const listed = await get(app, '/admin/partners/acme/api-keys')
  tt.equal(listed.statusCode, 200)
  tt.same(listed.json().items.map((k: { id: string }) => k.id).sort(), [k1.id, k2.id].sort())
  for (const item of listed.json().items) {
    tt.same(Object.keys(item).sort(), ['createdAt', 'id', 'prefix', 'revokedAt'], 'no key, no hash')
    tt.equal(item.revokedAt, null)
  }
  tt.notOk(listed.body.includes(k1.key) || listed.body.includes(k2.key), 'secrets never listed')
  tt.notOk(listed.body.includes(hashSecret(k1.key)), 'hashes never listed')
  tt.same((await get(app, '/admin/partners/other/api-keys')).json(), { items: [] }, 'per partner')

  const users = (key: string) => app.inject({ method: 'POST', url: '/integrations/users', headers: { authorization: `Bearer ${key}` }, payload: { externalUserId: 'u' } })
  tt.equal((await users(k1.key)).statusCode, 201, 'a live key works')
  tt.equal((await users(k2.key)).statusCode, 200, 'several keys live at once')

  assertProblem(tt, await app.inject({ method: 'DELETE', url: `/admin/partners/other/api-keys/${k1.id}`, headers: admin }), 404, 'not_found', "revoking through another partner's path")
  const revoked = await app.inject({ method: 'DELETE', url: `/admin/partners/acme/api-keys/${k1.id}`, headers: admin })
  tt.equal(revoked.statusCode, 204)
  tt.equal(revoked.body, '')
  assertProblem(tt, await app.inject({ method: 'DELETE', url: `/admin/partners/acme/api-keys/${k1.id}`, headers: admin }), 404, 'not_found', 'revoked twice')
  assertProblem(tt, await app.inject({ method: 'DELETE', url: '/admin/partners/acme/api-keys/no-such-key', headers: admin }), 404, 'not_found', 'unknown key id')
  assertProblem(tt, await users(k1.key), 401, 'unauthorized', 'a revoked key')
  tt.equal((await users(k2.key)).statusCode, 200, 'the other key still works (rotation)')
  const after = (await get(app, '/admin/partners/acme/api-keys')).json().items
  const r1 = after.find((k: { id: string }) => k.id === k1.id)
  tt.type(r1.revokedAt, 'string', 'revocation shown in the list')
})

forEachStore(t, 'audit log', async (tt, build) => {
  const { app } = await build(tt)
  const jwks = await startJwksServer(tt, [makeKey('k1').publicJwk])
  await post(app, body())
  await post(app, body({ id: 'other', jwtIssuer: 'o', jwtPublicKey: undefined, jwksUrl: jwks.url }))
  await patch(app, 'acme', { name: 'Acme 2', jwtAudience: 'aud' })
  const keyRes = (await app.inject({ method: 'POST', url: '/admin/partners/acme/api-keys', headers: admin })).json()
  await app.inject({ method: 'DELETE', url: `/admin/partners/acme/api-keys/${keyRes.id}`, headers: admin })
  await patch(app, 'acme', { jwtPublicKey: good.pkcs1Pem })
  await patch(app, 'acme', { status: 'disabled' })
  await patch(app, 'acme', { status: 'disabled' }) // a no-op: no entry
  await app.inject({ method: 'DELETE', url: '/admin/partners/acme', headers: admin })

  const all = await get(app, '/admin/audit')
  tt.equal(all.statusCode, 200)
  const items: { id: number; at: string; actor: string; action: string; partnerId: string | null; changedFields: string[] }[] = all.json().items
  tt.same(Object.keys(all.json()), ['items'])
  tt.same(
    items.map((e) => [e.action, e.partnerId]),
    [
      ['partner.delete', 'acme'],
      ['partner.update', 'acme'],
      ['partner.update', 'acme'],
      ['api_key.revoke', 'acme'],
      ['api_key.create', 'acme'],
      ['partner.update', 'acme'],
      ['partner.create', 'other'],
      ['partner.create', 'acme'],
    ],
    'every change, newest first',
  )
  tt.ok(items.every((e) => e.actor === 'env'), 'ADMIN_TOKEN acts as env')
  tt.ok(items.every((e, i) => i === 0 || items[i - 1]!.id > e.id), 'ids descend')
  tt.ok(items.every((e) => new Date(e.at).toISOString() === e.at), 'times are ISO-8601 UTC')
  tt.same(items[1]!.changedFields, ['status'])
  tt.same(items[2]!.changedFields, ['jwtPublicKey'])
  tt.same([...items[5]!.changedFields].sort(), ['jwtAudience', 'name'])
  tt.ok(items[7]!.changedFields.includes('jwtIssuer'))

  const serialized = all.body
  tt.notOk(serialized.includes(keyRes.key), 'no API key in the audit')
  tt.notOk(serialized.includes(hashSecret(keyRes.key)), 'no API key hash in the audit')
  tt.notOk(serialized.includes('BEGIN'), 'no PEM in the audit')
  tt.notOk(serialized.includes(good.spkiPem.split('\n')[1]!), 'no key material in the audit')

  const other = (await get(app, '/admin/audit?partnerId=other')).json().items
  tt.same(other.map((e: { action: string }) => e.action), ['partner.create'], 'partnerId filter')
  tt.same((await get(app, '/admin/audit?partnerId=nobody')).json(), { items: [] })

  const page1 = (await get(app, '/admin/audit?limit=3')).json().items
  tt.same(page1.map((e: { id: number }) => e.id), items.slice(0, 3).map((e) => e.id), 'limit')
  const page2 = (await get(app, `/admin/audit?limit=3&before=${page1.at(-1).id}`)).json().items
  tt.same(page2.map((e: { id: number }) => e.id), items.slice(3, 6).map((e) => e.id), 'before pages on')
  const page3 = (await get(app, `/admin/audit?limit=3&before=${page2.at(-1).id}`)).json().items
  tt.same(page3.map((e: { id: number }) => e.id), items.slice(6).map((e) => e.id), 'last page')
  const filteredPage = (await get(app, `/admin/audit?partnerId=acme&limit=2&before=${items[1]!.id}`)).json().items
  tt.same(filteredPage.map((e: { id: number }) => e.id), [items[2]!.id, items[3]!.id], 'filter and paging combine')

  assertInvalid(tt, await get(app, '/admin/audit?limit=0'), ['querystring/limit'], 'limit 0')
  assertInvalid(tt, await get(app, '/admin/audit?limit=501'), ['querystring/limit'], 'limit 501')
  assertInvalid(tt, await get(app, '/admin/audit?limit=ten'), ['querystring/limit'], 'limit not a number')
  assertInvalid(tt, await get(app, '/admin/audit?before=abc'), ['querystring/before'], 'before not an id')
  assertInvalid(tt, await get(app, '/admin/audit?sort=asc'), ['querystring/sort'], 'unknown query parameter')
})

forEachStore(t, 'request bodies: size, content type, JSON, unknown routes', async (tt, build) => {
  const { app } = await build(tt)
  const big = await post(app, body({ name: 'x'.repeat(70 * 1024) }))
  assertProblem(tt, big, 413, 'payload_too_large', 'body over 64 KiB')
  const bigPatch = await app.inject({
    method: 'PATCH',
    url: '/admin/partners/acme',
    headers: { ...admin, 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
  })
  assertProblem(tt, bigPatch, 413, 'payload_too_large', 'merge-patch over 64 KiB')

  const raw = (contentType: string, payload: string) =>
    app.inject({ method: 'POST', url: '/admin/partners', headers: { ...admin, 'content-type': contentType }, payload })
  assertProblem(tt, await raw('text/plain', JSON.stringify(body())), 415, 'invalid_request', 'text/plain')
  assertProblem(tt, await raw('application/xml', '<partner/>'), 415, 'invalid_request', 'application/xml')
  assertProblem(tt, await raw('application/x-www-form-urlencoded', 'id=acme'), 415, 'invalid_request', 'form')
  assertProblem(
    tt,
    await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { ...admin, 'content-type': 'text/plain' }, payload: '{"name":"x"}' }),
    415,
    'invalid_request',
    'text/plain PATCH',
  )
  assertProblem(tt, await raw('application/json', '{"id": "acme",'), 400, 'invalid_request', 'invalid JSON')
  assertProblem(tt, await raw('application/json', ''), 400, 'invalid_request', 'empty JSON body')
  assertProblem(tt, await raw('application/json', '{"__proto__": {"x": 1}}'), 400, 'invalid_request', 'prototype poisoning')
  tt.equal((await get(app, '/admin/partners')).json().items.length, 0, 'nothing was created')

  assertProblem(tt, await app.inject({ method: 'GET', url: '/nope' }), 404, 'not_found', 'unknown route')
  assertProblem(tt, await app.inject({ method: 'GET', url: '/admin/nope', headers: admin }), 404, 'not_found', 'unknown admin route')
  assertProblem(tt, await app.inject({ method: 'PUT', url: '/admin/partners/acme', headers: admin, payload: {} }), 404, 'not_found', 'unknown method')
})

forEachStore(t, 'a partner write takes effect on the very next request', async (tt, build) => {
  const { app } = await build(tt)
  await post(app, body())
  const key = await createApiKey(app, 'acme')
  const call = () => app.inject({ method: 'GET', url: '/integrations/users/u', headers: { authorization: `Bearer ${key}` } })
  tt.equal((await call()).statusCode, 404)
  await patch(app, 'acme', { status: 'disabled' })
  assertProblem(tt, await call(), 401, 'unauthorized', "a disabled partner's API key")
  await patch(app, 'acme', { status: 'active' })
  tt.equal((await call()).statusCode, 404, 'enabled again')
})
