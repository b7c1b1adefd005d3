// Strings the databases cannot hold exactly (a NUL, an unpaired surrogate) and numbers past the safe-integer
// range are refused with 400 wherever the API takes them — bodies, path parameters, query values — on both
// stores, never a 5xx and never a driver error (whose message would carry the query's parameters) in the logs.
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { REDACT_PATHS } from '../../src/http/logger-options.js'
import { openStore } from '../../src/storage/index.js'
import { ADMIN_TOKEN, admin } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertInvalid, assertProblem } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'

const NUL = 'a\u0000b'
const LONE_HIGH = '\ud800'
const LONE_LOW = '\udfff'
/** Profile values sent beside a bad field: they must not reach the logs. */
const SECRET_EMAIL = 'secret-ada@example.com'

const key = makeKey('strings')

interface Setup {
  app: FastifyInstance
  apiKey: string
  /** Everything the app logged so far (pino JSON lines). */
  logs(): string
}

/** One test per store, each on a real app with partner `acme` (static key) and an API key, logging into memory. */
function onEachStore(name: string, fn: (tt: Test, setup: Setup) => Promise<void>): void {
  forEachStore(t, name, async (tt, _build, backend) => {
    let logs = ''
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logs += String(chunk)
        done()
      },
    })
    const config = loadConfig({ DATABASE_URL: await backend.freshDatabase(tt), ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'info' })
    const store = await openStore(config.database)
    const app = await buildApp({ config, store, logger: { level: 'info', stream, redact: REDACT_PATHS } })
    tt.teardown(async () => {
      await app.close()
      await store.close()
    })
    await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
    await fn(tt, { app, apiKey: await createApiKey(app, 'acme'), logs: () => logs })
  })
}

/** No 5xx was answered, nothing was logged at error level, and no profile value reached the logs. */
function assertQuietLogs(tt: Test, logs: string): void {
  const lines = logs.trim().split('\n').map((line) => JSON.parse(line) as { level: number; res?: { statusCode: number } })
  tt.notOk(lines.some((l) => (l.res?.statusCode ?? 0) >= 500), 'no 5xx answered')
  tt.notOk(lines.some((l) => l.level >= 50), 'nothing logged at error level')
  tt.notOk(logs.includes(SECRET_EMAIL), 'no profile value in the logs')
}

onEachStore('user upserts: a NUL or an unpaired surrogate in any field is 400 naming it, and stores nothing', async (tt, { app, apiKey, logs }) => {
  const headers = { authorization: `Bearer ${apiKey}` }
  const upsert = (payload: object) => app.inject({ method: 'POST', url: '/integrations/users', headers, payload })
  assertInvalid(tt, await upsert({ externalUserId: NUL, email: SECRET_EMAIL }), ['/externalUserId'], 'NUL in externalUserId')
  assertInvalid(tt, await upsert({ externalUserId: 'u', displayName: `Ada${NUL}`, email: SECRET_EMAIL }), ['/displayName'], 'NUL in displayName')
  assertInvalid(tt, await upsert({ externalUserId: 'u', phone: `+44${LONE_LOW}`, email: SECRET_EMAIL }), ['/phone'], 'lone surrogate in phone')
  assertInvalid(tt, await upsert({ externalUserId: 'u', email: `ada${NUL}@example.com` }), ['/email'], 'NUL in email')
  for (const id of [LONE_HIGH, LONE_LOW, `user-${LONE_HIGH}`]) {
    assertInvalid(tt, await upsert({ externalUserId: id, email: SECRET_EMAIL }), ['/externalUserId'], `unpaired surrogate in ${JSON.stringify(id)}`)
  }
  const get = (id: string) => app.inject({ method: 'GET', url: `/integrations/users/${encodeURIComponent(id)}`, headers })
  assertProblem(tt, await get('u'), 404, 'not_found', 'the user with bad fields was not stored')
  assertProblem(tt, await get('\ufffd'), 404, 'not_found', 'nor anything under U+FFFD')
  assertQuietLogs(tt, logs())
})

onEachStore('user paths and token checks: a NUL is 400 naming the parameter', async (tt, { app, apiKey, logs }) => {
  const headers = { authorization: `Bearer ${apiKey}` }
  for (const method of ['GET', 'DELETE'] as const) {
    assertInvalid(tt, await app.inject({ method, url: '/integrations/users/a%00b', headers }), ['params/externalUserId'], `${method} with %00`)
  }
  const check = await app.inject({ method: 'POST', url: '/integrations/token-checks', headers, payload: { token: NUL } })
  assertInvalid(tt, check, ['/token'], 'token-check body')
  assertQuietLogs(tt, logs())
})

