// The /me verifier's result cache: bounded by bytes, slim entries, and never a result past its token's expiry.
import { sign } from 'node:crypto'
import t, { type Test } from 'tap'
import { MAX_TOKEN_BYTES } from '../../src/tokens/decode-token.js'
import { PROFILE_CLAIMS } from '../../src/tokens/profile-claims.js'
import { jitProfileFromClaims } from '../../src/users/jit-profile.js'
import { build } from '../helpers/build-app.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { createPartner } from '../helpers/partners.js'

const ISSUER = 'https://fat.example'
const SKEW = 60

/** Signs with node:crypto directly: thousands of tokens, so no per-token JOSE machinery. */
function signed(key: TestKey, payload: object): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
}

/** A token near the 8 KiB limit: ~7 KiB of claims no one here reads, distinct for every `i`. */
function fatToken(key: TestKey, i: number, nowSec: number): string {
  const n = String(i).padStart(5, '0')
  const groups = Array.from({ length: 150 }, (_, j) => ({ id: `g${n}-${j}`, role: 'member' }))
  return signed(key, { iss: ISSUER, sub: `user-${i}`, email: `user-${i}@fat.example`, name: `User ${i}`, iat: nowSec, exp: nowSec + 600, groups })
}

async function setup(tt: Test, cacheMb: number) {
  const built = await build(tt, { env: { VERIFY_CACHE_MB: String(cacheMb) } })
  const key = makeKey('static-fat')
  await createPartner(built.app, { id: 'fat', jwtIssuer: ISSUER, jwtPublicKey: key.spkiPem })
  const { verifier } = built.app.services
  return { ...built, key, verifier, nowSec: () => Math.floor(built.clock.now / 1000) }
}

t.test('a flood of distinct fat tokens keeps the result cache within its byte budget, holding only slim entries', async (tt) => {
  const s = await setup(tt, 1)
  const budget = 1024 * 1024
  const count = 3000
  const first = fatToken(s.key, 0, s.nowSec())
  tt.ok(first.length > 7 * 1024 && first.length <= MAX_TOKEN_BYTES, `a fat token is ${first.length} bytes`)
  for (let i = 0; i < count; i++) {
    const verified = await s.verifier.verify(fatToken(s.key, i, s.nowSec()))
    if (i === 0) {
      tt.same(Object.keys(verified).sort(), ['claims', 'exp', 'iat', 'key', 'keyUsage', 'kid', 'partner', 'sub'], 'no header, no payload')
      tt.same(verified.claims, { email: 'user-0@fat.example', name: 'User 0' }, 'only the profile claims are kept')
    }
    const stats = s.verifier.cacheStats()
    if (stats.bytes > budget) {
      tt.fail(`after ${i + 1} tokens the cache counts ${stats.bytes} bytes, over its ${budget}`)
      break
    }
  }
  const stats = s.verifier.cacheStats()
  tt.equal(stats.maxBytes, budget)
  tt.ok(stats.bytes <= budget, `${stats.bytes} bytes counted, budget ${budget}`)
  tt.ok(stats.entries > 1000 && stats.entries < count, `${stats.entries} of ${count} results kept: the budget, not a count, decides`)
  tt.ok(stats.bytes / stats.entries < 1024, `an entry counts ${Math.round(stats.bytes / stats.entries)} bytes, not the token's 8 KiB`)
  tt.comment(`${stats.entries} entries, ${stats.bytes} bytes counted (${Math.round(stats.bytes / stats.entries)} per entry)`)
})

t.test('a verified token keeps exactly the claims just-in-time provisioning reads, so it builds the same profile', async (tt) => {
  const s = await setup(tt, 1)
  const times = () => ({ iat: s.nowSec(), exp: s.nowSec() + 600 })
  const profile = { email: 'a@b.example', displayName: 'Ada', name: 'Ada L', phone: '+44 1', countryCode: 'gb', country: 'GB', locale: 'en-GB' }
  const full = { iss: ISSUER, sub: 'u', ...times(), ...profile, aud: 'x', extra: 'y' }
  const verified = await s.verifier.verify(signed(s.key, full))
  tt.same(verified.claims, profile)
  tt.same([...PROFILE_CLAIMS].sort(), Object.keys(profile).sort())
  tt.same(jitProfileFromClaims(verified.claims), jitProfileFromClaims(full))

  const odd = { iss: ISSUER, sub: 'v', ...times(), email: { big: 'x'.repeat(4000) }, name: ['a'], phone: null, locale: 7, country: 'fr' }
  const oddVerified = await s.verifier.verify(signed(s.key, odd))
  tt.same(oddVerified.claims, { email: {}, name: [], phone: null, locale: 7, country: 'fr' }, 'a structured claim is kept as present, not its contents')
  tt.same(jitProfileFromClaims(oddVerified.claims), jitProfileFromClaims(odd), 'the same fields are taken and the same claims dropped')
})

t.test('a cached result is never served once its token is past exp + skew', async (tt) => {
  const s = await setup(tt, 1)
  const exp = s.nowSec() + 120
  const token = signed(s.key, { iss: ISSUER, sub: 'u', iat: s.nowSec(), exp })
  const first = await s.verifier.verify(token)
  s.clock.now = (exp + SKEW) * 1000 - 1
  tt.equal(await s.verifier.verify(token), first, 'a millisecond before the limit: the cached result itself')
  s.clock.now = (exp + SKEW) * 1000
  await tt.rejects(s.verifier.verify(token), { code: 'token_expired' }, 'at exp + skew: expired, though the result was cached')
  tt.equal(s.verifier.cacheStats().entries, 0, 'the expired result is dropped')
})

t.test('VERIFY_CACHE_MB=0 caches nothing', async (tt) => {
  const s = await setup(tt, 0)
  const token = fatToken(s.key, 1, s.nowSec())
  const first = await s.verifier.verify(token)
  tt.not(await s.verifier.verify(token), first, 'verified again in full')
  tt.same(s.verifier.cacheStats(), { entries: 0, bytes: 0, maxBytes: 0 })
})
