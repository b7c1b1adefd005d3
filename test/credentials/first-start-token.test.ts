// bootstrapAdminToken: a first start without ADMIN_TOKEN and without any admin token creates exactly one, and never otherwise.
import t from 'tap'
import { bootstrapAdminToken } from '../../src/credentials/bootstrap-admin-token.js'
import { issueAdminToken } from '../../src/credentials/issue-admin-token.js'
import { hashSecret } from '../../src/credentials/secrets.js'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'

async function emptyStore(tt: Parameters<typeof tempDbPath>[0]) {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  return store
}

t.test('without ADMIN_TOKEN and without admin tokens, one token labelled bootstrap is created by the bootstrap actor', async (tt) => {
  const store = await emptyStore(tt)
  const token = await bootstrapAdminToken(store, undefined)
  tt.match(token, /^gh_admin_/)
  tt.ok(await store.adminTokens.findActive(hashSecret(token!)), 'the returned secret is the stored token')
  tt.match(await store.adminTokens.list(), [{ label: 'bootstrap' }])
  tt.match(await store.audit.list({ limit: 1 }), [{ actor: 'bootstrap' }])
})

t.test('a configured ADMIN_TOKEN, even an empty one, means no token is created', async (tt) => {
  const store = await emptyStore(tt)
  tt.equal(await bootstrapAdminToken(store, 'configured-admin-token'), null)
  tt.equal(await bootstrapAdminToken(store, ''), null)
  tt.equal(await store.adminTokens.countActive(), 0)
})

t.test('an existing admin token means no token is created, and a second start creates none either', async (tt) => {
  const store = await emptyStore(tt)
  await issueAdminToken(store, 'ops', 'cli')
  tt.equal(await bootstrapAdminToken(store, undefined), null)
  tt.equal(await store.adminTokens.countActive(), 1)
  const fresh = await emptyStore(tt)
  tt.ok(await bootstrapAdminToken(fresh, undefined))
  tt.equal(await bootstrapAdminToken(fresh, undefined), null)
  tt.equal(await fresh.adminTokens.countActive(), 1)
})
