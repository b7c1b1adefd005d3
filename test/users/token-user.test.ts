// readTokenUser and settleTokenUser over a real SQLite store: the revocation check on the stored user, just-in-time
// provisioning, the partner's profileUpdate, and the races with a concurrent first request or a delete.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import type { PartnerRecord, ProfileUpdatePolicy, Store, UserStore } from '../../src/storage/types.js'
import type { VerifiedToken } from '../../src/tokens/verify-partner-token.js'
import { readTokenUser, settleTokenUser } from '../../src/users/token-user.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

type Tap = Parameters<typeof tempDbPath>[0]

async function setup(tt: Tap, profileUpdate: ProfileUpdatePolicy = 'never') {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  const partner = await store.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: makeKey('tu').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active', profileUpdate }),
    'test',
  )
  return { store, partner }
}

/** A verified token as the verifier hands it over; only the members the user step reads matter here. */
function token(partner: PartnerRecord, claims: Record<string, unknown>, times: { iat: number | null; exp: number } = { iat: nowSec(), exp: nowSec() + 600 }): VerifiedToken {
  return { partner: { record: partner }, sub: 'user-1', ...times, claims, kid: null } as unknown as VerifiedToken
}

const nowSec = () => Math.floor(Date.now() / 1000)

t.test('readTokenUser: no user yet is ok with null', async (tt) => {
  const { store, partner } = await setup(tt)
  tt.same(await readTokenUser(store.users, token(partner, {})), { ok: true, user: null })
})

t.test('readTokenUser: a stored user whose sessions were not revoked is ok with that user', async (tt) => {
  const { store, partner } = await setup(tt)
  await store.users.provision('acme', 'user-1', { email: 'a@example.com' })
  const read = await readTokenUser(store.users, token(partner, {}))
  tt.match(read, { ok: true, user: { externalUserId: 'user-1', email: 'a@example.com' } })
})

