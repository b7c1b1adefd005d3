// The Store contract (src/storage/types.ts), run unchanged against every backend: SQLite always,
// PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set. Each test gets a fresh database with the real migrations.
import t, { type Test } from 'tap'
import { AppError } from '../../src/errors.js'
import { openStore } from '../../src/storage/index.js'
import type { PartnerFields, RefusalRecord, Store, UserRecord, UserWriteOutcome } from '../../src/storage/types.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { forEachStore } from '../helpers/stores.js'

/** The store's clock: real time until a test pins `now` (epoch milliseconds). */
interface Clock {
  now?: number
}

/** One test per store, named `[sqlite] behaviour` and `[postgres] behaviour`, each on a fresh database. */
function contract(name: string, fn: (tt: Test, store: Store, clock: Clock) => Promise<void>): void {
  forEachStore(t, name, async (tt, _build, backend) => {
    const clock: Clock = {}
    const database = await backend.freshDatabase(tt)
    const config = backend.name === 'sqlite' ? { kind: 'sqlite' as const, path: database } : { kind: 'postgres' as const, url: database }
    const store = await openStore(config, { now: () => clock.now ?? Date.now() })
    tt.teardown(() => store.close())
    await fn(tt, store, clock)
  })
}

const fields = (over: Partial<PartnerFields> = {}): PartnerFields =>
  partnerFields({
    name: 'Acme',
    jwtIssuer: 'https://acme.example',
    jwksUrl: 'https://acme.example/jwks.json',
    jwtPublicKey: null,
    jwtAudience: null,
    maxTokenLifetimeSeconds: 3600,
    status: 'active',
    ...over,
  })

/** The n-th refusal of a test: each one distinct, newer as n grows. */
const refusal = (n: number, over: Partial<RefusalRecord> = {}): RefusalRecord => ({
  at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  code: 'token_expired',
  detail: `refusal ${n}`,
  kid: 'k1',
  sub: `u${n}`,
  iat: 1_700_000_000 + n,
  exp: 1_700_000_060 + n,
  aud: null,
  ...over,
})

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** What a user write answered, failing the test if it reported the partner gone. */
function written(outcome: UserWriteOutcome): { user: UserRecord; created: boolean } {
  if (!outcome.ok) throw new Error(`the write answered ${outcome.reason}`)
  return { user: outcome.user, created: outcome.created }
}

/** The JSON pointer a write's `conflict` refusal names; fails the test if the write answers anything else. */
async function conflictPath(tt: Test, write: Promise<unknown>): Promise<string | undefined> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  )
  tt.ok(err instanceof AppError && err.code === 'conflict', 'refused with AppError conflict')
  const errors = err instanceof AppError ? err.errors : undefined
  tt.equal(errors?.length, 1, 'one field named')
  tt.equal(errors?.[0]?.message, 'already taken')
  return errors?.[0]?.path
}

async function withPartner(store: Store, id = 'acme', over: Partial<PartnerFields> = {}) {
  return store.partners.create(id, fields({ jwtIssuer: `https://${id}.example`, ...over }), 'test')
}

// ---- partners

