// A later token of an existing user and the partner's profileUpdate (docs/reference.md, Users): never, fillEmpty,
// overwrite; a token that changes nothing writes nothing; concurrent tokens never lose a field.
import t from 'tap'
import { type Built } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { forEachStore } from '../helpers/stores.js'

const key = makeKey('profile-updates')
const ISS = 'https://acme.example'
type Policy = 'never' | 'fillEmpty' | 'overwrite'

async function setup(built: Built, profileUpdate: Policy, claimMapping?: Record<string, string>) {
  await createPartner(built.app, { id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem, profileUpdate, ...(claimMapping ? { claimMapping } : {}) })
  const now = Math.floor(built.clock.now / 1000)
  const me = async (claims: Record<string, unknown>) =>
    built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${await mint(key, { iss: ISS, ...claims }, { now })}` } })
  // Counts the profile writes the app makes through the store it was built with.
  let writes = 0
  const updateProfile = built.store.users.updateProfile.bind(built.store.users)
  built.store.users.updateProfile = async (...args) => {
    writes++
    return updateProfile(...args)
  }
  return { ...built, me, writes: () => writes }
}

async function seed(s: Awaited<ReturnType<typeof setup>>) {
  const apiKey = await createApiKey(s.app, 'acme')
  const res = await s.app.inject({
    method: 'POST',
    url: '/integrations/users',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: { externalUserId: 'u1', email: 'stored@example.com', displayName: null, locale: 'en' },
  })
  return res.json()
}

const token = { sub: 'u1', email: 'claimed@example.com', displayName: 'Claimed', phone: '+1 555', locale: 'fr', countryCode: 'de' }

forEachStore(t, 'never (the default): a later token changes nothing and writes nothing', async (tt, build) => {
  const s = await setup(await build(tt), 'never')
  const stored = await seed(s)
  const res = await s.me(token)
  tt.equal(res.statusCode, 200)
  tt.same(res.json().user, stored)
  tt.equal(s.writes(), 0)
})

forEachStore(t, 'fillEmpty: only fields that are null, from valid claims; the user keeps provisionedBy', async (tt, build) => {
  const s = await setup(await build(tt), 'fillEmpty')
  await seed(s)
  const res = await s.me({ ...token, phone: 'x'.repeat(40) })
  tt.match(res.json().user, { email: 'stored@example.com', displayName: 'Claimed', phone: null, locale: 'en', countryCode: 'DE', provisionedBy: 'api' })
  tt.equal(s.writes(), 1)
  const metrics = (await s.app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, /gatehouse_jit_dropped_claims_total\{claim="phone"\} 1\n/, 'a malformed claim is dropped and counted as for JIT')
  tt.match(metrics, /gatehouse_profile_updates_total 1\n/)
})

forEachStore(t, 'overwrite: every field the token carries a valid claim for; absent claims leave fields alone', async (tt, build) => {
  const s = await setup(await build(tt), 'overwrite')
  await seed(s)
  const res = await s.me({ sub: 'u1', email: 'claimed@example.com', displayName: 'Claimed', locale: 'not a locale!' })
  tt.match(res.json().user, { email: 'claimed@example.com', displayName: 'Claimed', locale: 'en', phone: null, countryCode: null, provisionedBy: 'api' })
  tt.equal(s.writes(), 1)
})

forEachStore(t, 'overwrite with claimMapping: a mapped field reads only its claim', async (tt, build) => {
  const s = await setup(await build(tt), 'overwrite', { email: 'identifier' })
  await seed(s)
  const res = await s.me({ sub: 'u1', email: 'standard@example.com', identifier: 'mapped@example.com' })
  tt.equal(res.json().user.email, 'mapped@example.com')
})

for (const policy of ['fillEmpty', 'overwrite'] as const) {
  forEachStore(t, `${policy}: a returning user whose token would change nothing costs no write (updatedAt unchanged)`, async (tt, build) => {
    const s = await setup(await build(tt), policy)
    const first = (await s.me(token)).json().user
    tt.equal(s.writes(), 0, 'JIT provisioning is not a profile update')
    for (let i = 0; i < 3; i++) {
      const again = await s.me(token)
      tt.equal(again.statusCode, 200)
      tt.equal(again.json().user.updatedAt, first.updatedAt)
    }
    const fewer = await s.me({ sub: 'u1', email: 'claimed@example.com' })
    tt.same(fewer.json().user, first, 'fewer claims than stored fields: nothing to change')
    tt.equal(s.writes(), 0)
  })
}

forEachStore(t, 'concurrent tokens of one user, each carrying one field, never lose a field nor make two users', async (tt, build) => {
  const s = await setup(await build(tt), 'fillEmpty')
  const claims = [{ email: 'a@example.com' }, { displayName: 'Ada' }, { phone: '+44 20' }, { countryCode: 'gb' }, { locale: 'en-GB' }]
  const results = await Promise.all(claims.flatMap((c) => [s.me({ sub: 'racer', ...c }), s.me({ sub: 'racer', ...c })]))
  tt.same(new Set(results.map((r) => r.statusCode)), new Set([200]))
  tt.equal(new Set(results.map((r) => r.json().user.id)).size, 1, 'one user')
  tt.match(await s.store.users.get('acme', 'racer'), { email: 'a@example.com', displayName: 'Ada', phone: '+44 20', countryCode: 'GB', locale: 'en-GB' })
})