t.test('readTokenUser: a token issued before the revocation is refused with the detail, one issued at it is not', async (tt) => {
  const { store, partner } = await setup(tt)
  await store.users.provision('acme', 'user-1', {})
  const revoked = await store.users.revokeSessions('acme', 'user-1', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
  const at = Date.parse(revoked!.tokensValidAfter!) / 1000
  const refused = await readTokenUser(store.users, token(partner, {}, { iat: at - 1, exp: at + 600 }))
  tt.match(refused, { ok: false, detail: /sessions revoked at/ })
  tt.match(await readTokenUser(store.users, token(partner, {}, { iat: at, exp: at + 600 })), { ok: true, user: { externalUserId: 'user-1' } })
})

t.test('settle: a first token provisions the user from its claims and reports the dropped ones', async (tt) => {
  const { store, partner } = await setup(tt)
  const outcome = await settleTokenUser(store.users, token(partner, { email: 'a@example.com', phone: 42 }), null)
  tt.match(outcome, { ok: true, created: true, updated: false, user: { email: 'a@example.com', phone: null, provisionedBy: 'jit' } })
  tt.match(outcome, { dropped: [{ claim: 'phone' }] })
})

t.test('settle: a partner deleted after verification answers partner_not_found', async (tt) => {
  const { store, partner } = await setup(tt)
  await store.partners.update('acme', { status: 'disabled' }, { actor: 'test' })
  await store.partners.delete('acme', { actor: 'test' })
  tt.same(await settleTokenUser(store.users, token(partner, {}), null), { ok: false, reason: 'partner_not_found' })
})

t.test('settle: under never, a returning user is answered as stored, nothing written and nothing reported dropped', async (tt) => {
  const { store, partner } = await setup(tt, 'never')
  const { user } = (await store.users.provision('acme', 'user-1', { email: 'a@example.com' })) as { user: NonNullable<unknown> }
  const outcome = await settleTokenUser(store.users, token(partner, { email: 'b@example.com', phone: 42 }), user as never)
  tt.same(outcome, { ok: true, user, created: false, updated: false, dropped: [] })
  tt.equal((await store.users.get('acme', 'user-1'))?.email, 'a@example.com')
})

t.test('settle: under overwrite, a changed claim updates the user; an unchanged one writes nothing', async (tt) => {
  const { store, partner } = await setup(tt, 'overwrite')
  const first = await settleTokenUser(store.users, token(partner, { email: 'a@example.com' }), null)
  if (!first.ok) throw new Error('not provisioned')
  const same = await settleTokenUser(store.users, token(partner, { email: 'a@example.com', phone: 42 }), first.user)
  tt.match(same, { ok: true, created: false, updated: false, user: first.user, dropped: [{ claim: 'phone' }] })
  const changed = await settleTokenUser(store.users, token(partner, { email: 'b@example.com', phone: 42 }), first.user)
  tt.match(changed, { ok: true, created: false, updated: true, user: { email: 'b@example.com' }, dropped: [{ claim: 'phone' }] })
  tt.equal((await store.users.get('acme', 'user-1'))?.email, 'b@example.com')
})

t.test('settle: a concurrent first request created the user, so this token applies as a later token does', async (tt) => {
  const { store, partner } = await setup(tt, 'fillEmpty')
  await store.users.provision('acme', 'user-1', { email: 'first@example.com' })
  const outcome = await settleTokenUser(store.users, token(partner, { email: 'second@example.com', name: 'Ann' }), null)
  tt.match(outcome, { ok: true, created: false, updated: true, user: { email: 'first@example.com', displayName: 'Ann' } })
  const never = await setup(tt, 'never')
  await never.store.users.provision('acme', 'user-1', { email: 'first@example.com' })
  tt.match(await settleTokenUser(never.store.users, token(never.partner, { name: 'Ann' }), null), { ok: true, created: false, updated: false, user: { displayName: null } })
})

/** A user store whose updateProfile first deletes the user, as a concurrent delete would; `times` deletes at most. */
function deletingUsers(store: Store, times: number, onProvision?: () => Promise<void>): UserStore {
  let deletes = 0
  return {
    ...store.users,
    get: store.users.get.bind(store.users),
    provision: async (...args) => {
      await onProvision?.()
      return store.users.provision(...args)
    },
    updateProfile: async (...args) => {
      if (deletes++ < times) await store.users.delete(args[0], args[1])
      return store.users.updateProfile(...args)
    },
  }
}

t.test('settle: a user deleted between the read and the update is provisioned afresh from this token', async (tt) => {
  const { store, partner } = await setup(tt, 'overwrite')
  const first = await settleTokenUser(store.users, token(partner, { email: 'a@example.com' }), null)
  if (!first.ok) throw new Error('not provisioned')
  const outcome = await settleTokenUser(deletingUsers(store, 1), token(partner, { email: 'b@example.com' }), first.user)
  tt.match(outcome, { ok: true, created: true, updated: false, user: { email: 'b@example.com' } })
  tt.not((outcome as { user: { id: string } }).user.id, first.user.id, 'a fresh user')
})

t.test('settle: deleted yet again during the retry, the request is answered by the user as it read it', async (tt) => {
  const { store, partner } = await setup(tt, 'overwrite')
  const first = await settleTokenUser(store.users, token(partner, { email: 'a@example.com' }), null)
  if (!first.ok) throw new Error('not provisioned')
  // The retry's provision meets a user a concurrent request just created, then that user is deleted too.
  let provisions = 0
  const users = deletingUsers(store, 2, async () => {
    if (provisions++ === 0) await store.users.provision('acme', 'user-1', { email: 'other@example.com' })
  })
  const outcome = await settleTokenUser(users, token(partner, { email: 'b@example.com' }), first.user)
  tt.match(outcome, { ok: true, created: false, updated: false, user: { email: 'other@example.com' } })
})