contract('partners: create starts at version 1, get and list return it', async (tt, store) => {
  const created = await store.partners.create('acme', fields(), 'env')
  tt.match(created, { id: 'acme', ...fields(), version: 1, createdAt: ISO, updatedAt: ISO })
  tt.equal(created.createdAt, created.updatedAt)
  tt.same(await store.partners.get('acme'), created)
  tt.equal(await store.partners.get('nope'), null)
  await store.partners.create('beta', fields({ jwtIssuer: 'https://beta.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: 'aud' }), 'env')
  await store.partners.create('alpha', fields({ jwtIssuer: 'https://alpha.example' }), 'env')
  const list = await store.partners.list()
  tt.same(list.map((p) => p.id), ['acme', 'alpha', 'beta'], 'listed by id')
  tt.match(list[2], { jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: 'aud' })
})

contract('partners: listed in byte order of id, whatever the database collation', async (tt, store) => {
  for (const id of ['ab', 'a-c', 'aa', 'a0', 'a-b']) await withPartner(store, id)
  tt.same((await store.partners.list()).map((p) => p.id), ['a-b', 'a-c', 'a0', 'aa', 'ab'])
})

contract('partners: a taken jwtIssuer is a conflict naming the field, and writes nothing', async (tt, store) => {
  await store.partners.create('acme', fields(), 'env')
  const revision = await store.partners.revision()
  const auditCount = (await store.audit.list({ limit: 100 })).length
  tt.equal(await conflictPath(tt, store.partners.create('other', fields(), 'env')), '/jwtIssuer')
  tt.equal(await store.partners.get('other'), null)
  tt.equal(await store.partners.revision(), revision, 'revision unchanged')
  tt.equal((await store.audit.list({ limit: 100 })).length, auditCount, 'nothing audited')
  // jwtIssuer is matched exactly: a trailing slash is another issuer.
  await store.partners.create('slash', fields({ jwtIssuer: 'https://acme.example/' }), 'env')
})

contract('partners: a taken id is a conflict naming the field, and writes nothing', async (tt, store) => {
  const created = await store.partners.create('acme', fields(), 'env')
  const revision = await store.partners.revision()
  tt.equal(await conflictPath(tt, store.partners.create('acme', fields({ jwtIssuer: 'https://other.example' }), 'env')), '/id')
  tt.same(await store.partners.get('acme'), created)
  tt.equal(await store.partners.revision(), revision, 'revision unchanged')
})

contract('partners: update applies changes, bumps version by 1 and audits the changed fields', async (tt, store, clock) => {
  clock.now = Date.parse('2030-01-01T00:00:00.000Z')
  const created = await withPartner(store)
  clock.now += 1000
  const res = await store.partners.update('acme', { name: 'Acme 2', jwtAudience: 'gatehouse', status: 'active' }, { actor: 'admin-token:x' })
  tt.ok(res.ok)
  if (!res.ok) return
  tt.match(res.record, { name: 'Acme 2', jwtAudience: 'gatehouse', version: 2, createdAt: created.createdAt })
  tt.ok(res.record.updatedAt > created.updatedAt, 'updatedAt moves')
  tt.same(await store.partners.get('acme'), res.record)
  const [entry] = await store.audit.list({ limit: 1 })
  tt.match(entry, { actor: 'admin-token:x', action: 'partner.update', partnerId: 'acme' })
  tt.same([...entry!.changedFields].sort(), ['jwtAudience', 'name'], 'only fields that changed')

  const cleared = await store.partners.update('acme', { jwtAudience: null }, { expectedVersion: 2, actor: 'env' })
  tt.match(cleared, { ok: true, record: { jwtAudience: null, version: 3 } })
  const swapped = await store.partners.update('acme', { jwksUrl: null, jwtPublicKey: 'PEM' }, { actor: 'env' })
  tt.match(swapped, { ok: true, record: { jwksUrl: null, jwtPublicKey: 'PEM', version: 4 } })
})

contract('partners: update with a stale expectedVersion or unknown id changes nothing', async (tt, store) => {
  await withPartner(store)
  const revision = await store.partners.revision()
  tt.same(await store.partners.update('acme', { name: 'X' }, { expectedVersion: 7, actor: 'env' }), { ok: false, reason: 'version_mismatch' })
  tt.same(await store.partners.update('nope', { name: 'X' }, { actor: 'env' }), { ok: false, reason: 'not_found' })
  tt.match(await store.partners.get('acme'), { name: 'Acme', version: 1 })
  tt.equal(await store.partners.revision(), revision)
})

contract('partners: a no-op update keeps the version, audits nothing and leaves the revision', async (tt, store) => {
  const created = await withPartner(store)
  const revision = await store.partners.revision()
  const auditCount = (await store.audit.list({ limit: 100 })).length
  const res = await store.partners.update('acme', { name: 'Acme', jwtAudience: null, status: 'active' }, { expectedVersion: 1, actor: 'env' })
  tt.same(res, { ok: true, record: created })
  tt.same(await store.partners.update('acme', {}, { actor: 'env' }), { ok: true, record: created })
  tt.equal(await store.partners.revision(), revision)
  tt.equal((await store.audit.list({ limit: 100 })).length, auditCount)
})

contract('partners: update to a taken jwtIssuer is a conflict and leaves the record', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  const revision = await store.partners.revision()
  tt.equal(await conflictPath(tt, store.partners.update('beta', { jwtIssuer: 'https://acme.example' }, { actor: 'env' })), '/jwtIssuer')
  tt.match(await store.partners.get('beta'), { jwtIssuer: 'https://beta.example', version: 1 })
  tt.equal(await store.partners.revision(), revision, 'revision unchanged')
  tt.equal((await store.audit.list({ partnerId: 'beta', limit: 10 })).length, 1, 'only the create audited')
})

contract('partners: concurrent creates of one id: one lands, every other is a conflict on /id', async (tt, store) => {
  const attempts = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => store.partners.create('acme', fields({ jwtIssuer: `https://acme-${i}.example` }), 'env')),
  )
  tt.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1, 'one create lands')
  for (const a of attempts.filter((x) => x.status === 'rejected')) {
    tt.equal(await conflictPath(tt, Promise.reject((a as PromiseRejectedResult).reason)), '/id')
  }
  tt.equal((await store.partners.list()).length, 1)
})

contract('partners: concurrent creates of one jwtIssuer: one lands, every other is a conflict on /jwtIssuer', async (tt, store) => {
  const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.partners.create(`p${i}`, fields(), 'env')))
  tt.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1, 'one create lands')
  for (const a of attempts.filter((x) => x.status === 'rejected')) {
    tt.equal(await conflictPath(tt, Promise.reject((a as PromiseRejectedResult).reason)), '/jwtIssuer')
  }
  tt.equal((await store.partners.list()).length, 1)
})

contract('partners: the partner-control fields round-trip through create, get, list and update', async (tt, store) => {
  const controls: Partial<PartnerFields> = {
    jwksUrl: null,
    openidConfigurationUrl: 'https://acme.example/.well-known/openid-configuration',
    requireIssuedAt: false,
    claimMapping: { externalUserId: 'https://acme.example/claims/partner_user_id', email: 'identifier' },
    requiredClaims: { type: 'access_token', 'https://acme.example/tier': 'gold ✓' },
    profileUpdate: 'fillEmpty',
  }
  const created = await store.partners.create('acme', fields(controls), 'env')
  tt.match(created, controls)
  tt.same(await store.partners.get('acme'), created)
  tt.same((await store.partners.list())[0], created)
  tt.same((await store.audit.list({ limit: 1 }))[0]!.changedFields.filter((f) => f in controls), Object.keys(controls))
  const res = await store.partners.update(
    'acme',
    { requireIssuedAt: true, claimMapping: { locale: 'lang' }, requiredClaims: null, profileUpdate: 'overwrite' },
    { actor: 'env' },
  )
  tt.match(res, { ok: true, record: { requireIssuedAt: true, claimMapping: { locale: 'lang' }, requiredClaims: null, profileUpdate: 'overwrite', version: 2 } })
  tt.same(await store.partners.get('acme'), res.ok && res.record)
  tt.same((await store.audit.list({ limit: 1 }))[0]!.changedFields, ['requireIssuedAt', 'claimMapping', 'requiredClaims', 'profileUpdate'])
})

