// createJwksKeySet at its edges: which of two equally good keys under one kid answers, where kids are
// clipped, and when an unknown_key detail starts counting the kids it leaves out.
import t from 'tap'
import { createJwksKeySet } from '../../src/tokens/jwks-key-set.js'
import { makeKey } from '../helpers/keys.js'

t.test('of two keys of the same rank under one kid, the first published answers', async (tt) => {
  const first = makeKey('k1')
  const second = { ...makeKey('k2').publicJwk, kid: 'k1' }
  const found = createJwksKeySet([first.publicJwk, second]).lookup('k1')
  tt.ok(found.ok && found.candidates.length === 1 && found.candidates[0]!.key.equals(first.publicKey), 'both usable: the first')

  const weak1024 = makeKey('w', 1024).publicJwk
  const weak1536 = makeKey('w', 1536).publicJwk
  tt.same(createJwksKeySet([weak1024, weak1536]).lookup('w'), { ok: false, code: 'weak_key', detail: 'kid w names a 1024-bit key (minimum 2048)' })
  tt.same(createJwksKeySet([weak1536, weak1024]).lookup('w'), { ok: false, code: 'weak_key', detail: 'kid w names a 1536-bit key (minimum 2048)' })

  const enc = { ...makeKey('k1').publicJwk, use: 'enc' }
  const rs512 = { ...makeKey('k1').publicJwk, alg: 'RS512' }
  tt.same(createJwksKeySet([enc, rs512]).lookup('k1'), { ok: false, code: 'unknown_key', detail: 'kid k1 names an unusable key: use is enc, expected sig' })
  tt.same(createJwksKeySet([rs512, enc]).lookup('k1'), { ok: false, code: 'unknown_key', detail: 'kid k1 names an unusable key: alg is RS512, expected RS256' })
})

t.test('kids are clipped past 64 characters, in labels and in details', async (tt) => {
  const { n, e } = makeKey('k1').publicJwk
  const k64 = 'a'.repeat(64)
  const k65 = 'b'.repeat(65)
  const set = createJwksKeySet([
    { kty: 'RSA', n, e, kid: k64 },
    { kty: 'RSA', n, e, kid: k65, use: 'enc' },
  ])
  const found = set.lookup(k64)
  tt.equal(found.ok && found.candidates[0]!.label, `kid ${k64}`, 'exactly 64: whole')
  tt.same(set.lookup(k65), { ok: false, code: 'unknown_key', detail: `kid ${'b'.repeat(64)}… names an unusable key: use is enc, expected sig` })
  tt.same(set.lookup('c'.repeat(64)), { ok: false, code: 'unknown_key', detail: `kid ${'c'.repeat(64)} not in JWKS (has ${k64}, ${'b'.repeat(64)}…)` })
})

t.test('an unknown_key detail lists up to ten kids and counts only those past ten', async (tt) => {
  const { n, e } = makeKey('k1').publicJwk
  const setOf = (count: number) => createJwksKeySet(Array.from({ length: count }, (_, i) => ({ kty: 'RSA', n, e, kid: `k${i + 1}` })))
  const ten = Array.from({ length: 10 }, (_, i) => `k${i + 1}`).join(', ')
  tt.same(setOf(10).lookup('x'), { ok: false, code: 'unknown_key', detail: `kid x not in JWKS (has ${ten})` })
  tt.same(setOf(11).lookup('x'), { ok: false, code: 'unknown_key', detail: `kid x not in JWKS (has ${ten} and 1 more)` })
  tt.same(setOf(1).lookup('x'), { ok: false, code: 'unknown_key', detail: 'kid x not in JWKS (has k1)' })
})

t.test('keys without kid: labelled by place, found only without a kid, listed with their verdict', async (tt) => {
  const strip = (jwk: Record<string, unknown>) => {
    const { kid: _kid, ...rest } = jwk
    return rest
  }
  const set = createJwksKeySet([strip({ ...makeKey('k1').publicJwk, use: 'enc' }), strip(makeKey('k2').publicJwk)])
  const found = set.lookup(undefined)
  tt.same(found.ok && found.candidates.map((c) => c.label), ["the JWKS's key #2 (no kid)"], 'the place counts unusable keys too')
  tt.notOk(set.has('null'))
  tt.notOk(set.has(''))
  tt.same(set.lookup(''), { ok: false, code: 'unknown_key', detail: 'kid  not in JWKS (has (no kid), (no kid))' })
  tt.same(
    set.list().map((k) => [k.kid, k.usable, k.reason]),
    [
      [null, false, 'use is enc, expected sig'],
      [null, true, null],
    ],
  )
  tt.equal(set.ignoredKeys, 0)
})

t.test('a usage record follows the key it belongs to, not its place or the kid alone', async (tt) => {
  const k1 = makeKey('k1')
  const k2 = makeKey('k2')
  const before = createJwksKeySet([k1.publicJwk, k2.publicJwk])
  const at = Date.UTC(2031, 5, 6, 7, 8, 9, 10)
  before.candidates('k2')[0]!.usage.lastVerifiedAt = at
  tt.equal(before.usageOf('k2', k2.publicKey), before.candidates('k2')[0]!.usage)
  tt.equal(before.usageOf('k2', k1.publicKey), undefined, 'the kid alone does not match')
  tt.equal(before.usageOf('k1', k2.publicKey), undefined, 'the material alone does not match')
  tt.equal(before.usageOf(null, k2.publicKey), undefined)
  const swapped = createJwksKeySet([k2.publicJwk, k1.publicJwk], before)
  tt.same(
    swapped.list().map((k) => [k.kid, k.lastVerifiedAt]),
    [
      ['k2', '2031-06-06T07:08:09.010Z'],
      ['k1', null],
    ],
  )
})
