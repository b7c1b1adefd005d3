// Profile fields from claims: a mapped field reads only its claim, unmapped fields the standard claims; dropped claims say why, never with the value.
import t from 'tap'
import { jitProfileFromClaims } from '../../src/users/jit-profile.js'

const NS = 'https://partner.example/claims/'

t.test('without a mapping, the standard claims fill the fields in their order of preference', async (tt) => {
  tt.same(jitProfileFromClaims({ email: 'a@b.example', name: ' Ada ', country: 'gbr', locale: 'en-GB', phone: ' +44 1 ' }), {
    profile: { email: 'a@b.example', displayName: 'Ada', countryCode: 'GB', locale: 'en-GB', phone: '+44 1' },
    dropped: [],
  })
  tt.same(jitProfileFromClaims({ displayName: 'Ada', name: 'Ignored', countryCode: 'fr', country: 'de' }).profile, { displayName: 'Ada', countryCode: 'FR' })
  tt.same(jitProfileFromClaims({ displayName: null, name: 'Fallback' }).profile, { displayName: 'Fallback' }, 'a null claim counts as absent')
})

t.test('a mapped field reads only its claim, never the standard one', async (tt) => {
  const mapping = { email: 'identifier', displayName: `${NS}full_name`, countryCode: `${NS}country` }
  const claims = { identifier: 'user@oidc.example', email: 'other@std.example', name: 'Standard Name', country: 'US', [`${NS}country`]: 'de', locale: 'fr' }
  tt.same(jitProfileFromClaims(claims, mapping), {
    profile: { email: 'user@oidc.example', countryCode: 'DE', locale: 'fr' },
    dropped: [],
  }, 'displayName is mapped to an absent claim: name does not stand in; locale is unmapped and read as usual')
  tt.same(jitProfileFromClaims({ email: 'std@std.example' }, { email: 'identifier' }).profile, {}, 'the standard claim is not a fallback')
})

t.test('malformed claims are dropped with a reason in words that never repeats the value', async (tt) => {
  const secretish = 'not-an-email-0123'
  const { profile, dropped } = jitProfileFromClaims(
    { identifier: secretish, name: { nested: true }, phone: 'x'.repeat(33), country: '1x', locale: 7, displayName: ['a'] },
    { email: 'identifier' },
  )
  tt.same(profile, {})
  tt.same(dropped, [
    { claim: 'identifier', reason: 'is not an email address of at most 254 characters' },
    { claim: 'displayName', reason: 'is an array, not a string' },
    { claim: 'phone', reason: 'is not a phone number of 1–32 characters after trimming' },
    { claim: 'country', reason: 'is not a country whose first two characters are letters' },
    { claim: 'locale', reason: 'is a number, not a string' },
  ])
  tt.notMatch(JSON.stringify(dropped), secretish)
  tt.same(jitProfileFromClaims({ name: {} }).dropped, [{ claim: 'name', reason: 'is a JSON object, not a string' }], 'a structured claim kept by the verifier')
  tt.same(jitProfileFromClaims({ displayName: 'a\u0000b' }).dropped, [{ claim: 'displayName', reason: 'is not a name of 1–200 characters after trimming' }])
})

t.test('a mapped claim named like an Object.prototype member is read only from the claims themselves', async (tt) => {
  tt.same(jitProfileFromClaims({}, { displayName: 'constructor' }), { profile: {}, dropped: [] })
  tt.same(jitProfileFromClaims(JSON.parse('{"__proto__":"Proto Name"}'), { displayName: '__proto__' }).profile, { displayName: 'Proto Name' })
})