contract('partners: an empty claimMapping or requiredClaims is stored and read back as null', async (tt, store) => {
  const created = await store.partners.create('acme', fields({ claimMapping: {}, requiredClaims: {} }), 'env')
  tt.match(created, { claimMapping: null, requiredClaims: null })
  tt.match(await store.partners.get('acme'), { claimMapping: null, requiredClaims: null })
  await store.partners.update('acme', { claimMapping: { email: 'mail' }, requiredClaims: { type: 'id_token' } }, { actor: 'env' })
  const emptied = await store.partners.update('acme', { claimMapping: {}, requiredClaims: {} }, { actor: 'env' })
  tt.match(emptied, { ok: true, record: { claimMapping: null, requiredClaims: null, version: 3 } })
  tt.match(await store.partners.get('acme'), { claimMapping: null, requiredClaims: null })
  // Emptying what is already null changes nothing.
  tt.match(await store.partners.update('acme', { claimMapping: {} }, { actor: 'env' }), { ok: true, record: { version: 3 } })
})

contract('partners: an object field with the same entries in another order is no change', async (tt, store) => {
  await withPartner(store, 'acme', { requiredClaims: { a: '1', b: '2' } })
  const same = await store.partners.update('acme', { requiredClaims: { b: '2', a: '1' } }, { actor: 'env' })
  tt.match(same, { ok: true, record: { version: 1 } })
  tt.equal((await store.audit.list({ limit: 10 })).length, 1, 'nothing audited')
  const changed = await store.partners.update('acme', { requiredClaims: { b: '2', a: '3' } }, { actor: 'env' })
  tt.match(changed, { ok: true, record: { version: 2, requiredClaims: { a: '3', b: '2' } } })
})

contract('partners: delete only a disabled partner, honouring expectedVersion', async (tt, store) => {
  await withPartner(store)
  tt.same(await store.partners.delete('nope', { actor: 'env' }), { ok: false, reason: 'not_found' })
  tt.same(await store.partners.delete('acme', { actor: 'env' }), { ok: false, reason: 'not_disabled' })
  await store.partners.update('acme', { status: 'disabled' }, { actor: 'env' })
  tt.same(await store.partners.delete('acme', { expectedVersion: 1, actor: 'env' }), { ok: false, reason: 'version_mismatch' })
  tt.ok(await store.partners.get('acme'), 'still there')
  tt.same(await store.partners.delete('acme', { expectedVersion: 2, actor: 'cli' }), { ok: true })
  tt.equal(await store.partners.get('acme'), null)
  tt.same(await store.partners.delete('acme', { actor: 'env' }), { ok: false, reason: 'not_found' })
  tt.match((await store.audit.list({ limit: 1 }))[0], { actor: 'cli', action: 'partner.delete', partnerId: 'acme', changedFields: [] })
})

contract('partners: delete cascades to users and API keys, and leaves other partners alone', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  await store.apiKeys.create({ id: 'k1', partnerId: 'acme', prefix: 'gh_pk_a', hash: 'hash-a' }, 'env')
  await store.apiKeys.create({ id: 'k2', partnerId: 'beta', prefix: 'gh_pk_b', hash: 'hash-b' }, 'env')
  await store.users.upsert('acme', 'u1', { email: 'a@example.com' })
  await store.users.provision('acme', 'u2', {})
  await store.users.upsert('beta', 'u1', {})
  await store.partners.update('acme', { status: 'disabled' }, { actor: 'env' })
  tt.same(await store.partners.delete('acme', { actor: 'env' }), { ok: true })
  tt.equal(await store.users.get('acme', 'u1'), null)
  tt.equal(await store.users.get('acme', 'u2'), null)
  tt.equal(await store.apiKeys.findActive('hash-a'), null)
  tt.same(await store.apiKeys.list('acme'), [])
  tt.ok(await store.users.get('beta', 'u1'), "beta's user stays")
  tt.same(await store.apiKeys.findActive('hash-b'), { id: 'k2', partnerId: 'beta' })
  // A partner re-created under the same id starts empty.
  await withPartner(store, 'acme')
  tt.equal(await store.users.get('acme', 'u1'), null)
  tt.same(await store.apiKeys.list('acme'), [])
})

contract('partners: the revision grows with every partner write', async (tt, store) => {
  const seen = [await store.partners.revision()]
  const moved = async (what: string) => {
    const r = await store.partners.revision()
    tt.ok(r > seen.at(-1)!, `${what} moves the revision`)
    seen.push(r)
  }
  await withPartner(store)
  await moved('create')
  await store.partners.update('acme', { name: 'Renamed' }, { actor: 'env' })
  await moved('update')
  await store.partners.update('acme', { status: 'disabled' }, { actor: 'env' })
  await moved('disable')
  await store.partners.delete('acme', { actor: 'env' })
  await moved('delete')
  tt.equal(typeof seen[0], 'number')
})

contract('partners: concurrent updates each bump the version once and the revision counts them all', async (tt, store) => {
  await withPartner(store)
  const before = await store.partners.revision()
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, (_, i) => store.partners.update('acme', { name: `Name ${i}` }, { actor: 'env' })),
  )
  tt.ok(outcomes.every((o) => o.ok))
  const versions = outcomes.map((o) => (o.ok ? o.record.version : 0)).sort((a, b) => a - b)
  tt.same(versions, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'no lost update: every write got its own version')
  tt.equal(await store.partners.revision(), before + 10)
})

// ---- API keys

