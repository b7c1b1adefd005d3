// What only the PostgreSQL store has: migrations under an advisory lock, schema-relative SQL, readiness, connection errors.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-store.js'
import { openStore } from '../../src/storage/index.js'
import { POSTGRES_SKIP_MESSAGE, POSTGRES_URL, freshSchema, pgQuery, postgresOnly, urlWithSchema } from '../helpers/postgres.js'
import { partnerFields } from '../helpers/partner-fields.js'

if (!POSTGRES_URL) t.comment(POSTGRES_SKIP_MESSAGE)

const journalEntries = (JSON.parse(readFileSync(join(POSTGRES_MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length

t.test('migrations are schema-relative, so DATABASE_URL can choose the schema', async (tt) => {
  // drizzle-kit writes foreign keys as REFERENCES "public"."partners"; a new migration must have that
  // qualifier removed before it is first applied, or instances living in another schema break.
  const files = readdirSync(POSTGRES_MIGRATIONS).filter((f) => f.endsWith('.sql'))
  tt.equal(files.length, journalEntries, 'one SQL file per journal entry')
  for (const file of files) {
    tt.notMatch(readFileSync(join(POSTGRES_MIGRATIONS, file), 'utf8'), /"public"\./, `${file} names no schema`)
  }
})

t.test('instances starting together migrate once, under the advisory lock', postgresOnly(), async (tt) => {
  const { schema, url } = await freshSchema(tt)
  const stores = await Promise.all(Array.from({ length: 6 }, () => openStore({ kind: 'postgres', url })))
  tt.teardown(() => Promise.all(stores.map((s) => s.close())))
  const applied = await pgQuery<{ n: number }>('select count(*)::int as n from __drizzle_migrations', [], schema)
  tt.equal(applied[0]!.n, journalEntries, 'each migration recorded once')
  await Promise.all(stores.map((s) => tt.resolves(s.checkReady())))
  // All six see one database.
  await stores[0]!.partners.create('acme', partnerFields({ name: 'A', jwtIssuer: 'https://a.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }), 'env')
  for (const s of stores) tt.equal((await s.partners.get('acme'))?.name, 'A')
  const tables = await pgQuery<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema])
  tt.same(tables.map((r) => r.table_name), ['__drizzle_migrations', 'admin_tokens', 'audit_log', 'console_secrets', 'partner_api_keys', 'partners', 'refusals', 'revisions', 'users'], 'everything lives in the chosen schema')
})

t.test('reopening a migrated schema applies nothing and keeps the data', postgresOnly(), async (tt) => {
  const { schema, url } = await freshSchema(tt)
  const first = await openStore({ kind: 'postgres', url })
  await first.adminTokens.create({ id: 'a', prefix: 'p', hash: 'h', label: null }, 'env')
  await first.close()
  const second = await openStore({ kind: 'postgres', url })
  tt.teardown(() => second.close())
  tt.equal(await second.adminTokens.countActive(), 1)
  const applied = await pgQuery<{ n: number }>('select count(*)::int as n from __drizzle_migrations', [], schema)
  tt.equal(applied[0]!.n, journalEntries)
})

t.test('times are stored as epoch milliseconds (bigint), as in SQLite', postgresOnly(), async (tt) => {
  const { schema, url } = await freshSchema(tt)
  const store = await openStore({ kind: 'postgres', url })
  tt.teardown(() => store.close())
  const columns = await pgQuery<{ table_name: string; column_name: string; data_type: string }>(
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = $1
        and ((column_name like '%\\_at' and column_name <> 'require_issued_at') or column_name in ('at', 'tokens_valid_after'))`,
    [schema],
  )
  tt.ok(columns.length >= 11)
  for (const c of columns) tt.equal(c.data_type, 'bigint', `${c.table_name}.${c.column_name}`)
  await store.partners.create('acme', partnerFields({ name: 'A', jwtIssuer: 'https://a.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }), 'env')
  const outcome = await store.users.upsert('acme', 'u', {})
  if (!outcome.ok) throw new Error(`upsert answered ${outcome.reason}`)
  const { user } = outcome
  const [row] = await pgQuery<{ created_at: string }>('select created_at from users where id = $1', [user.id], schema)
  tt.equal(Number(row!.created_at), Date.parse(user.createdAt))
})

t.test('checkReady rejects while a migration is not applied', postgresOnly(), async (tt) => {
  const { schema, url } = await freshSchema(tt)
  const store = await openStore({ kind: 'postgres', url })
  tt.teardown(() => store.close())
  await tt.resolves(store.checkReady())
  await pgQuery('delete from __drizzle_migrations', [], schema)
  await tt.rejects(store.checkReady(), { message: 'migrations pending' })
})

t.test('a search_path naming no existing schema stops start-up with a clear error', postgresOnly(), async (tt) => {
  const url = urlWithSchema(POSTGRES_URL!, 'gatehouse_no_such_schema')
  await tt.rejects(openStore({ kind: 'postgres', url }), { message: /no schema on the search_path exists/ })
})

t.test('an unreachable server stops start-up', async (tt) => {
  await tt.rejects(openStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' }), { code: 'ECONNREFUSED' })
})
