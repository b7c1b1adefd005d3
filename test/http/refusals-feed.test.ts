// The refusals feed (docs/reference.md, Partner API): refused /me tokens whose iss named the partner, as the
// token carried them and never the token itself; sampled so a flood costs a bounded number of writes.
import t, { type Test } from 'tap'
import { REFUSALS_PER_SECOND } from '../../src/http/refusal-recorder.js'
import { admin } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner, type PartnerSetup } from '../helpers/partners.js'
import { assertInvalid, assertProblem } from '../helpers/problem.js'
import { type Build, forEachStore } from '../helpers/stores.js'

const key = makeKey('refusals')
const wrongKey = makeKey('refusals-forger')
const ISS = 'https://acme.example'

async function setup(build: Build, tt: Test, partner: Partial<PartnerSetup> = {}) {
  // Failed authentications per address would otherwise answer 429 long before a flood is over.
  const built = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '0' } })
  // At the start of a minute, so the seconds a test moves the clock stay within that minute.
  built.clock.now = Math.floor(built.clock.now / 60_000) * 60_000
  await createPartner(built.app, { id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem, jwtAudience: 'gatehouse', ...partner })
  const partnerApi = { authorization: `Bearer ${await createApiKey(built.app, 'acme')}` }
  const now = Math.floor(built.clock.now / 1000)
  const me = (token: string) => built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  const feed = async (query = '') => {
    await built.app.services.refusals.settled()
    const res = await built.app.inject({ method: 'GET', url: `/integrations/refusals${query}`, headers: partnerApi })
    tt.equal(res.statusCode, 200, res.body)
    return res.json().items as Record<string, unknown>[]
  }
  let writes = 0
  const record = built.store.refusals.record.bind(built.store.refusals)
  built.store.refusals.record = async (...args) => {
    writes++
    return record(...args)
  }
  return { ...built, partnerApi, now, me, feed, writes: () => writes }
}

forEachStore(t, "a refused token of a known partner reaches that partner's feed with the values it carried, never the token", async (tt, build) => {
  const s = await setup(build, tt)
  const expired = await mint(key, { iss: ISS, sub: 'user-42', aud: ['gatehouse', 'other'] }, { now: s.now - 1000, lifetime: 600 })
  assertProblem(tt, await s.me(expired), 401, 'token_expired')
  const items = await s.feed()
  tt.same(items, [
    {
      at: new Date(s.clock.now).toISOString(),
      code: 'token_expired',
      detail: items[0]!.detail,
      kid: 'refusals',
      sub: 'user-42',
      iat: s.now - 1000,
      exp: s.now - 400,
      aud: ['gatehouse', 'other'],
    },
  ])
  tt.match(items[0]!.detail, /expired/)
  const [, payload, signature] = expired.split('.')
  const shown = JSON.stringify(items)
  tt.notOk(shown.includes(signature!) || shown.includes(payload!), 'neither the token nor its signature is kept')

  // Not recorded: an unknown issuer, and a request without a token.
  assertProblem(tt, await s.me(await mint(key, { iss: 'https://nobody.example', sub: 'x' })), 401, 'unknown_issuer')
  assertProblem(tt, await s.app.inject({ method: 'GET', url: '/me' }), 401, 'missing_token')
  // Absent values are null.
  assertProblem(tt, await s.me(await mint(wrongKey, { iss: ISS, iat: undefined, exp: undefined }, { omitKid: true })), 401, 'invalid_signature')
  const newest = (await s.feed())[0]!
  tt.match(newest, { code: 'invalid_signature', kid: null, sub: null, iat: null, exp: null, aud: null })
  tt.equal((await s.feed()).length, 2)
})

forEachStore(t, "a mapped partner's feed shows the mapped user id claim as sub; partners never see each other's refusals", async (tt, build) => {
  const s = await setup(build, tt, { claimMapping: { externalUserId: 'https://acme.example/claims/user_id' } })
  await createPartner(s.app, { id: 'other', jwtIssuer: 'https://other.example', jwtPublicKey: wrongKey.spkiPem })
  const otherApi = { authorization: `Bearer ${await createApiKey(s.app, 'other')}` }
  assertProblem(tt, await s.me(await mint(key, { iss: ISS, sub: 'ignored', 'https://acme.example/claims/user_id': 'mapped-7', aud: 'nope' }, { now: s.now })), 401, 'audience_mismatch')
  tt.match(await s.feed(), [{ code: 'audience_mismatch', sub: 'mapped-7', aud: 'nope' }])
  const theirs = await s.app.inject({ method: 'GET', url: '/integrations/refusals', headers: otherApi })
  tt.same(theirs.json(), { items: [] })
  const viaAdmin = await s.app.inject({ method: 'GET', url: '/admin/partners/acme/refusals', headers: admin })
  tt.match(viaAdmin.json(), { items: [{ code: 'audience_mismatch', sub: 'mapped-7' }] })
  assertProblem(tt, await s.app.inject({ method: 'GET', url: '/admin/partners/nope/refusals', headers: admin }), 404, 'not_found')
})