contract('api keys: create, list per partner, findActive by hash', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  const k1 = await store.apiKeys.create({ id: 'k1', partnerId: 'acme', prefix: 'gh_pk_1', hash: 'h1' }, 'admin-token:a')
  tt.same(k1, { id: 'k1', partnerId: 'acme', prefix: 'gh_pk_1', createdAt: k1.createdAt, revokedAt: null })
  tt.match(k1.createdAt, ISO)
  await store.apiKeys.create({ id: 'k2', partnerId: 'acme', prefix: 'gh_pk_2', hash: 'h2' }, 'env')
  await store.apiKeys.create({ id: 'k3', partnerId: 'beta', prefix: 'gh_pk_3', hash: 'h3' }, 'env')
  tt.same((await store.apiKeys.list('acme')).map((k) => k.id).sort(), ['k1', 'k2'])
  tt.same((await store.apiKeys.list('beta')).map((k) => k.id), ['k3'])
  tt.same(await store.apiKeys.list('nope'), [])
  tt.same(await store.apiKeys.findActive('h1'), { id: 'k1', partnerId: 'acme' })
  tt.same(await store.apiKeys.findActive('h3'), { id: 'k3', partnerId: 'beta' })
  tt.equal(await store.apiKeys.findActive('unknown'), null)
  tt.match((await store.audit.list({ limit: 3 })).at(-1), { actor: 'admin-token:a', action: 'api_key.create', partnerId: 'acme', changedFields: ['apiKey'] })
})

contract('api keys: revoke only through the owning partner, once; a revoked key is no longer found', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  await store.apiKeys.create({ id: 'k1', partnerId: 'acme', prefix: 'gh_pk_1', hash: 'h1' }, 'env')
  await store.apiKeys.create({ id: 'k2', partnerId: 'acme', prefix: 'gh_pk_2', hash: 'h2' }, 'env')
  tt.equal(await store.apiKeys.revoke('beta', 'k1', 'env'), false, "another partner's key")
  tt.equal(await store.apiKeys.revoke('acme', 'nope', 'env'), false)
  tt.ok(await store.apiKeys.findActive('h1'))
  tt.equal(await store.apiKeys.revoke('acme', 'k1', 'admin-token:r'), true)
  tt.equal(await store.apiKeys.revoke('acme', 'k1', 'env'), false, 'already revoked')
  tt.equal(await store.apiKeys.findActive('h1'), null)
  tt.same(await store.apiKeys.findActive('h2'), { id: 'k2', partnerId: 'acme' }, 'the other key stays live')
  const listed = await store.apiKeys.list('acme')
  tt.match(listed.find((k) => k.id === 'k1'), { revokedAt: ISO })
  tt.match(listed.find((k) => k.id === 'k2'), { revokedAt: null })
  tt.match((await store.audit.list({ limit: 1 }))[0], { actor: 'admin-token:r', action: 'api_key.revoke', partnerId: 'acme' })
})

contract('api keys: listed oldest first, equal times in byte order of id', async (tt, store, clock) => {
  await withPartner(store)
  const create = (id: string) => store.apiKeys.create({ id, partnerId: 'acme', prefix: `gh_pk_${id}`, hash: `hash-${id}` }, 'env')
  clock.now = Date.parse('2030-01-02T00:00:00.000Z')
  for (const id of ['kb', 'k-b', 'ka']) await create(id)
  clock.now -= 1000
  await create('kz')
  const listed = await store.apiKeys.list('acme')
  tt.same(listed.map((k) => k.id), ['kz', 'k-b', 'ka', 'kb'])
  tt.same(listed.map((k) => k.createdAt), ['2030-01-01T23:59:59.000Z', ...Array(3).fill('2030-01-02T00:00:00.000Z')], 'stamped by the store clock')
})

// ---- admin tokens

contract('admin tokens: listed oldest first, equal times in byte order of id', async (tt, store, clock) => {
  const create = (id: string) => store.adminTokens.create({ id, prefix: `gh_admin_${id}`, hash: `hash-${id}`, label: null }, 'env')
  clock.now = Date.parse('2030-01-02T00:00:00.000Z')
  for (const id of ['tb', 't-b', 'ta']) await create(id)
  clock.now -= 1000
  await create('tz')
  tt.same((await store.adminTokens.list()).map((x) => x.id), ['tz', 't-b', 'ta', 'tb'])
  tt.same((await store.audit.list({ limit: 1 }))[0]?.at, '2030-01-01T23:59:59.000Z', 'the audit entry carries the same time')
})

contract('admin tokens: count, create, list, findActive, revoke', async (tt, store) => {
  tt.equal(await store.adminTokens.countActive(), 0)
  const a = await store.adminTokens.create({ id: 'a', prefix: 'gh_admin_a', hash: 'ha', label: 'bootstrap' }, 'bootstrap')
  tt.same(a, { id: 'a', prefix: 'gh_admin_a', label: 'bootstrap', createdAt: a.createdAt, revokedAt: null })
  tt.match(a.createdAt, ISO)
  await store.adminTokens.create({ id: 'b', prefix: 'gh_admin_b', hash: 'hb', label: null }, 'cli')
  tt.equal(await store.adminTokens.countActive(), 2)
  tt.same((await store.adminTokens.list()).map((x) => x.id).sort(), ['a', 'b'])
  tt.same(await store.adminTokens.findActive('ha'), { id: 'a' })
  tt.equal(await store.adminTokens.findActive('nope'), null)
  tt.equal(await store.adminTokens.revoke('a', 'cli'), true)
  tt.equal(await store.adminTokens.revoke('a', 'cli'), false)
  tt.equal(await store.adminTokens.revoke('nope', 'cli'), false)
  tt.equal(await store.adminTokens.findActive('ha'), null)
  tt.equal(await store.adminTokens.countActive(), 1)
  tt.match((await store.adminTokens.list()).find((x) => x.id === 'a'), { revokedAt: ISO })
  const entries = await store.audit.list({ limit: 10 })
  tt.same(entries.map((e) => e.action), ['admin_token.revoke', 'admin_token.create', 'admin_token.create'])
  tt.match(entries[2], { actor: 'bootstrap', partnerId: null, changedFields: ['adminToken'] })
})

// ---- users

