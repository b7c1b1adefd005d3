// createJwksKeySet: what one fetched JWKS answers for a kid (ranking, the no-kid rule, refusal details), lists, and how usage survives a refetch.
import t from 'tap'
import { createJwksKeySet, type KeyLookup } from '../../src/tokens/jwks-key-set.js'
import { MAX_JWKS_KEYS } from '../../src/tokens/jwks-keys.js'
import { makeKey } from '../helpers/keys.js'

const k1 = () => makeKey('k1')
const k2 = () => makeKey('k2')
const weak = () => makeKey('weak', 1024)

/** The keys a lookup offers, in the order the verifier tries them. */
const offered = (found: KeyLookup) => (found.ok ? found.candidates.map((c) => c.key) : [])

t.test('a kid selects its usable key alone, labelled by its kid', async (tt) => {
  const set = createJwksKeySet([k1().publicJwk, k2().publicJwk])
  const found = set.lookup('k2')
  tt.ok(found.ok && found.candidates.length === 1 && found.candidates[0]!.key.equals(k2().publicKey))
  tt.equal(found.ok && found.candidates[0]!.label, 'kid k2')
  tt.ok(set.has('k2'))
  tt.ok(set.candidates('k1')[0]?.key.equals(k1().publicKey))
})

t.test('a kid published twice is answered by its best key: usable over weak over unusable', async (tt) => {
  const unusable = { ...k1().publicJwk, use: 'enc' }
  const weakTwin = { ...weak().publicJwk, kid: 'k1' }
  for (const order of [
    [unusable, weakTwin, k1().publicJwk],
    [k1().publicJwk, weakTwin, unusable],
    [weakTwin, k1().publicJwk, unusable],
  ]) {
    const found = offered(createJwksKeySet(order).lookup('k1'))
    tt.ok(found.length === 1 && found[0]!.equals(k1().publicKey), 'the usable key wins wherever it stands')
  }
  tt.match(createJwksKeySet([unusable, weakTwin]).lookup('k1'), { ok: false, code: 'weak_key' }, 'a weak key wins over an unusable one')
  tt.match(createJwksKeySet([weakTwin, unusable]).lookup('k1'), { ok: false, code: 'weak_key' })
})

t.test('without a kid, the usable keys answer when there are 1 to 3 of them; weak and unusable keys do not count', async (tt) => {
  const one = createJwksKeySet([k1().publicJwk, weak().publicJwk, { ...k2().publicJwk, alg: 'RS512' }])
  const single = offered(one.lookup(undefined))
  tt.ok(single.length === 1 && single[0]!.equals(k1().publicKey))
  tt.ok(one.has(undefined))

  const keys = ['k1', 'k2', 'k3', 'k4'].map((kid) => makeKey(kid))
  for (const n of [2, 3]) {
    const set = createJwksKeySet(keys.slice(0, n).map((k) => k.publicJwk))
    const found = offered(set.lookup(undefined))
    tt.equal(found.length, n, `${n} usable keys: all ${n} are tried`)
    tt.ok(found.every((key, i) => key.equals(keys[i]!.publicKey)), 'in the JWKS order')
    tt.ok(set.has(undefined))
  }

  const four = createJwksKeySet(keys.map((k) => k.publicJwk))
  tt.notOk(four.has(undefined))
  tt.same(four.lookup(undefined), {
    ok: false,
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has 4 usable keys (at most 3 are tried without one); put the signing key's kid in the token header",
  })
  tt.same(four.candidates(undefined), [])

  const none = createJwksKeySet([weak().publicJwk])
  tt.same(none.lookup(undefined), {
    ok: false,
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has no usable key; put the signing key's kid in the token header",
  })
})

t.test('a key published without kid is labelled by its place in the JWKS', async (tt) => {
  const { kid: _kid, ...bare } = k2().publicJwk
  const set = createJwksKeySet([k1().publicJwk, bare])
  const found = set.lookup(undefined)
  tt.same(found.ok && found.candidates.map((c) => c.label), ['kid k1', "the JWKS's key #2 (no kid)"])
})

t.test('a key still published after a refetch keeps its usage record; new or changed material starts afresh', async (tt) => {
  const before = createJwksKeySet([k1().publicJwk, k2().publicJwk])
  before.candidates('k1')[0]!.usage.lastVerifiedAt = Date.UTC(2030, 0, 1)
  const after = createJwksKeySet([k1().publicJwk, { ...makeKey('k2-new').publicJwk, kid: 'k2' }], before)
  tt.equal(after.candidates('k1')[0]!.usage, before.candidates('k1')[0]!.usage, 'the same record, so cached results stamp what the view reads')
  tt.equal(after.list()[0]!.lastVerifiedAt, '2030-01-01T00:00:00.000Z')
  tt.not(after.candidates('k2')[0]!.usage, before.candidates('k2')[0]!.usage, 'new material behind an old kid is another key')
  const renamed = createJwksKeySet([{ ...k1().publicJwk, kid: 'k1-renamed' }], before)
  tt.equal(renamed.list()[0]!.lastVerifiedAt, null, 'the same material under another kid is listed as another key')
})

t.test('refusals name what the set holds: unknown kid, weak key, unusable key', async (tt) => {
  const set = createJwksKeySet([k1().publicJwk, weak().publicJwk, { ...k2().publicJwk, use: 'enc' }, { kty: 'RSA', n: k2().publicJwk.n, e: 'AQAB' }])
  tt.notOk(set.has('nope'))
  tt.same(set.lookup('nope'), { ok: false, code: 'unknown_key', detail: 'kid nope not in JWKS (has k1, weak, k2, (no kid))' })
  tt.ok(set.has('weak'), 'a weak key is found, so it is not refetched for')
  tt.same(set.lookup('weak'), { ok: false, code: 'weak_key', detail: 'kid weak names a 1024-bit key (minimum 2048)' })
  tt.same(set.candidates('weak'), [])
  tt.same(set.lookup('k2'), { ok: false, code: 'unknown_key', detail: 'kid k2 names an unusable key: use is enc, expected sig' })
  tt.same(set.candidates('k2'), [])
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
    { kid: 'k1', alg: 'RS256', bits: 2048, usable: true, reason: null, lastVerifiedAt: null },
    { kid: 'weak', alg: 'RS256', bits: 1024, usable: false, reason: 'modulus is 1024 bits (minimum 2048)', lastVerifiedAt: null },
    { kid: null, alg: null, bits: null, usable: false, reason: 'is not a JSON object', lastVerifiedAt: null },
  ])
  tt.equal(set.ignoredKeys, 0)

  const { n, e } = k1().publicJwk
  const crowded = createJwksKeySet(Array.from({ length: MAX_JWKS_KEYS + 3 }, (_, i) => ({ kty: 'RSA', n, e, kid: `k${i}` })))
  tt.equal(crowded.list().length, MAX_JWKS_KEYS)
  tt.equal(crowded.ignoredKeys, 3)
  tt.notOk(crowded.has(`k${MAX_JWKS_KEYS}`), 'a key past the limit is not considered')
})
