// How a write the database refuses reaches the caller: a duplicate partner key is a conflict naming the key, a
// vanished partner not_found naming the partner; a user write meeting a deleted partner is an outcome, any other
// error is rethrown.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { partnerGoneAsOutcome } from '../../src/storage/user-write-outcome.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

const fields = (jwtIssuer: string) =>
  partnerFields({ name: 'Acme', jwtIssuer, jwksUrl: null, jwtPublicKey: makeKey('refusals').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' })

t.test('a taken id or jwtIssuer is a conflict naming the key, with the field at its path', async (tt) => {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create('acme', fields('https://acme.example'), 'test')
  await tt.rejects(store.partners.create('acme', fields('https://other.example'), 'test'), {
    code: 'conflict',
    message: 'A partner with this id already exists',
    errors: [{ path: '/id', message: 'already taken' }],
  })
  await tt.rejects(store.partners.create('other', fields('https://acme.example'), 'test'), {
    code: 'conflict',
    message: 'A partner with this jwtIssuer already exists',
    errors: [{ path: '/jwtIssuer', message: 'already taken' }],
  })
})

t.test('an API key for a partner that does not exist is not_found naming the partner', async (tt) => {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await tt.rejects(store.apiKeys.create({ id: 'k1', partnerId: 'nobody', prefix: 'gh_pk_x', hash: 'h' }, 'test'), {
    code: 'not_found',
    message: 'no partner nobody',
  })
  tt.same(await store.apiKeys.list('nobody'), [])
})

t.test('a user write meeting a deleted partner answers partner_not_found; any other error is rethrown', async (tt) => {
  const isForeignKey = (err: unknown) => (err as { code?: string }).code === 'FK'
  const handle = partnerGoneAsOutcome(isForeignKey)
  tt.same(handle({ code: 'FK' }), { ok: false, reason: 'partner_not_found' })
  const other = new Error('disk full')
  tt.throws(() => handle(other), other)
})
