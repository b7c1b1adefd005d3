// A partner deleted while a request that already looked it up is still running (through another instance, or
// this one) is answered as the new record has it — no such partner — never with a 5xx, on both stores.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'
import { ADMIN_TOKEN, admin } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertProblem } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'

const key = makeKey('races')

interface Setup {
  app: FastifyInstance
  /**
   * The store the racing delete goes through: on PostgreSQL a second one on the same database, as another
   * instance has; on SQLite, which serves one instance, the app's own (a delete request beside the racing one).
   */
  elsewhere: Store
}

/**
 * One test per store. `wrap` lets a test slip a real write in between two of the app's own store calls, so a
 * race that real traffic hits only sometimes happens every time. The app's partner directory does not poll:
 * it holds the records it loaded, as an instance does until its next poll.
 */
function onEachStore(name: string, fn: (tt: Test, setup: Setup) => Promise<void>, wrap: (store: Store, elsewhere: () => Store) => Store = (s) => s): void {
  forEachStore(t, name, async (tt, _build, backend) => {
    const config = loadConfig({ DATABASE_URL: await backend.freshDatabase(tt), ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'silent' })
    const store = await openStore(config.database)
    const elsewhere = backend.name === 'postgres' ? await openStore(config.database) : store
    const app = await buildApp({ config, store: wrap(store, () => elsewhere), logger: false })
    app.services.directory.stop()
    tt.teardown(async () => {
      await app.close()
      await elsewhere.close()
      await store.close()
    })
    await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
    await fn(tt, { app, elsewhere })
  })
}

/** Disables and deletes a partner the way an admin does, through the given store. */
async function removePartner(store: Store, id: string): Promise<void> {
  await store.partners.update(id, { status: 'disabled' }, { actor: 'test' })
  const deleted = await store.partners.delete(id, { actor: 'test' })
  if (!deleted.ok) throw new Error(`delete ${id}: ${deleted.reason}`)
}

onEachStore('/me for a partner deleted elsewhere, served from the record this instance still holds, is 401 unknown_issuer', async (tt, { app, elsewhere }) => {
  const me = async (sub: string) =>
    app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${await mint(key, { iss: 'https://acme.example', sub })}` } })
  tt.equal((await me('returning')).statusCode, 200, 'a user provisioned before the delete')
  await removePartner(elsewhere, 'acme')
  tt.ok(app.services.directory.byId('acme'), 'this instance still holds the old record')
  for (const sub of ['new-user', 'returning']) {
    const res = await me(sub)
    assertProblem(tt, res, 401, 'unknown_issuer', sub)
    tt.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse", error="invalid_token", error_description="unknown_issuer"')
  }
  tt.equal(await elsewhere.users.get('acme', 'new-user'), null, 'nobody provisioned for the deleted partner')
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  tt.match(metrics, /gatehouse_jit_provisions_total 1\n/, 'only the user made before the delete')
})

let deleteAfterKeyCheck = false
onEachStore(
  'a user upsert whose partner is deleted after its API key was checked is 401 unauthorized, and stores nothing',
  async (tt, { app, elsewhere }) => {
    const apiKey = await createApiKey(app, 'acme')
    deleteAfterKeyCheck = true
    const res = await app.inject({ method: 'POST', url: '/integrations/users', headers: { authorization: `Bearer ${apiKey}` }, payload: { externalUserId: 'u', email: 'ada@example.com' } })
    tt.equal(deleteAfterKeyCheck, false, 'the partner was deleted between the key check and the write')
    assertProblem(tt, res, 401, 'unauthorized')
    tt.equal(await elsewhere.users.get('acme', 'u'), null)
  },
  (store, elsewhere) => ({
    ...store,
    apiKeys: {
      ...store.apiKeys,
      async findActive(hash) {
        const found = await store.apiKeys.findActive(hash)
        if (found && deleteAfterKeyCheck) {
          deleteAfterKeyCheck = false
          await removePartner(elsewhere(), found.partnerId)
        }
        return found
      },
    },
  }),
)

let deleteBeforeKeyWrite = false
onEachStore(
  'an API key created for a partner deleted just before the key is written is 404 not_found, and stores no key',
  async (tt, { app, elsewhere }) => {
    deleteBeforeKeyWrite = true
    const res = await app.inject({ method: 'POST', url: '/admin/partners/acme/api-keys', headers: admin })
    tt.equal(deleteBeforeKeyWrite, false, 'the partner was deleted between the request and its key write')
    assertProblem(tt, res, 404, 'not_found')
    tt.same(await elsewhere.apiKeys.list('acme'), [])
  },
  (store, elsewhere) => ({
    ...store,
    apiKeys: {
      ...store.apiKeys,
      async create(key, actor) {
        if (deleteBeforeKeyWrite) {
          deleteBeforeKeyWrite = false
          await removePartner(elsewhere(), key.partnerId)
        }
        return store.apiKeys.create(key, actor)
      },
    },
  }),
)
