// Partner user API: API-key auth, strict upserts, percent-encoded ids, and isolation between partners.
import { request } from 'node:http'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { BODY_LIMIT_BYTES } from '../../src/http/limits.js'
import { admin } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertInvalid, assertProblem } from '../helpers/problem.js'
import { type Build, forEachStore } from '../helpers/stores.js'

interface Partner {
  id: string
  key: string
  upsert(payload: unknown): Promise<LightMyRequestResponse>
  get(externalUserId: string): Promise<LightMyRequestResponse>
  del(externalUserId: string): Promise<LightMyRequestResponse>
}

function asPartner(app: FastifyInstance, id: string, key: string): Partner {
  const headers = { authorization: `Bearer ${key}` }
  const path = (externalUserId: string) => `/integrations/users/${encodeURIComponent(externalUserId)}`
  return {
    id,
    key,
    upsert: (payload) => app.inject({ method: 'POST', url: '/integrations/users', headers, payload: payload as object }),
    get: (externalUserId) => app.inject({ method: 'GET', url: path(externalUserId), headers }),
    del: (externalUserId) => app.inject({ method: 'DELETE', url: path(externalUserId), headers }),
  }
}

async function setup(build: Build, tt: Test) {
  const built = await build(tt)
  const partner = async (id: string) => {
    await createPartner(built.app, { id, jwtPublicKey: makeKey(`users-${id}`).spkiPem })
    return asPartner(built.app, id, await createApiKey(built.app, id))
  }
  return { ...built, partner }
}

forEachStore(t, 'API-key auth', async (tt, build) => {
  const { app, partner } = await setup(build, tt)
  const acme = await partner('acme')
  const calls = (headers: Record<string, string>) => [
    app.inject({ method: 'POST', url: '/integrations/users', headers, payload: { externalUserId: 'u' } }),
    app.inject({ method: 'GET', url: '/integrations/users/u', headers }),
    app.inject({ method: 'DELETE', url: '/integrations/users/u', headers }),
    app.inject({ method: 'POST', url: '/integrations/token-checks', headers, payload: { token: 'x' } }),
  ]
  for (const [what, headers] of [
    ['no header', {}],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['unknown key', { authorization: 'Bearer gh_pk_notarealkey' }],
    ['the admin token', admin],
    ['wrong scheme', { authorization: `Basic ${acme.key}` }],
    ['key with a suffix', { authorization: `Bearer ${acme.key}x` }],
  ] as const) {
    for (const res of await Promise.all(calls(headers))) {
      const problem = assertProblem(tt, res, 401, 'unauthorized', what)
      tt.notOk(JSON.stringify(problem).includes(acme.key), `${what}: key not echoed`)
    }
  }
  const ok = await acme.upsert({ externalUserId: 'u' })
  tt.equal(ok.statusCode, 201, 'a live key works')
  tt.equal((await app.inject({ method: 'GET', url: '/integrations/users/u', headers: { authorization: `bearer ${acme.key}` } })).statusCode, 200, 'scheme is case-insensitive')

  // A disabled partner's key is refused, and works again once the partner is active.
  const disable = await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { status: 'disabled' } })
  tt.equal(disable.statusCode, 200)
  for (const res of await Promise.all(calls({ authorization: `Bearer ${acme.key}` }))) {
    assertProblem(tt, res, 401, 'unauthorized', "disabled partner's key")
  }
  await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { status: 'active' } })
  tt.equal((await acme.get('u')).statusCode, 200, 'enabled again')
})

