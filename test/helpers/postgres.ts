// PostgreSQL for tests: a fresh schema per test on GATEHOUSE_TEST_POSTGRES_URL (real migrations), dropped when the test ends.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Built, BuildOptions, TestContext } from './build-app.js'
import { buildOnDatabase } from './build-app.js'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'

/** Unset (or empty) means the PostgreSQL variants of the tests are skipped; CI sets it (`.ci/run`). */
export const POSTGRES_URL: string | undefined = process.env.GATEHOUSE_TEST_POSTGRES_URL || undefined

export const POSTGRES_SKIP_MESSAGE = 'PostgreSQL variant skipped: set GATEHOUSE_TEST_POSTGRES_URL'

/** `{ skip }` options for a PostgreSQL-only test: skipped, with the reason shown, when no URL is set. */
export const postgresOnly = (): { skip: string | false } => ({ skip: POSTGRES_URL ? false : POSTGRES_SKIP_MESSAGE })

function requireUrl(): string {
  if (!POSTGRES_URL) throw new Error(POSTGRES_SKIP_MESSAGE)
  return POSTGRES_URL
}

/** The same database URL with the connection's search_path set to `schema` (libpq `options` parameter). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

/** Runs one statement on the test database (outside any Gatehouse schema unless `schema` is given). */
export async function pgQuery<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = [], schema?: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: schema ? urlWithSchema(requireUrl(), schema) : requireUrl() })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

export interface FreshSchema {
  schema: string
  /** DATABASE_URL for a Gatehouse instance living in this schema. */
  url: string
}

/**
 * Creates an empty schema with a random name and returns a URL pointing at it; dropped (CASCADE) when
 * the test ends, after everything registered later (stores, child servers) has been torn down.
 */
export async function freshSchema(t: TestContext): Promise<FreshSchema> {
  const schema = `gatehouse_test_${randomBytes(6).toString('hex')}`
  await pgQuery(`create schema ${pg.escapeIdentifier(schema)}`)
  // tap runs teardowns last-registered-first: registered now, the drop runs after the stores and servers using it.
  t.teardown(() => pgQuery(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`))
  return { schema, url: urlWithSchema(requireUrl(), schema) }
}

/** Opens a store on a fresh schema; the store is closed, then the schema dropped, when the test ends. */
export async function openPostgresStore(t: TestContext): Promise<{ store: Store; schema: string; url: string }> {
  const fresh = await freshSchema(t)
  const store = await openStore({ kind: 'postgres', url: fresh.url })
  t.teardown(() => store.close())
  return { store, ...fresh }
}

/** As build() in build-app.ts, on a fresh PostgreSQL schema instead of a SQLite file (`dbPath` is the URL). */
export async function buildOnPostgres(t: TestContext, options: BuildOptions = {}): Promise<Built> {
  return buildOnDatabase(t, (await freshSchema(t)).url, options)
}
