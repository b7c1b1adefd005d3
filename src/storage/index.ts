// Opens the store the configuration names; callers see only the Store interface, never driver types.
import type { Config } from '../config.js'
import { createPostgresStore } from './postgres/postgres-store.js'
import { createSqliteStore } from './sqlite/sqlite-store.js'
import { refuseUnstorableText } from './text-guard.js'
import type { Store, StoreOptions } from './types.js'

export type * from './types.js'

/**
 * SQLite for a file path; PostgreSQL (migrated under an advisory lock) for a `postgres://` URL. Either way,
 * strings the databases cannot hold exactly are refused before they reach the driver.
 */
export async function openStore(database: Config['database'], options: StoreOptions = {}): Promise<Store> {
  const store = database.kind === 'sqlite' ? createSqliteStore(database.path, options) : await createPostgresStore(database.url, options)
  return refuseUnstorableText(store)
}