forEachStore(t, 'limit is 1–200 (default 50), newest first', async (tt, build) => {
  const s = await setup(build, tt)
  // One code per minute is always kept: move the clock a minute between refusals so every one is written.
  for (let i = 0; i < 55; i++) {
    await s.me(await mint(key, { iss: ISS, sub: `u${i}`, aud: 'gatehouse' }, { now: s.now - 1000, lifetime: 600 }))
    s.clock.now += 60_000
  }
  const items = await s.feed()
  tt.equal(items.length, 50)
  tt.equal(items[0]!.sub, 'u54', 'newest first')
  tt.equal((await s.feed('?limit=3')).map((i) => i.sub).join(), 'u54,u53,u52')
  tt.equal((await s.feed('?limit=200')).length, 55)
  for (const bad of ['0', '201', 'x', '1.5', '-1']) {
    assertInvalid(tt, await s.app.inject({ method: 'GET', url: `/integrations/refusals?limit=${bad}`, headers: s.partnerApi }), ['querystring/limit'], `limit=${bad}`)
  }
  assertInvalid(tt, await s.app.inject({ method: 'GET', url: '/admin/partners/acme/refusals?limit=0', headers: admin }), ['querystring/limit'], 'admin limit=0')
})

forEachStore(t, `a burst of 10,000 refused tokens writes at most one per code plus ${REFUSALS_PER_SECOND}, and keeps the first refusal of each code in the minute`, async (tt, build) => {
  const s = await setup(build, tt)
  const tokens = {
    token_expired: await mint(key, { iss: ISS, sub: 'a', aud: 'gatehouse' }, { now: s.now - 1000, lifetime: 600 }),
    invalid_signature: await mint(wrongKey, { iss: ISS, sub: 'b', aud: 'gatehouse' }, { now: s.now }),
    audience_mismatch: await mint(key, { iss: ISS, sub: 'c', aud: 'elsewhere' }, { now: s.now }),
    missing_claim: await mint(key, { iss: ISS, aud: 'gatehouse' }, { now: s.now }),
  }
  const codes = Object.keys(tokens)
  const cycle = Object.values(tokens)
  const burst = async (count: number) => {
    for (let sent = 0; sent < count; sent += 500) {
      const batch = await Promise.all(Array.from({ length: 500 }, (_, i) => s.me(cycle[(sent + i) % cycle.length]!)))
      tt.ok(batch.every((r) => r.statusCode === 401), 'every token is refused')
    }
    await s.app.services.refusals.settled()
  }
  await burst(10_000)
  tt.ok(s.writes() <= codes.length + REFUSALS_PER_SECOND, `${s.writes()} writes for 10,000 refusals`)
  tt.same(new Set((await s.feed('?limit=200')).map((i) => i.code)), new Set(codes), 'the first refusal of each code is there')
  const metrics = (await s.app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, new RegExp(`gatehouse_refusal_records_total\\{outcome="written"\\} ${s.writes()}\\n`))
  tt.match(metrics, new RegExp(`gatehouse_refusal_records_total\\{outcome="sampled_out"\\} ${10_000 - s.writes()}\\n`))

  // A second later the bucket has refilled by REFUSALS_PER_SECOND; a minute later every code is new again.
  const before = s.writes()
  s.clock.now += 1000
  await burst(1000)
  tt.equal(s.writes() - before, REFUSALS_PER_SECOND, 'one second refills the bucket')
  s.clock.now += 60_000
  await burst(1000)
  tt.ok(s.writes() - before - REFUSALS_PER_SECOND >= codes.length, 'a new minute keeps the first of each code again')
})

forEachStore(t, 'a failing refusal write never changes the /me answer: it is logged and counted', async (tt, build) => {
  const s = await setup(build, tt)
  s.store.refusals.record = async () => {
    throw new Error('database is down')
  }
  assertProblem(tt, await s.me(await mint(key, { iss: ISS, sub: 'u', aud: 'elsewhere' }, { now: s.now })), 401, 'audience_mismatch')
  await s.app.services.refusals.settled()
  const metrics = (await s.app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, /gatehouse_refusal_records_total\{outcome="failed"\} 1\n/)
})