forEachStore(t, 'upsert: 201 then 200, absent unchanged, null clears', async (tt, build) => {
  const { partner, store } = await setup(build, tt)
  const acme = await partner('acme')
  const created = await acme.upsert({
    externalUserId: 'user-42',
    email: 'ada@example.com',
    displayName: 'Ada Lovelace',
    phone: '+44 20 7946 0000',
    countryCode: 'gb',
    locale: 'en-GB',
  })
  tt.equal(created.statusCode, 201)
  tt.match(created.headers['content-type'], /^application\/json/)
  const user = created.json()
  tt.same(Object.keys(user).sort(), [
    'countryCode',
    'createdAt',
    'displayName',
    'email',
    'externalUserId',
    'id',
    'locale',
    'partnerId',
    'phone',
    'provisionedBy',
    'tokensValidAfter',
    'updatedAt',
  ])
  tt.match(user, {
    partnerId: 'acme',
    externalUserId: 'user-42',
    email: 'ada@example.com',
    displayName: 'Ada Lovelace',
    phone: '+44 20 7946 0000',
    countryCode: 'GB',
    locale: 'en-GB',
    provisionedBy: 'api',
  })
  tt.equal((await store.users.get('acme', 'user-42'))?.countryCode, 'GB', 'stored uppercased')
  tt.equal(new Date(user.createdAt).toISOString(), user.createdAt)

  const minimal = await acme.upsert({ externalUserId: 'bare' })
  tt.equal(minimal.statusCode, 201)
  tt.match(minimal.json(), { email: null, displayName: null, phone: null, countryCode: null, locale: null }, 'absent values are null')

  const updated = await acme.upsert({ externalUserId: 'user-42', displayName: 'Ada', countryCode: 'Fr' })
  tt.equal(updated.statusCode, 200, 'existing user: 200')
  tt.match(updated.json(), {
    id: user.id,
    email: 'ada@example.com',
    displayName: 'Ada',
    phone: '+44 20 7946 0000',
    countryCode: 'FR',
    locale: 'en-GB',
    createdAt: user.createdAt,
  }, 'absent fields unchanged')

  const cleared = await acme.upsert({ externalUserId: 'user-42', email: null, phone: null })
  tt.equal(cleared.statusCode, 200)
  tt.match(cleared.json(), { id: user.id, email: null, phone: null, displayName: 'Ada', countryCode: 'FR', locale: 'en-GB' }, 'null clears')

  const same = await acme.upsert({ externalUserId: 'user-42' })
  tt.equal(same.statusCode, 200, 'id only: 200, nothing changed')
  tt.same(same.json(), cleared.json())

  const fetched = await acme.get('user-42')
  tt.equal(fetched.statusCode, 200)
  tt.same(fetched.json(), cleared.json(), 'GET returns the stored user')
})

forEachStore(t, 'upsert: strict validation', async (tt, build) => {
  const { partner, store } = await setup(build, tt)
  const acme = await partner('acme')
  const bad = async (payload: Record<string, unknown>, paths: string[], what: string) => assertInvalid(tt, await acme.upsert(payload), paths, what)

  await bad({}, ['/externalUserId'], 'externalUserId missing')
  await bad({ externalUserId: '' }, ['/externalUserId'], 'empty externalUserId')
  await bad({ externalUserId: 'x'.repeat(256) }, ['/externalUserId'], '256-char externalUserId')
  await bad({ externalUserId: 42 }, ['/externalUserId'], 'numeric externalUserId')
  await bad({ externalUserId: null }, ['/externalUserId'], 'null externalUserId')
  await bad({ externalUserId: 'u', email: 'not-an-email' }, ['/email'], 'bad email')
  await bad({ externalUserId: 'u', email: 'ada@' }, ['/email'], 'email without a domain')
  await bad({ externalUserId: 'u', email: `${'a'.repeat(250)}@example.com` }, ['/email'], 'email over 254')
  await bad({ externalUserId: 'u', email: 5 }, ['/email'], 'numeric email')
  await bad({ externalUserId: 'u', displayName: 'd'.repeat(201) }, ['/displayName'], 'displayName 201 chars')
  await bad({ externalUserId: 'u', displayName: '' }, ['/displayName'], 'empty displayName')
  await bad({ externalUserId: 'u', displayName: 7 }, ['/displayName'], 'numeric displayName')
  await bad({ externalUserId: 'u', phone: '1'.repeat(33) }, ['/phone'], 'phone 33 chars')
  await bad({ externalUserId: 'u', phone: 4420794600 }, ['/phone'], 'numeric phone')
  await bad({ externalUserId: 'u', countryCode: 'GBR' }, ['/countryCode'], "countryCode 'GBR'")
  await bad({ externalUserId: 'u', countryCode: '1A' }, ['/countryCode'], "countryCode '1A'")
  await bad({ externalUserId: 'u', countryCode: 'G' }, ['/countryCode'], "countryCode 'G'")
  await bad({ externalUserId: 'u', countryCode: 44 }, ['/countryCode'], 'numeric countryCode')
  await bad({ externalUserId: 'u', locale: 'english please' }, ['/locale'], 'garbage locale')
  await bad({ externalUserId: 'u', locale: 'en_GB' }, ['/locale'], 'locale with _')
  await bad({ externalUserId: 'u', locale: `en-${'a'.repeat(40)}` }, ['/locale'], 'locale over 35')
  await bad({ externalUserId: 'u', locale: 1 }, ['/locale'], 'numeric locale')
  await bad({ externalUserId: 'u', provisionedBy: 'jit' }, ['/provisionedBy'], 'provisionedBy is the server’s')
  await bad({ externalUserId: 'u', partnerId: 'other' }, ['/partnerId'], 'partnerId is never taken from the body')
  await bad({ externalUserId: 'u', nickname: 'x' }, ['/nickname'], 'unknown field')
  await bad({ externalUserId: 'u', email: 'nope', phone: 1 }, ['/email', '/phone'], 'every bad field is listed')

  // Boundaries that are allowed.
  tt.equal((await acme.upsert({ externalUserId: 'x'.repeat(255) })).statusCode, 201, '255-char externalUserId')
  tt.equal((await acme.upsert({ externalUserId: 'b', displayName: 'd'.repeat(200), phone: '1'.repeat(32), locale: 'zh-Hant-TW' })).statusCode, 201, 'boundary values')
  tt.equal(await store.users.get('acme', 'u'), null, 'no refused upsert wrote anything')

})

