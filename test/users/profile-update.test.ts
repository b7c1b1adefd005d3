// profileChange and profileAfter: what a later token of an existing user changes, per the partner's profileUpdate.
import t from 'tap'
import { PROFILE_FIELDS, profileAfter, profileChange } from '../../src/users/profile-update.js'
import type { UserRecord } from '../../src/storage/types.js'

function stored(over: Partial<UserRecord> = {}): UserRecord {
  return {
    id: 'u1',
    partnerId: 'acme',
    externalUserId: 'user-1',
    email: 'old@example.com',
    displayName: null,
    phone: null,
    countryCode: 'DE',
    locale: null,
    provisionedBy: 'jit',
    tokensValidAfter: null,
    revocationLifetimeSeconds: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    ...over,
  } as UserRecord
}

t.test('the profile fields, in order', async (tt) => {
  tt.same(PROFILE_FIELDS, ['email', 'displayName', 'phone', 'countryCode', 'locale'])
})

t.test('never changes nothing, whatever the token carries', async (tt) => {
  tt.equal(profileChange(stored(), { email: 'new@example.com', displayName: 'Ann' }, 'never'), null)
})

t.test('fillEmpty sets only the fields stored as null', async (tt) => {
  tt.same(profileChange(stored(), { email: 'new@example.com', displayName: 'Ann', countryCode: 'FR', locale: 'fr' }, 'fillEmpty'), {
    displayName: 'Ann',
    locale: 'fr',
  })
  tt.equal(profileChange(stored(), { email: 'new@example.com', countryCode: 'FR' }, 'fillEmpty'), null, 'nothing empty to fill is no change')
})

t.test('overwrite replaces every field the token carries a different value for', async (tt) => {
  tt.same(profileChange(stored(), { email: 'new@example.com', displayName: 'Ann', countryCode: 'DE' }, 'overwrite'), {
    email: 'new@example.com',
    displayName: 'Ann',
  })
})

t.test('a claim equal to the stored value, absent or null changes nothing', async (tt) => {
  tt.equal(profileChange(stored(), { email: 'old@example.com', countryCode: 'DE' }, 'overwrite'), null)
  tt.equal(profileChange(stored(), {}, 'overwrite'), null)
  tt.equal(profileChange(stored(), { email: null as unknown as string, phone: undefined }, 'overwrite'), null)
  tt.equal(profileChange(stored(), { displayName: null as unknown as string }, 'fillEmpty'), null, 'null does not fill an empty field')
})

t.test('profileAfter applies a change over the stored profile, and no change leaves it', async (tt) => {
  const before = { email: 'old@example.com', displayName: null, phone: '+1', countryCode: 'DE', locale: null }
  tt.same(profileAfter(before, { email: 'new@example.com', locale: 'de' }), { email: 'new@example.com', displayName: null, phone: '+1', countryCode: 'DE', locale: 'de' })
  tt.same(profileAfter(before, null), before)
  tt.same(profileAfter(before, {}), before)
})
