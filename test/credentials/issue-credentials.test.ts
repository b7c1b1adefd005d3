// issueApiKey and issueAdminToken: the one place each secret is made; the store keeps its hash, the caller gets it once.
import t from 'tap'
import { issueAdminToken } from '../../src/credentials/issue-admin-token.js'
import { issueApiKey } from '../../src/credentials/issue-api-key.js'
import { hashSecret } from '../../src/credentials/secrets.js'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

async function storeWithPartner(tt: Parameters<typeof tempDbPath>[0]) {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: makeKey('issue').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }),
    'test',
  )
  return store
}

t.test('an API key is returned once and only its hash is stored, under the given actor', async (tt) => {
  const store = await storeWithPartner(tt)
  const issued = await issueApiKey(store, 'acme', 'admin:ops')
  tt.match(issued, { id: String, key: /^gh_pk_[A-Za-z0-9_-]{43}$/, prefix: String, createdAt: String })
  tt.ok(issued.key.startsWith(issued.prefix))
  tt.same(await store.apiKeys.findActive(hashSecret(issued.key)), { id: issued.id, partnerId: 'acme' })
  const [listed] = await store.apiKeys.list('acme')
  tt.notOk(JSON.stringify(listed).includes(issued.key), 'the stored record does not hold the secret')
  tt.match(await store.audit.list({ partnerId: 'acme', limit: 1 }), [{ actor: 'admin:ops' }])
})

t.test('an API key for a partner that does not exist is not_found, and nothing is stored', async (tt) => {
  const store = await storeWithPartner(tt)
  await tt.rejects(issueApiKey(store, 'nobody', 'cli'), { code: 'not_found', message: 'no partner nobody' })
  tt.same(await store.apiKeys.list('nobody'), [])
})

t.test('an admin token is returned once with its label and only its hash is stored', async (tt) => {
  const store = await storeWithPartner(tt)
  const issued = await issueAdminToken(store, 'ops laptop', 'cli')
  tt.match(issued, { id: String, token: /^gh_admin_[A-Za-z0-9_-]{43}$/, prefix: String, label: 'ops laptop', createdAt: String })
  tt.same(await store.adminTokens.findActive(hashSecret(issued.token)), { id: issued.id })
  tt.notOk(JSON.stringify(await store.adminTokens.list()).includes(issued.token))
  tt.equal((await issueAdminToken(store, null, 'cli')).label, null, 'the label is optional')
})

t.test('an admin token label outside 1–200 characters is invalid_request, and nothing is stored', async (tt) => {
  const store = await storeWithPartner(tt)
  for (const label of ['', 'x'.repeat(201)]) {
    await tt.rejects(issueAdminToken(store, label, 'cli'), {
      code: 'invalid_request',
      message: 'label: must be 1–200 characters',
      errors: [{ path: 'label', message: 'must be 1–200 characters' }],
    })
  }
  tt.equal(await store.adminTokens.countActive(), 0)
})

t.test('admin token labels of exactly 1 and 200 characters are accepted', async (tt) => {
  const store = await storeWithPartner(tt)
  for (const label of ['x', 'x'.repeat(200)]) tt.equal((await issueAdminToken(store, label, 'cli')).label, label)
  tt.equal(await store.adminTokens.countActive(), 2)
})
