// Upgrading a database that holds data: the partner-controls migration gives existing rows the documented defaults.
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { migrate as migrateSqlite } from 'drizzle-orm/better-sqlite3/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import t, { type Test } from 'tap'
import { openStore } from '../../src/storage/index.js'
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-store.js'
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-store.js'
import type { Store } from '../../src/storage/types.js'
import { tempDbPath } from '../helpers/build-app.js'
import { freshSchema, postgresOnly } from '../helpers/postgres.js'

/** A copy of `folder` whose journal lists only the first (initial) migration: the schema of the previous release. */
function initialMigrationOnly(tt: Test, folder: string): string {
  const copy = join(tt.testdir(), 'migrations')
  cpSync(folder, copy, { recursive: true })
  const journalPath = join(copy, 'meta/_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: unknown[] }
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }))
  return copy
}

// Rows as the previous release wrote them: none of the new columns exists yet.
const OLD_PARTNER = `insert into partners (id, name, jwt_issuer, jwks_url, jwt_public_key, jwt_audience, max_token_lifetime_seconds, status, version, created_at, updated_at)
  values ('acme', 'Acme', 'https://acme.example', 'https://acme.example/jwks.json', null, null, 3600, 'active', 1, 1000, 1000)`
const OLD_USER = `insert into users (id, partner_id, external_user_id, email, display_name, phone, country_code, locale, provisioned_by, created_at, updated_at)
  values ('00000000-0000-4000-8000-000000000000', 'acme', 'u1', 'u1@example.com', null, null, null, null, 'jit', 1000, 1000)`

async function expectDefaults(tt: Test, store: Store): Promise<void> {
  await tt.resolves(store.checkReady(), 'every migration applied')
  tt.match(await store.partners.get('acme'), {
    jwksUrl: 'https://acme.example/jwks.json',
    openidConfigurationUrl: null,
    requireIssuedAt: true,
    claimMapping: null,
    requiredClaims: null,
    profileUpdate: 'never',
    version: 1,
  })
  tt.match(await store.users.get('acme', 'u1'), { email: 'u1@example.com', tokensValidAfter: null, revocationLifetimeSeconds: null })
  tt.same(await store.refusals.list('acme', 10), [])
}

t.test('sqlite: a database of the previous release is upgraded and its rows read with the defaults', async (tt) => {
  const path = tempDbPath(tt)
  const sqlite = new Database(path)
  migrateSqlite(drizzleSqlite(sqlite), { migrationsFolder: initialMigrationOnly(tt, SQLITE_MIGRATIONS) })
  sqlite.exec(OLD_PARTNER)
  sqlite.exec(OLD_USER)
  sqlite.close()
  const store = await openStore({ kind: 'sqlite', path })
  tt.teardown(() => store.close())
  await expectDefaults(tt, store)
})

t.test('postgres: a schema of the previous release is upgraded and its rows read with the defaults', postgresOnly(), async (tt) => {
  const { schema, url } = await freshSchema(tt)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await migratePostgres(drizzlePostgres({ client }), {
      migrationsFolder: initialMigrationOnly(tt, POSTGRES_MIGRATIONS),
      migrationsSchema: schema,
      migrationsTable: '__drizzle_migrations',
    })
    await client.query(OLD_PARTNER)
    await client.query(OLD_USER)
  } finally {
    await client.end()
  }
  const store = await openStore({ kind: 'postgres', url })
  tt.teardown(() => store.close())
  await expectDefaults(tt, store)
})
