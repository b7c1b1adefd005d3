// Edges of the token core's small pure parts: the profile claims a verified token keeps, RS256 verification with
// keys that are not RSA public keys, and the RSA key limits at their boundaries.
import { createSecretKey, generateKeyPairSync, sign } from 'node:crypto'
import t from 'tap'
import { claimsForField, keptProfileClaims, PROFILE_CLAIM_FIELDS, PROFILE_CLAIMS } from '../../src/tokens/profile-claims.js'
import { MAX_RSA_BITS, MIN_RSA_BITS, RSA_PUBLIC_EXPONENT, rsaKeyFlaw } from '../../src/tokens/rsa-key-limits.js'
import { verifyRs256 } from '../../src/tokens/verify-signature.js'
import { makeKey } from '../helpers/keys.js'

t.test('the standard profile claims, field by field', async (tt) => {
  tt.same(PROFILE_CLAIM_FIELDS, ['email', 'displayName', 'phone', 'countryCode', 'locale'])
  tt.same(PROFILE_CLAIMS, ['email', 'displayName', 'name', 'phone', 'countryCode', 'country', 'locale'])
  tt.same(claimsForField('displayName', null), ['displayName', 'name'])
  tt.same(claimsForField('displayName', undefined), ['displayName', 'name'])
  tt.same(claimsForField('countryCode', { email: 'mail' }), ['countryCode', 'country'], 'another field mapped: the standard claims')
  tt.same(claimsForField('displayName', { displayName: 'full_name' }), ['full_name'], 'mapped: that claim only')
})

t.test('a verified token keeps the profile claims and no other; a structured value as an empty one', async (tt) => {
  const payload = JSON.parse(
    JSON.stringify({
      sub: 'u1',
      iss: 'x',
      email: { big: 'x'.repeat(100) },
      name: ['a', 'b'],
      phone: null,
      locale: 7,
      country: 'fr',
      extra: 'y',
    }),
  ) as Record<string, unknown>
  const kept = keptProfileClaims(payload, null)
  tt.same(kept, { email: {}, name: [], phone: null, locale: 7, country: 'fr' })
  tt.same(Object.keys(kept).sort(), ['country', 'email', 'locale', 'name', 'phone'])
  tt.ok(Array.isArray(kept.name), 'an array stays an array')
  tt.notOk(Array.isArray(kept.email), 'an object stays an object')
  tt.same(keptProfileClaims({ displayName: 'D', name: 'N', countryCode: 'GB', country: 'FR' }, null), { displayName: 'D', name: 'N', countryCode: 'GB', country: 'FR' })
})

t.test('a mapped field reads its mapped claim only; other fields keep their standard claims', async (tt) => {
  const payload = { email: 'std@x.example', mail: 'mapped@x.example', name: 'N', full_name: 'F', phone: '1' }
  tt.same(keptProfileClaims(payload, { email: 'mail', displayName: 'full_name' }), { mail: 'mapped@x.example', full_name: 'F', phone: '1' })
  tt.same(keptProfileClaims(payload, {}), { email: 'std@x.example', name: 'N', phone: '1' }, 'an empty mapping is no mapping')
})

t.test('a claim named like an Object.prototype member is kept only if the token carries it', async (tt) => {
  const mapping = { email: 'toString', displayName: 'constructor', phone: 'hasOwnProperty', locale: '__proto__' }
  const none = keptProfileClaims({ sub: 'u1' }, mapping)
  tt.same(Object.keys(none), [], 'nothing inherited is read as a claim')
  tt.equal(none.toString, undefined)
  tt.equal(none.constructor, undefined)

  const carried = JSON.parse('{"toString":"a@b.example","constructor":"Ada","__proto__":"en"}') as Record<string, unknown>
  const kept = keptProfileClaims(carried, mapping)
  tt.same(Object.keys(kept).sort(), ['__proto__', 'constructor', 'toString'])
  tt.equal(kept.toString, 'a@b.example')
  tt.equal(kept.constructor, 'Ada')
  tt.equal(Object.getOwnPropertyDescriptor(kept, '__proto__')?.value, 'en', 'a claim named __proto__ is an own value, not a prototype')
})

t.test('verifyRs256: true only for an RS256 signature that verifies; any other key or signature is false, never a throw', async (tt) => {
  const key = makeKey('edges')
  const input = 'header.payload'
  const good = sign('sha256', Buffer.from(input), key.privateKey)
  tt.equal(await verifyRs256(key.publicKey, input, good), true)
  tt.equal(await verifyRs256(key.publicKey, `${input}x`, good), false, 'other signing input')
  tt.equal(await verifyRs256(makeKey('edges-other').publicKey, input, good), false, 'other key')
  tt.equal(await verifyRs256(key.publicKey, input, Buffer.alloc(0)), false, 'empty signature')

  const ed = generateKeyPairSync('ed25519')
  const edSignature = sign(null, Buffer.from(input), ed.privateKey)
  tt.equal(await verifyRs256(ed.publicKey, input, edSignature), false, 'an Ed25519 key: crypto.verify reports an error, which is false')
  tt.equal(await verifyRs256(createSecretKey(Buffer.alloc(32, 1)), input, good), false, 'a secret key: crypto.verify throws, which is false')
})

t.test('rsaKeyFlaw: the exponent, then the modulus, each at its boundary', async (tt) => {
  tt.equal(MIN_RSA_BITS, 2048)
  tt.equal(MAX_RSA_BITS, 4096)
  tt.equal(RSA_PUBLIC_EXPONENT, 65537n)
  tt.equal(rsaKeyFlaw(2048, 65537n), null)
  tt.equal(rsaKeyFlaw(4096, 65537n), null)
  tt.same(rsaKeyFlaw(4097, 65537n), { weak: false, reason: 'modulus is 4097 bits (maximum 4096)' })
  tt.same(rsaKeyFlaw(2047, 65537n), { weak: true, reason: 'modulus is 2047 bits (minimum 2048)' })
  tt.same(rsaKeyFlaw(1024, 3n), { weak: false, reason: 'public exponent is 3 (only 65537 is accepted)' }, 'the exponent is judged first')
  tt.same(rsaKeyFlaw(2048, 2n ** 64n - 1n), { weak: false, reason: 'public exponent is 18446744073709551615 (only 65537 is accepted)' })
  tt.same(rsaKeyFlaw(2048, 2n ** 64n), { weak: false, reason: 'public exponent is over 64 bits (only 65537 is accepted)' })
  tt.same(rsaKeyFlaw(8192, 2n ** 4000n), { weak: false, reason: 'public exponent is over 64 bits (only 65537 is accepted)' })
})
