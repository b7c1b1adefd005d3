// The store boundary refuses strings a database cannot hold exactly: invalid_request naming the first bad value by
// its JSON pointer into the method's arguments, and the store is never reached.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

type Tap = Parameters<typeof tempDbPath>[0]

async function storeWithPartner(tt: Tap) {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: makeKey('guard').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }),
    'test',
  )
  return store
}

const RULE = 'strings must be well-formed Unicode without U+0000'

/** The field errors a refused call carries, compared exactly (tap's match would accept a longer path). */
async function fieldErrors(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (err) {
    return (err as { errors?: unknown }).errors
  }
  return 'not refused'
}

t.test('a NUL in a plain argument is refused at its argument index, and nothing is written', async (tt) => {
  const store = await storeWithPartner(tt)
  await tt.rejects(store.users.upsert('acme', 'a\u0000b', {}), {
    code: 'invalid_request',
    message: `a value contains U+0000; ${RULE}`,
    errors: [{ path: '/1', message: 'contains U+0000' }],
  })
  tt.same(await fieldErrors(store.users.upsert('acme', 'a\u0000b', {})), [{ path: '/1', message: 'contains U+0000' }])
  tt.equal(await store.users.get('acme', 'ab'), null)
})

t.test('an unpaired surrogate in a nested field is refused at its field', async (tt) => {
  const store = await storeWithPartner(tt)
  await tt.rejects(store.users.upsert('acme', 'u1', { email: 'x@example.com', displayName: 'A\ud800' }), {
    code: 'invalid_request',
    errors: [{ path: '/2/displayName', message: 'is not well-formed Unicode' }],
  })
  tt.same(await fieldErrors(store.users.upsert('acme', 'u1', { displayName: 'A\ud800' })), [{ path: '/2/displayName', message: 'is not well-formed Unicode' }])
  tt.equal(await store.users.get('acme', 'u1'), null)
})

t.test('a bad object key is refused as a name, at the key', async (tt) => {
  const store = await storeWithPartner(tt)
  await tt.rejects(store.partners.update('acme', { requiredClaims: { 'te\u0000nant': 'x' } }, { actor: 'test' }), {
    code: 'invalid_request',
    errors: [{ path: '/1/requiredClaims/te\u0000nant', message: 'name contains U+0000' }],
  })
  tt.equal((await store.partners.get('acme'))?.version, 1)
})

t.test('only the first flaw is named, and numbers, booleans and null pass', async (tt) => {
  const store = await storeWithPartner(tt)
  await tt.rejects(store.users.upsert('acme', 'u\u0000', { email: '\ud800' }), { errors: [{ path: '/1' }] })
  const ok = await store.partners.update('acme', { maxTokenLifetimeSeconds: 600, requireIssuedAt: false, jwtAudience: null }, { actor: 'test' })
  tt.equal(ok.ok, true)
})

t.test('well-formed strings outside the BMP are stored as given', async (tt) => {
  const store = await storeWithPartner(tt)
  const outcome = await store.users.upsert('acme', 'u-\u{1F600}', { displayName: 'Ann \u{1F600}' })
  tt.match(outcome, { ok: true, user: { externalUserId: 'u-\u{1F600}', displayName: 'Ann \u{1F600}' } })
})
