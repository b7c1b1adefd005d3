// createJwksKeySet: what one fetched JWKS answers for a kid (ranking, the no-kid rule, refusal details) and lists.
import t from 'tap'
import { createJwksKeySet } from '../../src/tokens/jwks-key-set.js'
import { MAX_JWKS_KEYS } from '../../src/tokens/jwks-keys.js'
import { makeKey } from '../helpers/keys.js'

const k1 = () => makeKey('k1')
const k2 = () => makeKey('k2')
const weak = () => makeKey('weak', 1024)

t.test('a kid selects its usable key, and the lookup echoes the kid', async (tt) => {
  const set = createJwksKeySet([k1().publicJwk, k2().publicJwk])
  const found = set.lookup('k2')
  tt.ok(found.ok && found.key.equals(k2().publicKey) && found.kid === 'k2')
  tt.ok(set.has('k2'))
  tt.ok(set.usableKey('k1')?.equals(k1().publicKey))
})

t.test('a kid published twice is answered by its best key: usable over weak over unusable', async (tt) => {
  const unusable = { ...k1().publicJwk, use: 'enc' }
  const weakTwin = { ...weak().publicJwk, kid: 'k1' }
  for (const order of [
    [unusable, weakTwin, k1().publicJwk],
    [k1().publicJwk, weakTwin, unusable],
    [weakTwin, k1().publicJwk, unusable],
  ]) {
    const found = createJwksKeySet(order).lookup('k1')
    tt.ok(found.ok && found.key.equals(k1().publicKey), 'the usable key wins wherever it stands')
  }
  tt.match(createJwksKeySet([unusable, weakTwin]).lookup('k1'), { ok: false, code: 'weak_key' }, 'a weak key wins over an unusable one')
  tt.match(createJwksKeySet([weakTwin, unusable]).lookup('k1'), { ok: false, code: 'weak_key' })
})

t.test('without a kid, the one usable key answers; weak and unusable keys do not count', async (tt) => {
  const one = createJwksKeySet([k1().publicJwk, weak().publicJwk, { ...k2().publicJwk, alg: 'RS512' }])
  const found = one.lookup(undefined)
  tt.ok(found.ok && found.key.equals(k1().publicKey) && found.kid === null, 'the kid of a token without one is null')
  tt.ok(one.has(undefined))
  tt.ok(one.usableKey(undefined)?.equals(k1().publicKey))

  const two = createJwksKeySet([k1().publicJwk, k2().publicJwk])
  tt.notOk(two.has(undefined))
  tt.same(two.lookup(undefined), { ok: false, code: 'unknown_key', detail: 'token has no kid and the JWKS has 2 usable keys (exactly one is needed)' })
  tt.equal(two.usableKey(undefined), null)
})

t.test('refusals name what the set holds: unknown kid, weak key, unusable key', async (tt) => {
  const set = createJwksKeySet([k1().publicJwk, weak().publicJwk, { ...k2().publicJwk, use: 'enc' }, { kty: 'RSA', n: k2().publicJwk.n, e: 'AQAB' }])
  tt.notOk(set.has('nope'))
  tt.same(set.lookup('nope'), { ok: false, code: 'unknown_key', detail: 'kid nope not in JWKS (has k1, weak, k2, (no kid))' })
  tt.ok(set.has('weak'), 'a weak key is found, so it is not refetched for')
  tt.same(set.lookup('weak'), { ok: false, code: 'weak_key', detail: 'kid weak names a 1024-bit key (minimum 2048)' })
  tt.equal(set.usableKey('weak'), null)
  tt.same(set.lookup('k2'), { ok: false, code: 'unknown_key', detail: 'kid k2 names an unusable key: use is enc, expected sig' })
  tt.equal(set.usableKey('k2'), null)
})

t.test('an unknown_key detail lists ten kids, clips long ones, and counts the rest', async (tt) => {
  const { n, e } = k1().publicJwk
  const many = Array.from({ length: 12 }, (_, i) => ({ kty: 'RSA', n, e, kid: i === 0 ? 'x'.repeat(100) : `kid-${i}` }))
  const { detail } = createJwksKeySet(many).lookup('y'.repeat(100)) as { detail: string }
  tt.equal(detail, `kid ${'y'.repeat(64)}… not in JWKS (has ${'x'.repeat(64)}…, ${Array.from({ length: 9 }, (_, i) => `kid-${i + 1}`).join(', ')} and 2 more)`)
  tt.same(createJwksKeySet([]).lookup('a'), { ok: false, code: 'unknown_key', detail: 'kid a not in JWKS (has no keys)' })
})

t.test('the listed keys carry their verdicts and never the key objects; keys past the limit are counted, not listed', async (tt) => {
  const set = createJwksKeySet([k1().publicJwk, weak().publicJwk, 'junk'])
  tt.same(set.list(), [
    { kid: 'k1', alg: 'RS256', bits: 2048, usable: true, reason: null },
    { kid: 'weak', alg: 'RS256', bits: 1024, usable: false, reason: 'modulus is 1024 bits (minimum 2048)' },
    { kid: null, alg: null, bits: null, usable: false, reason: 'is not a JSON object' },
  ])
  tt.equal(set.ignoredKeys, 0)

  const { n, e } = k1().publicJwk
  const crowded = createJwksKeySet(Array.from({ length: MAX_JWKS_KEYS + 3 }, (_, i) => ({ kty: 'RSA', n, e, kid: `k${i}` })))
  tt.equal(crowded.list().length, MAX_JWKS_KEYS)
  tt.equal(crowded.ignoredKeys, 3)
  tt.notOk(crowded.has(`k${MAX_JWKS_KEYS}`), 'a key past the limit is not considered')
})
