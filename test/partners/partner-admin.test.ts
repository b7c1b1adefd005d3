// The admin use-cases around a partner over a real SQLite store: each missing thing is not_found with a detail
// naming it, and the audit list pages by 50 unless told otherwise.
import t from 'tap'
import {
  DEFAULT_AUDIT_LIMIT,
  listAudit,
  listPartnerApiKeys,
  partnerKeyView,
  readPartner,
  refreshPartnerKeys,
  revokePartnerApiKey,
  revokeUserSessions,
} from '../../src/partners/partner-admin.js'
import { openStore } from '../../src/storage/index.js'
import type { IssuerDirectory, KeyView } from '../../src/tokens/issuer-directory.js'
import { issueApiKey } from '../../src/credentials/issue-api-key.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

type Tap = Parameters<typeof tempDbPath>[0]

async function setup(tt: Tap) {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: makeKey('admin').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }),
    'test',
  )
  return store
}

const VIEW: KeyView = { source: 'static', keys: [{ kid: null, alg: 'RS256', bits: 2048, usable: true, reason: null, lastVerifiedAt: null }] }

/** A directory that knows keys for `known` only. */
const directory = (known: string[]) =>
  ({
    keyView: (id: string) => (known.includes(id) ? VIEW : undefined),
    refreshKeys: async (id: string) => (known.includes(id) ? VIEW : undefined),
  }) as unknown as IssuerDirectory

t.test('readPartner answers the partner, or not_found naming it', async (tt) => {
  const store = await setup(tt)
  tt.match(await readPartner(store, 'acme'), { id: 'acme', name: 'Acme' })
  await tt.rejects(readPartner(store, 'nobody'), { code: 'not_found', message: 'no partner nobody' })
})

t.test('the key view and a refresh answer the directory view; a partner without one is not_found saying so', async (tt) => {
  const store = await setup(tt)
  tt.same(await partnerKeyView(store, directory(['acme']), 'acme'), VIEW)
  tt.same(await refreshPartnerKeys(store, directory(['acme']), 'acme'), VIEW)
  const detail = 'partner acme has no loadable key configuration'
  await tt.rejects(partnerKeyView(store, directory([]), 'acme'), { code: 'not_found', message: detail })
  await tt.rejects(refreshPartnerKeys(store, directory([]), 'acme'), { code: 'not_found', message: detail })
  await tt.rejects(partnerKeyView(store, directory(['nobody']), 'nobody'), { code: 'not_found', message: 'no partner nobody' })
  await tt.rejects(refreshPartnerKeys(store, directory(['nobody']), 'nobody'), { code: 'not_found', message: 'no partner nobody' })
})

t.test('API keys: listed for an existing partner only; revoking one that is not live is not_found', async (tt) => {
  const store = await setup(tt)
  const issued = await issueApiKey(store, 'acme', 'test')
  tt.match(await listPartnerApiKeys(store, 'acme'), [{ id: issued.id }])
  await tt.rejects(listPartnerApiKeys(store, 'nobody'), { code: 'not_found', message: 'no partner nobody' })
  await revokePartnerApiKey(store, 'acme', issued.id, 'test')
  tt.match(await listPartnerApiKeys(store, 'acme'), [{ id: issued.id, revokedAt: String }])
  await tt.rejects(revokePartnerApiKey(store, 'acme', issued.id, 'test'), { code: 'not_found', message: 'no live API key with this id for this partner' })
})

t.test('revoking a user’s sessions answers the user, or not_found naming the missing partner or user', async (tt) => {
  const store = await setup(tt)
  await store.users.provision('acme', 'u1', {})
  tt.match(await revokeUserSessions(store, 'acme', 'u1', 'test'), { externalUserId: 'u1', tokensValidAfter: String })
  await tt.rejects(revokeUserSessions(store, 'nobody', 'u1', 'test'), { code: 'not_found', message: 'no partner nobody' })
  await tt.rejects(revokeUserSessions(store, 'acme', 'u2', 'test'), { code: 'not_found', message: 'no user with this externalUserId' })
})

t.test('the audit list pages by 50 unless given a limit, and filters by partner', async (tt) => {
  const store = await setup(tt)
  tt.equal(DEFAULT_AUDIT_LIMIT, 50)
  for (let i = 0; i < 55; i++) await store.partners.update('acme', { name: `Acme ${i}` }, { actor: 'test' })
  tt.equal((await listAudit(store, {})).length, 50)
  tt.equal((await listAudit(store, { limit: 3 })).length, 3)
  tt.equal((await listAudit(store, { partnerId: 'nobody' })).length, 0)
  const first = await listAudit(store, { limit: 1 })
  tt.ok((await listAudit(store, { before: Date.parse(first[0]!.at) + 1, limit: 100 })).length > 50, 'before is passed on')
})