contract('users: upsert creates, then updates: absent unchanged, null clears', async (tt, store, clock) => {
  clock.now = Date.parse('2030-01-01T00:00:00.000Z')
  await withPartner(store)
  const first = written(await store.users.upsert('acme', 'u-1', { email: 'ada@example.com', displayName: 'Ada', countryCode: 'GB' }))
  tt.equal(first.created, true)
  tt.match(first.user, {
    partnerId: 'acme',
    externalUserId: 'u-1',
    email: 'ada@example.com',
    displayName: 'Ada',
    phone: null,
    countryCode: 'GB',
    locale: null,
    provisionedBy: 'api',
    createdAt: ISO,
    updatedAt: ISO,
  })
  tt.match(first.user.id, /^[0-9a-f-]{36}$/)
  clock.now += 1000
  const second = written(await store.users.upsert('acme', 'u-1', { displayName: null, phone: '+44 20', locale: 'en-GB' }))
  tt.equal(second.created, false)
  tt.same(second.user, {
    ...first.user,
    displayName: null,
    phone: '+44 20',
    locale: 'en-GB',
    updatedAt: second.user.updatedAt,
  })
  tt.ok(second.user.updatedAt > first.user.updatedAt, 'updatedAt moves')
  tt.same(await store.users.get('acme', 'u-1'), second.user)
})

contract('users: upsert with no fields leaves an existing user exactly as it was', async (tt, store, clock) => {
  clock.now = Date.parse('2030-01-01T00:00:00.000Z')
  await withPartner(store)
  const first = written(await store.users.upsert('acme', 'u', { email: 'e@example.com' }))
  // A later clock: a write that (wrongly) touched the row would stamp a different updatedAt.
  clock.now += 1000
  const again = written(await store.users.upsert('acme', 'u', {}))
  tt.same(again, { user: first.user, created: false })
  const fresh = written(await store.users.upsert('acme', 'empty', {}))
  tt.match(fresh, { created: true, user: { email: null, provisionedBy: 'api' } })
})

contract('users: provision creates from the profile and never overwrites', async (tt, store) => {
  await withPartner(store)
  const first = written(await store.users.provision('acme', 'sub-1', { email: 'first@example.com', locale: 'fr' }))
  tt.match(first, { created: true, user: { externalUserId: 'sub-1', email: 'first@example.com', locale: 'fr', provisionedBy: 'jit' } })
  const again = written(await store.users.provision('acme', 'sub-1', { email: 'second@example.com', displayName: 'New' }))
  tt.same(again, { user: first.user, created: false })
  const api = written(await store.users.upsert('acme', 'sub-2', { email: 'api@example.com' }))
  tt.same(written(await store.users.provision('acme', 'sub-2', { email: 'jit@example.com' })), { user: api.user, created: false })
})

contract('users: 50 concurrent provisions of one new user make one row, all answered with it', async (tt, store) => {
  await withPartner(store)
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.users.provision('acme', 'racer', { email: `r${i}@example.com` }).then(written)))
  tt.equal(new Set(results.map((r) => r.user.id)).size, 1, 'one user id')
  tt.equal(results.filter((r) => r.created).length, 1, 'exactly one caller created it')
  const winner = results.find((r) => r.created)!.user
  tt.ok(results.every((r) => r.user.email === winner.email), 'all see the stored row, not their own profile')
  tt.same(await store.users.get('acme', 'racer'), winner)
})

contract('users: concurrent upserts of one new user report created exactly once', async (tt, store) => {
  await withPartner(store)
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.users.upsert('acme', 'both', { displayName: `n${i}` }).then(written)))
  tt.equal(new Set(results.map((r) => r.user.id)).size, 1)
  tt.equal(results.filter((r) => r.created).length, 1)
  const stored = await store.users.get('acme', 'both')
  tt.ok(results.some((r) => r.user.displayName === stored!.displayName), 'the stored row is one of the writes')
})

contract('users: get and delete are scoped to the partner; a deleted user is provisioned afresh', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  const a = written(await store.users.upsert('acme', 'same', { email: 'a@example.com' })).user
  const b = written(await store.users.upsert('beta', 'same', { email: 'b@example.com' })).user
  tt.not(a.id, b.id)
  tt.equal((await store.users.get('beta', 'same'))!.email, 'b@example.com')
  tt.equal(await store.users.get('acme', 'other'), null)
  tt.equal(await store.users.delete('acme', 'same'), true)
  tt.equal(await store.users.delete('acme', 'same'), false)
  tt.equal(await store.users.get('acme', 'same'), null)
  tt.same(await store.users.get('beta', 'same'), b, "beta's user untouched")
  const again = written(await store.users.provision('acme', 'same', {}))
  tt.equal(again.created, true)
  tt.not(again.user.id, a.id)
})

contract('users: externalUserId is stored exactly (Unicode, 255 characters, case)', async (tt, store) => {
  await withPartner(store)
  const ids = ['Ünïcødé 🚀 /?#%', 'x'.repeat(255), 'CaseSensitive', 'casesensitive', ' padded ']
  for (const id of ids) await store.users.upsert('acme', id, {})
  for (const id of ids) tt.equal((await store.users.get('acme', id))?.externalUserId, id)
})

contract('users: revokeSessions sets tokensValidAfter to now in whole seconds, keeps the lifetime, and audits', async (tt, store, clock) => {
  await withPartner(store)
  clock.now = Date.parse('2026-03-01T12:00:00.000Z')
  const user = written(await store.users.upsert('acme', 'u', { email: 'u@example.com' })).user
  tt.equal(user.tokensValidAfter, null, 'a new user starts unrevoked')
  tt.equal(user.revocationLifetimeSeconds, null)
  tt.same(await store.users.get('acme', 'u'), user, 'read (and cached) before the revocation')
  clock.now = Date.parse('2026-03-01T12:34:56.789Z')
  const revoked = await store.users.revokeSessions('acme', 'u', { actor: 'api-key:k1', maxTokenLifetimeSeconds: 900 })
  tt.same(revoked, { ...user, tokensValidAfter: '2026-03-01T12:34:56.000Z', revocationLifetimeSeconds: 900, updatedAt: '2026-03-01T12:34:56.789Z' })
  tt.same(await store.users.get('acme', 'u'), revoked, 'the next read sees it')
  tt.match((await store.audit.list({ limit: 1 }))[0], { actor: 'api-key:k1', action: 'user.revoke_sessions', partnerId: 'acme', changedFields: ['tokensValidAfter'] })
})

