// peekCached, the /me hot path's synchronous look at a store's user cache: it answers only what getCached would,
// from memory alone — undefined whenever only a query could tell.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { openPostgresStore, postgresOnly } from '../helpers/postgres.js'
import { waitFor } from '../helpers/wait-for.js'
import type { Store } from '../../src/storage/types.js'

const acme = partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' })

t.test('[sqlite] unknown until read; then the user, or null for an absent one; writes go through', async (tt) => {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create('acme', acme, 'test')
  await store.users.upsert('acme', 'u1', { email: 'a@example.com' })
  tt.match(store.users.peekCached('acme', 'u1'), { email: 'a@example.com' }, 'the upsert is in the cache')
  tt.equal(store.users.peekCached('acme', 'u2'), undefined, 'never read: only a query could tell')
  tt.equal(await store.users.getCached('acme', 'u2'), null)
  tt.equal(store.users.peekCached('acme', 'u2'), null, 'read once: known absent')
  await store.users.upsert('acme', 'u2', {})
  tt.match(store.users.peekCached('acme', 'u2'), { externalUserId: 'u2' })
  await store.users.revokeSessions('acme', 'u2', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
  tt.not(store.users.peekCached('acme', 'u2')?.tokensValidAfter, null, 'a revocation shows at once')
  await store.users.delete('acme', 'u2')
  tt.equal(store.users.peekCached('acme', 'u2'), undefined, 'a delete forgets the key')
  tt.equal(store.users.peekCached('acme\u0000x', '\ud800'), undefined, 'strings the database could not hold are merely not found')
})

t.test('[postgres] unknown until the listener confirms; then what the cache holds, never an absence', postgresOnly(), async (tt) => {
  const { store } = await openPostgresStore(tt)
  await store.partners.create('acme', acme, 'test')
  await store.users.upsert('acme', 'u1', {})
  const peek = (s: Store) => s.users.peekCached('acme', 'u1')
  const user = await waitFor(
    async () => {
      await store.users.getCached('acme', 'u1')
      return peek(store)
    },
    (u) => u !== undefined,
    5000,
  )
  tt.match(user, { externalUserId: 'u1' }, 'served once the listener has confirmed a heartbeat')
  tt.equal(store.users.peekCached('acme', 'nobody'), undefined, 'an absent user is never known from memory')
  tt.equal(await store.users.getCached('acme', 'nobody'), null)
  tt.equal(store.users.peekCached('acme', 'nobody'), undefined, 'not even after a read')
})