forEachStore(t, 'upsert: bodies are JSON of at most 64 KiB', async (tt, build) => {
  const { app, partner } = await setup(build, tt)
  const acme = await partner('acme')
  const raw = (contentType: string, payload: string) =>
    app.inject({ method: 'POST', url: '/integrations/users', headers: { authorization: `Bearer ${acme.key}`, 'content-type': contentType }, payload })
  assertProblem(tt, await acme.upsert({ externalUserId: 'big', displayName: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large', 'body over 64 KiB')
  /** A JSON body of exactly `bytes` bytes (its displayName too long to pass validation). */
  const sized = (bytes: number) => {
    const [head, tail] = ['{"externalUserId":"edge","displayName":"', '"}']
    return head + 'x'.repeat(bytes - head.length - tail.length) + tail
  }
  const over = assertProblem(tt, await raw('application/json', sized(BODY_LIMIT_BYTES + 1)), 413, 'payload_too_large', 'one byte over the limit')
  tt.equal(over.detail, `request body exceeds ${BODY_LIMIT_BYTES} bytes`, 'the detail names the limit the server enforces')
  assertProblem(tt, await raw('application/json', sized(BODY_LIMIT_BYTES)), 400, 'invalid_request', 'a body of exactly the limit is read, then validated')
  assertProblem(tt, await raw('text/plain', '{"externalUserId":"u"}'), 415, 'invalid_request', 'text/plain')
  assertProblem(tt, await raw('application/json', '{"externalUserId":'), 400, 'invalid_request', 'invalid JSON')
  assertProblem(tt, await raw('application/json', '["u"]'), 400, 'invalid_request', 'array body')
  tt.equal((await acme.get('u')).statusCode, 404, 'nothing written')
})

forEachStore(t, 'GET and DELETE', async (tt, build) => {
  const { partner } = await setup(build, tt)
  const acme = await partner('acme')
  assertProblem(tt, await acme.get('nobody'), 404, 'not_found', 'GET unknown')
  assertProblem(tt, await acme.del('nobody'), 404, 'not_found', 'DELETE unknown')
  await acme.upsert({ externalUserId: 'u1', email: 'u1@example.com' })
  tt.equal((await acme.get('u1')).statusCode, 200)
  const del = await acme.del('u1')
  tt.equal(del.statusCode, 204)
  tt.equal(del.body, '')
  assertProblem(tt, await acme.get('u1'), 404, 'not_found', 'gone after DELETE')
  assertProblem(tt, await acme.del('u1'), 404, 'not_found', 'DELETE twice')
  const again = await acme.upsert({ externalUserId: 'u1' })
  tt.equal(again.statusCode, 201, 'a later upsert creates a fresh user')
  tt.equal(again.json().email, null, 'nothing of the old user comes back')
})

forEachStore(t, 'externalUserIds are percent-encoded in paths and round-trip', async (tt, build) => {
  const { partner, store } = await setup(build, tt)
  const acme = await partner('acme')
  const ids = [
    'a/b',
    '/leading/and/trailing/',
    'with space',
    '  ',
    'emoji 🦊🚀',
    'percent %41 %2F %',
    'query?x=1#frag',
    'plus+sign&amp;',
    'a..b',
    '.hidden',
    'back\\slash',
    'quote"\'<>',
    '日本語のユーザー',
    'ü'.repeat(200) + '漢'.repeat(55),
    '漢'.repeat(255),
  ]
  tt.equal(ids.at(-1)!.length, 255)
  tt.equal(ids.at(-2)!.length, 255)
  for (const id of ids) {
    const created = await acme.upsert({ externalUserId: id, displayName: 'x' })
    tt.equal(created.statusCode, 201, `create ${JSON.stringify(id.slice(0, 20))}`)
    tt.equal(created.json().externalUserId, id)
  }
  for (const id of ids) {
    const label = JSON.stringify(id.slice(0, 20))
    const got = await acme.get(id)
    tt.equal(got.statusCode, 200, `GET ${label}`)
    tt.equal(got.json().externalUserId, id, `GET ${label}: the same id`)
  }
  // Similar-looking ids stay distinct: no decoding twice, no path normalisation.
  tt.equal((await acme.get('a')).statusCode, 404, 'a/b is not a')
  tt.equal((await acme.get('percent A / %')).statusCode, 404, 'no double decoding')
  for (const id of ids) {
    const label = JSON.stringify(id.slice(0, 20))
    tt.equal((await acme.del(id)).statusCode, 204, `DELETE ${label}`)
    tt.equal(await store.users.get('acme', id), null, `DELETE ${label}: gone`)
  }
  // Over 255 characters, in the path too.
  assertInvalid(tt, await acme.get('漢'.repeat(256)), ['params/externalUserId'], '256-char id in a path')
})

forEachStore(t, 'isolation: one partner never reaches another partner’s users', async (tt, build) => {
  const { partner, store } = await setup(build, tt)
  const a = await partner('partner-a')
  const b = await partner('partner-b')

  const bUser = await b.upsert({ externalUserId: 'shared-id', email: 'b@example.com', displayName: 'B' })
  tt.equal(bUser.statusCode, 201)
  const bOnly = await b.upsert({ externalUserId: 'b-only', email: 'bo@example.com' })
  tt.equal(bOnly.statusCode, 201)

  assertProblem(tt, await a.get('shared-id'), 404, 'not_found', "A cannot read B's user")
  assertProblem(tt, await a.get('b-only'), 404, 'not_found', "A cannot read B's other user")
  assertProblem(tt, await a.del('b-only'), 404, 'not_found', "A cannot delete B's user")
  tt.ok(await store.users.get('partner-b', 'b-only'), "B's user survives A's DELETE")

  // A's upsert with the same externalUserId creates A's own row; B's is untouched.
  const aUser = await a.upsert({ externalUserId: 'shared-id', email: 'a@example.com' })
  tt.equal(aUser.statusCode, 201, "A's upsert creates A's own user")
  tt.equal(aUser.json().partnerId, 'partner-a')
  tt.not(aUser.json().id, bUser.json().id, 'separate rows')
  const aUpdate = await a.upsert({ externalUserId: 'shared-id', displayName: null, email: null })
  tt.equal(aUpdate.statusCode, 200)
  tt.same((await b.get('shared-id')).json(), bUser.json(), "B's user unchanged by A's upserts")

  tt.equal((await a.del('shared-id')).statusCode, 204, 'A deletes its own')
  const stillB = await b.get('shared-id')
  tt.equal(stillB.statusCode, 200, "B's same-id user survives")
  tt.equal(stillB.json().email, 'b@example.com')
  assertProblem(tt, await a.get('shared-id'), 404, 'not_found', "A's is gone")

  // The partner comes from the key only: a body cannot name another partner.
  assertInvalid(tt, await a.upsert({ externalUserId: 'b-only', partnerId: 'partner-b', email: 'evil@example.com' }), ['/partnerId'], 'partnerId in the body')
  tt.equal((await store.users.get('partner-b', 'b-only'))?.email, 'bo@example.com')
  tt.equal(await store.users.get('partner-a', 'b-only'), null)
})

// WHATWG URL clients (fetch, browsers, light-my-request) remove `.`/`..` segments — even as %2E — before
// sending, so these ids are reachable only by a client that sends the path as written, as curl does.
forEachStore(t, 'dot-segment ids round-trip when the path is sent as written', async (tt, build) => {
  const { app, partner, store } = await setup(build, tt)
  const acme = await partner('acme')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const raw = (method: string, path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${acme.key}` } }, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
  for (const [id, encoded] of [
    ['.', '%2E'],
    ['..', '%2E%2E'],
  ] as const) {
    tt.equal((await acme.upsert({ externalUserId: id })).statusCode, 201)
    const got = await raw('GET', `/integrations/users/${encoded}`)
    tt.equal(got.status, 200, `GET ${id}`)
    tt.equal(JSON.parse(got.body).externalUserId, id)
    tt.equal((await raw('DELETE', `/integrations/users/${encoded}`)).status, 204, `DELETE ${id}`)
    tt.equal(await store.users.get('acme', id), null)
  }
})