contract('users: revokeSessions of an unknown user is null and audits nothing', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  written(await store.users.upsert('beta', 'u', {}))
  const audited = (await store.audit.list({ limit: 100 })).length
  tt.equal(await store.users.revokeSessions('acme', 'u', { actor: 'env', maxTokenLifetimeSeconds: 3600 }), null, "another partner's user is unknown")
  tt.equal(await store.users.revokeSessions('nope', 'u', { actor: 'env', maxTokenLifetimeSeconds: 3600 }), null)
  tt.equal((await store.audit.list({ limit: 100 })).length, audited)
  tt.match(await store.users.get('beta', 'u'), { tokensValidAfter: null })
})

contract('users: upsert and provision never touch a revocation; deleting the user clears it', async (tt, store) => {
  await withPartner(store)
  written(await store.users.upsert('acme', 'u', {}))
  const revoked = (await store.users.revokeSessions('acme', 'u', { actor: 'env', maxTokenLifetimeSeconds: 600 }))!
  const updated = written(await store.users.upsert('acme', 'u', { email: 'new@example.com', displayName: null }))
  tt.match(updated, { created: false, user: { email: 'new@example.com', tokensValidAfter: revoked.tokensValidAfter, revocationLifetimeSeconds: 600 } })
  tt.match(written(await store.users.provision('acme', 'u', { phone: '+1 555' })).user, { tokensValidAfter: revoked.tokensValidAfter, phone: null })
  tt.equal(await store.users.delete('acme', 'u'), true)
  tt.match(written(await store.users.provision('acme', 'u', {})), { created: true, user: { tokensValidAfter: null, revocationLifetimeSeconds: null } })
})

contract('users: updateProfile fillEmpty sets only the fields still null, and moves updatedAt only when one is set', async (tt, store, clock) => {
  await withPartner(store)
  clock.now = 1_000_000
  const user = written(await store.users.upsert('acme', 'u', { email: 'kept@example.com' })).user
  await store.users.get('acme', 'u')
  clock.now = 2_000_000
  const filled = await store.users.updateProfile('acme', 'u', { email: 'other@example.com', displayName: 'Ada', locale: null }, 'fillEmpty')
  tt.same(filled, { ...user, displayName: 'Ada', updatedAt: new Date(2_000_000).toISOString() })
  tt.same(await store.users.get('acme', 'u'), filled)
  clock.now = 3_000_000
  tt.same(await store.users.updateProfile('acme', 'u', { email: 'x@example.com', displayName: 'Bob' }, 'fillEmpty'), filled, 'nothing empty: unchanged')
  tt.same(await store.users.updateProfile('acme', 'u', { phone: null }, 'fillEmpty'), filled, 'a null fills nothing')
  tt.equal(await store.users.updateProfile('acme', 'nobody', { email: 'n@example.com' }, 'fillEmpty'), null)
  tt.equal(await store.users.get('acme', 'nobody'), null, 'updateProfile never creates')
})

contract('users: updateProfile overwrite sets the fields given and leaves the others, updatedAt moving only on a change', async (tt, store, clock) => {
  await withPartner(store)
  clock.now = 1_000_000
  const user = written(await store.users.upsert('acme', 'u', { email: 'old@example.com', phone: '+44 1', locale: 'en' })).user
  await store.users.get('acme', 'u')
  clock.now = 2_000_000
  const over = await store.users.updateProfile('acme', 'u', { email: 'new@example.com', displayName: 'Ada', locale: null }, 'overwrite')
  tt.same(over, { ...user, email: 'new@example.com', displayName: 'Ada', locale: null, updatedAt: new Date(2_000_000).toISOString() })
  tt.same(await store.users.get('acme', 'u'), over)
  clock.now = 3_000_000
  tt.same(await store.users.updateProfile('acme', 'u', { email: 'new@example.com', locale: null }, 'overwrite'), over, 'same values: updatedAt kept')
  tt.match(await store.users.updateProfile('acme', 'u', { phone: '+44 2' }, 'overwrite'), { phone: '+44 2', email: 'new@example.com', updatedAt: new Date(3_000_000).toISOString() })
  tt.equal(await store.users.updateProfile('acme', 'nobody', { email: 'n@example.com' }, 'overwrite'), null)
})

contract('users: concurrent profile updates of different fields all land', async (tt, store) => {
  await withPartner(store)
  for (const policy of ['fillEmpty', 'overwrite'] as const) {
    written(await store.users.upsert('acme', policy, {}))
    await store.users.get('acme', policy)
    await Promise.all([
      store.users.updateProfile('acme', policy, { email: `${policy}@example.com` }, policy),
      store.users.updateProfile('acme', policy, { displayName: 'Ada' }, policy),
      store.users.updateProfile('acme', policy, { phone: '+1 555' }, policy),
      store.users.updateProfile('acme', policy, { countryCode: 'GB' }, policy),
      store.users.updateProfile('acme', policy, { locale: 'en-GB' }, policy),
    ])
    tt.match(await store.users.get('acme', policy), { email: `${policy}@example.com`, displayName: 'Ada', phone: '+1 555', countryCode: 'GB', locale: 'en-GB' }, policy)
  }
})

contract('users: concurrent fillEmpty updates of one field keep exactly one value', async (tt, store) => {
  await withPartner(store)
  written(await store.users.upsert('acme', 'u', {}))
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => store.users.updateProfile('acme', 'u', { email: `e${i}@example.com` }, 'fillEmpty')))
  const stored = (await store.users.get('acme', 'u'))!.email
  tt.match(stored, /^e\d@example\.com$/)
  tt.ok(answers.every((a) => a?.email === stored), 'every caller is answered with the value that won')
})

