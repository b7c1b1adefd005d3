// The verifier's synchronous cache lookup (the /me hot path): it answers only what `verify` would answer from
// the cache, never a result the cache would drop, and counts only its hits.
import t, { type Test } from 'tap'
import { admin, build } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'

const ISS = 'https://cached.example'
const key = makeKey('cached-lookup')

async function setup(tt: Test, cacheMb: number) {
  const built = await build(tt, { env: { VERIFY_CACHE_MB: String(cacheMb) } })
  await createPartner(built.app, { id: 'cached', jwtIssuer: ISS, jwtPublicKey: key.spkiPem })
  const nowSec = Math.floor(built.clock.now / 1000)
  const lookups = async () => {
    const text = (await built.app.inject({ method: 'GET', url: '/metrics' })).body
    const count = (result: string) => Number(new RegExp(`gatehouse_verify_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
    return { hit: count('hit'), miss: count('miss') }
  }
  return { ...built, verifier: built.app.services.verifier, nowSec, lookups }
}

t.test('undefined before verify, the very result after it; a hit counted, a miss not', async (tt) => {
  const s = await setup(tt, 1)
  const token = await mint(key, { iss: ISS, sub: 'u1' }, { now: s.nowSec })
  tt.equal(s.verifier.cached(token), undefined)
  tt.same(await s.lookups(), { hit: 0, miss: 0 }, 'a lookup that finds nothing leaves the count to verify')
  const verified = await s.verifier.verify(token)
  tt.equal(s.verifier.cached(token), verified, 'the same object verify returned')
  tt.same(await s.lookups(), { hit: 1, miss: 1 })
  tt.equal(s.verifier.cached(`${token}x`), undefined, 'another string is another token')
})

t.test('a result the cache would drop is not answered: an expired token, a changed partner record', async (tt) => {
  const s = await setup(tt, 1)
  const token = await mint(key, { iss: ISS, sub: 'u1', exp: s.nowSec + 30 }, { now: s.nowSec })
  await s.verifier.verify(token)
  tt.ok(s.verifier.cached(token))
  s.clock.now = (s.nowSec + 30 + 59) * 1000
  tt.ok(s.verifier.cached(token), 'exp passed, still within the 60 s skew')
  s.clock.now += 1000
  tt.equal(s.verifier.cached(token), undefined, 'at exp + skew the expiry row refuses it, so the cache does not answer')

  s.clock.now = s.nowSec * 1000
  const other = await mint(key, { iss: ISS, sub: 'u2' }, { now: s.nowSec })
  await s.verifier.verify(other)
  tt.ok(s.verifier.cached(other))
  const patched = await s.app.inject({ method: 'PATCH', url: '/admin/partners/cached', headers: admin, payload: { name: 'Renamed' } })
  tt.equal(patched.statusCode, 200)
  tt.equal(s.verifier.cached(other), undefined, 'the partner entry it was verified against is gone')
})

t.test('with the cache off there is nothing to find', async (tt) => {
  const s = await setup(tt, 0)
  const token = await mint(key, { iss: ISS, sub: 'u1' }, { now: s.nowSec })
  await s.verifier.verify(token)
  tt.equal(s.verifier.cached(token), undefined)
})