onEachStore('partner writes: a NUL or an unpaired surrogate in any string field is 400 naming it, and writes nothing', async (tt, { app, logs }) => {
  const base = { id: 'beta', name: 'Beta', jwtIssuer: 'https://beta.example', jwtPublicKey: key.spkiPem }
  const create = (over: object) => app.inject({ method: 'POST', url: '/admin/partners', headers: admin, payload: { ...base, ...over } })
  const patch = (payload: object) => app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload })
  const bad = [
    ['name', NUL],
    ['jwtIssuer', `https://beta.example/${LONE_HIGH}`],
    ['jwtAudience', `aud${LONE_LOW}`],
    ['jwtPublicKey', `${key.spkiPem}${NUL}`],
  ] as const
  for (const [field, value] of bad) {
    assertInvalid(tt, await create({ [field]: value }), [`/${field}`], `create: ${field}`)
    assertInvalid(tt, await patch({ [field]: value }), [`/${field}`], `patch: ${field}`)
  }
  assertInvalid(tt, await create({ jwtPublicKey: undefined, jwksUrl: `http://127.0.0.1/${NUL}` }), ['/jwksUrl'], 'create: jwksUrl')
  assertInvalid(tt, await patch({ jwtPublicKey: null, jwksUrl: `http://127.0.0.1/${LONE_HIGH}` }), ['/jwksUrl'], 'patch: jwksUrl')
  assertProblem(tt, await app.inject({ method: 'GET', url: '/admin/partners/beta', headers: admin }), 404, 'not_found', 'beta was never created')
  tt.match((await app.inject({ method: 'GET', url: '/admin/partners/acme', headers: admin })).json(), { name: 'Partner acme', version: 1 }, 'acme unchanged')
  assertQuietLogs(tt, logs())
})

onEachStore('admin paths: a NUL in :id or :keyId is 400 naming the parameter', async (tt, { app, logs }) => {
  const calls = [
    ['GET', '/admin/partners/a%00b', 'params/id'],
    ['PATCH', '/admin/partners/a%00b', 'params/id'],
    ['DELETE', '/admin/partners/a%00b', 'params/id'],
    ['POST', '/admin/partners/a%00b/api-keys', 'params/id'],
    ['GET', '/admin/partners/a%00b/api-keys', 'params/id'],
    ['GET', '/admin/partners/a%00b/keys', 'params/id'],
    ['POST', '/admin/partners/a%00b/keys/refresh', 'params/id'],
    ['DELETE', '/admin/partners/acme/api-keys/a%00b', 'params/keyId'],
  ] as const
  for (const [method, url, path] of calls) {
    const payload = method === 'PATCH' ? { name: 'X' } : undefined
    assertInvalid(tt, await app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) }), [path], `${method} ${url}`)
  }
  assertProblem(tt, await app.inject({ method: 'GET', url: '/admin/partners/Not_A_Slug', headers: admin }), 404, 'not_found', 'a well-formed id no partner has')
  assertQuietLogs(tt, logs())
})

onEachStore('audit query: a NUL or a malformed percent-encoding in partnerId, or a limit or before past the safe-integer range, is 400', async (tt, { app, logs }) => {
  const audit = (query: string): Promise<LightMyRequestResponse> => app.inject({ method: 'GET', url: `/admin/audit?${query}`, headers: admin })
  assertInvalid(tt, await audit('partnerId=a%00b'), ['querystring/partnerId'], 'NUL in partnerId')
  assertInvalid(tt, await audit(`before=${'9'.repeat(30)}`), ['querystring/before'], 'a 30-digit before')
  assertInvalid(tt, await audit('before=9007199254740992'), ['querystring/before'], 'before one past the safe range')
  assertInvalid(tt, await audit(`limit=${'1'.repeat(30)}`), ['querystring/limit'], 'a 30-digit limit')
  for (const query of ['partnerId=%ED%A0%80', 'partnerId=%E0%A4%A', 'partnerId=%FF']) {
    assertProblem(tt, await audit(query), 400, 'invalid_request', `a malformed percent-encoding (${query}) is refused, not read as text`)
  }
  const edge = await audit('before=9007199254740991')
  tt.equal(edge.statusCode, 200, 'the largest safe integer is a valid before')
  tt.same(edge.json(), (await audit('')).json(), 'and pages from the newest entry')
  assertQuietLogs(tt, logs())
})

onEachStore('/me: a sub with a NUL or an unpaired surrogate is missing_claim and provisions no one', async (tt, { app, apiKey, logs }) => {
  const now = Math.floor(Date.now() / 1000)
  for (const sub of [NUL, LONE_HIGH, `${LONE_LOW}user`]) {
    const token = await mint(key, { iss: 'https://acme.example', sub, email: SECRET_EMAIL }, { now })
    const res = await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
    assertProblem(tt, res, 401, 'missing_claim', `sub ${JSON.stringify(sub)}`)
    tt.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse", error="invalid_token", error_description="missing_claim"')
    const check = await app.inject({ method: 'POST', url: '/integrations/token-checks', headers: { authorization: `Bearer ${apiKey}` }, payload: { token } })
    tt.match(check.json(), { valid: false, code: 'missing_claim', detail: /^sub / }, 'the token check names the sub claim')
  }
  tt.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /gatehouse_jit_provisions_total 0\n/, 'no user provisioned')
  assertQuietLogs(tt, logs())
})