// ---- strings a database cannot hold, and writes racing a partner delete

const NUL = 'a\u0000b'
const LONE_HIGH = '\ud800'
const LONE_LOW = '\udfff'

/** The refusal every store gives such a string: invalid_request, before the driver sees it. */
const refused = (path: string) => ({ name: 'AppError', code: 'invalid_request', errors: [{ path }] })

contract('strings: NUL in externalUserId or a profile field is refused as invalid_request and stores nothing', async (tt, store) => {
  await withPartner(store)
  await tt.rejects(store.users.upsert('acme', NUL, {}), refused('/1'))
  await tt.rejects(store.users.provision('acme', NUL, {}), refused('/1'))
  await tt.rejects(store.users.upsert('acme', 'u', { displayName: NUL, email: 'ada@example.com' }), refused('/2/displayName'))
  await tt.rejects(store.users.provision('acme', 'u', { phone: NUL }), refused('/2/phone'))
  await tt.rejects(store.users.get('acme', NUL), refused('/1'), 'reads too: no driver error')
  await tt.rejects(store.users.delete('acme', NUL), refused('/1'))
  await tt.rejects(store.users.revokeSessions('acme', NUL, { actor: 'env', maxTokenLifetimeSeconds: 60 }), refused('/1'))
  await tt.rejects(store.users.updateProfile('acme', NUL, {}, 'overwrite'), refused('/1'))
  await tt.rejects(store.users.updateProfile('acme', 'u', { email: NUL }, 'fillEmpty'), refused('/2/email'))
  tt.equal(await store.users.get('acme', 'u'), null, 'nothing was stored')
})

contract('strings: NUL or a lone surrogate in a partner field is refused as invalid_request and writes nothing', async (tt, store) => {
  const revision = await store.partners.revision()
  await tt.rejects(store.partners.create('acme', fields({ name: NUL }), 'env'), refused('/1/name'))
  await tt.rejects(store.partners.create('acme', fields({ jwtIssuer: `https://acme.example/${LONE_LOW}` }), 'env'), refused('/1/jwtIssuer'))
  await tt.rejects(store.partners.create('acme', fields({ jwtPublicKey: NUL, jwksUrl: null }), 'env'), refused('/1/jwtPublicKey'))
  await tt.rejects(store.partners.create(NUL, fields(), 'env'), refused('/0'))
  tt.same(await store.partners.list(), [])
  await withPartner(store)
  await tt.rejects(store.partners.update('acme', { jwtAudience: LONE_HIGH }, { actor: 'env' }), refused('/1/jwtAudience'))
  await tt.rejects(store.partners.get(NUL), refused('/0'))
  await tt.rejects(store.audit.list({ partnerId: NUL, limit: 10 }), refused('/0/partnerId'))
  await tt.rejects(store.apiKeys.create({ id: NUL, partnerId: 'acme', prefix: 'p', hash: 'h' }, 'env'), refused('/0/id'))
  await tt.rejects(store.partners.update('acme', { claimMapping: { email: `claim${LONE_LOW}` } }, { actor: 'env' }), refused('/1/claimMapping/email'))
  await tt.rejects(store.partners.update('acme', { requiredClaims: { [NUL]: 'x' } }, { actor: 'env' }), refused(`/1/requiredClaims/${NUL}`))
  await tt.rejects(store.refusals.record('acme', { ...refusal(1), detail: NUL }), refused('/1/detail'))
  await tt.rejects(store.refusals.list(NUL, 10), refused('/0'))
  tt.match(await store.partners.get('acme'), { jwtAudience: null, version: 1 })
  tt.equal(await store.partners.revision(), revision + 1, 'only the valid create moved the revision')
})

contract('strings: "\\ud800" and "\\udfff" never become one user (nor U+FFFD)', async (tt, store) => {
  await withPartner(store)
  await tt.rejects(store.users.upsert('acme', LONE_HIGH, { email: 'high@example.com' }), refused('/1'))
  await tt.rejects(store.users.upsert('acme', LONE_LOW, { email: 'low@example.com' }), refused('/1'))
  await tt.rejects(store.users.provision('acme', `x${LONE_LOW}`, {}), refused('/1'))
  await tt.rejects(store.users.upsert('acme', 'u', { displayName: `Ada ${LONE_HIGH}` }), refused('/2/displayName'))
  tt.equal(await store.users.get('acme', '\ufffd'), null, 'nothing stored as the replacement character')
  tt.equal(await store.users.get('acme', 'u'), null)
  // A surrogate pair is well-formed and stored exactly.
  tt.equal(written(await store.users.upsert('acme', '\ud83d\ude80', {})).user.externalUserId, '🚀')
})

contract('users: writes for a deleted partner answer partner_not_found and store nothing', async (tt, store) => {
  await withPartner(store, 'gone')
  written(await store.users.upsert('gone', 'old', {}))
  await store.partners.update('gone', { status: 'disabled' }, { actor: 'env' })
  tt.same(await store.partners.delete('gone', { actor: 'env' }), { ok: true })
  tt.same(await store.users.upsert('gone', 'new', { email: 'ada@example.com' }), { ok: false, reason: 'partner_not_found' })
  tt.same(await store.users.upsert('gone', 'old', { email: 'ada@example.com' }), { ok: false, reason: 'partner_not_found' })
  tt.same(await store.users.provision('gone', 'jit', {}), { ok: false, reason: 'partner_not_found' })
  tt.equal(await store.users.get('gone', 'new'), null)
  tt.equal(await store.users.get('gone', 'old'), null)
  tt.equal(await store.users.get('gone', 'jit'), null)
})

