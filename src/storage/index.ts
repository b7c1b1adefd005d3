// Opens the store the configuration names; callers see only the Store interface, never driver types.
import type { Config } from '../config.js'
import { createPostgresStore } from './postgres/postgres-store.js'
import { createSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './types.js'

export type * from './types.js'

/** SQLite for a file path; PostgreSQL (migrated under an advisory lock) for a `postgres://` URL. */
export async function openStore(database: Config['database']): Promise<Store> {
  if (database.kind === 'sqlite') return createSqliteStore(database.path)
  return createPostgresStore(database.url)
}