contract('users: writes racing a partner delete each land or answer partner_not_found, and none outlives the partner', async (tt, store) => {
  await withPartner(store, 'gone')
  await withPartner(store, 'stays')
  await store.partners.update('gone', { status: 'disabled' }, { actor: 'env' })
  const writes = Array.from({ length: 20 }, (_, i) =>
    i % 2 === 0 ? store.users.upsert('gone', `u${i}`, { displayName: `n${i}` }) : store.users.provision('gone', `u${i}`, {}),
  )
  const neighbours = Array.from({ length: 5 }, (_, i) => store.users.upsert('stays', `u${i}`, {}))
  const deleted = store.partners.delete('gone', { actor: 'env' })
  const outcomes = await Promise.all(writes)
  tt.same(await deleted, { ok: true })
  tt.ok(outcomes.every((o) => o.ok || o.reason === 'partner_not_found'), 'no write threw')
  for (let i = 0; i < 20; i++) tt.equal(await store.users.get('gone', `u${i}`), null, `u${i} went with its partner`)
  for (const outcome of await Promise.all(neighbours)) tt.equal(written(outcome).created, true)
  for (let i = 0; i < 5; i++) tt.ok(await store.users.get('stays', `u${i}`), "the other partner's writes are stored")
})

contract('api keys: creating a key for a deleted partner is not_found', async (tt, store) => {
  await withPartner(store, 'gone')
  await store.partners.update('gone', { status: 'disabled' }, { actor: 'env' })
  await store.partners.delete('gone', { actor: 'env' })
  await tt.rejects(store.apiKeys.create({ id: 'k', partnerId: 'gone', prefix: 'gh_pk_k', hash: 'h' }, 'env'), { name: 'AppError', code: 'not_found' })
  tt.same(await store.apiKeys.list('gone'), [])
})

// ---- refusals

contract('refusals: every value round-trips, newest first, limited and per partner', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  const first = refusal(1, { kid: null, sub: null, iat: null, exp: 1_700_000_000.5, aud: ['a', 'b'] })
  const second = refusal(2, { code: 'unknown_key', detail: 'no key k9 ✓', aud: 'gatehouse' })
  await store.refusals.record('acme', first)
  await store.refusals.record('beta', refusal(3))
  await store.refusals.record('acme', second)
  tt.same(await store.refusals.list('acme', 10), [second, first])
  tt.same(await store.refusals.list('acme', 1), [second])
  tt.same(await store.refusals.list('beta', 10), [refusal(3)])
  tt.same(await store.refusals.list('nope', 10), [])
})

contract('refusals: listed newest first by their time, whatever order their writes landed in', async (tt, store) => {
  await withPartner(store, 'acme')
  await store.refusals.record('acme', refusal(2))
  await store.refusals.record('acme', refusal(1))
  await store.refusals.record('acme', refusal(3))
  tt.same((await store.refusals.list('acme', 10)).map((r) => r.sub), ['u3', 'u2', 'u1'])
})

contract('refusals: a partner keeps only its newest 200', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  await store.refusals.record('beta', refusal(0))
  for (let n = 1; n <= 230; n++) await store.refusals.record('acme', refusal(n))
  const kept = await store.refusals.list('acme', 1000)
  tt.equal(kept.length, 200)
  tt.same(kept.map((r) => r.detail), Array.from({ length: 200 }, (_, i) => `refusal ${230 - i}`), 'the newest 200, newest first')
  tt.same(await store.refusals.list('beta', 10), [refusal(0)], "another partner's refusals are not pruned")
})

contract('refusals: a refusal for a deleted partner is dropped silently; deleting a partner deletes its refusals', async (tt, store) => {
  await withPartner(store, 'gone')
  await store.refusals.record('gone', refusal(1))
  await store.partners.update('gone', { status: 'disabled' }, { actor: 'env' })
  await store.partners.delete('gone', { actor: 'env' })
  await tt.resolves(store.refusals.record('gone', refusal(2)))
  await tt.resolves(store.refusals.record('never-existed', refusal(3)))
  await withPartner(store, 'gone')
  tt.same(await store.refusals.list('gone', 10), [], 'a re-created partner starts with an empty feed')
})

// ---- audit

contract('audit: newest first, filtered by partner, limited, paged with before', async (tt, store) => {
  await withPartner(store, 'acme')
  await withPartner(store, 'beta')
  await store.partners.update('acme', { name: 'A1' }, { actor: 'env' })
  await store.partners.update('beta', { name: 'B1' }, { actor: 'env' })
  await store.partners.update('acme', { name: 'A2' }, { actor: 'env' })
  const all = await store.audit.list({ limit: 100 })
  tt.equal(all.length, 5)
  tt.same(all.map((e) => e.id), [...all.map((e) => e.id)].sort((x, y) => y - x), 'newest first')
  tt.ok(all.every((e) => Number.isInteger(e.id) && ISO.test(e.at)))
  tt.same(all.map((e) => `${e.partnerId}:${e.action}`), ['acme:partner.update', 'beta:partner.update', 'acme:partner.update', 'beta:partner.create', 'acme:partner.create'])
  const acme = await store.audit.list({ partnerId: 'acme', limit: 100 })
  tt.same(acme.map((e) => e.action), ['partner.update', 'partner.update', 'partner.create'])
  tt.same(await store.audit.list({ partnerId: 'nope', limit: 100 }), [])
  const page1 = await store.audit.list({ limit: 2 })
  tt.same(page1, all.slice(0, 2))
  const page2 = await store.audit.list({ limit: 2, before: page1.at(-1)!.id })
  tt.same(page2, all.slice(2, 4))
  const acmePaged = await store.audit.list({ partnerId: 'acme', limit: 10, before: acme[0]!.id })
  tt.same(acmePaged, acme.slice(1))
  tt.same(all[0]!.changedFields, ['name'])
})

// ---- lifecycle

contract('checkReady resolves on a migrated database; close is idempotent', async (tt, store) => {
  await tt.resolves(store.checkReady())
  await store.close()
  await store.close()
  await tt.rejects(store.checkReady(), 'not ready once closed')
})
