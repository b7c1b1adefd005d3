// Runs a test once per store — SQLite always, PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL is set — so a behaviour
// that goes through the store is shown to hold on both. Each run gets a `build` taking the same options and
// returning the same `Built` (fake clock included) as build() in build-app.ts, on a fresh database of its kind.
import type { Test } from 'tap'
import { build, type Built, type BuildOptions, type TestContext, tempDbPath } from './build-app.js'
import { POSTGRES_SKIP_MESSAGE, POSTGRES_URL, buildOnPostgres, freshSchema } from './postgres.js'

export type Build = (t: TestContext, options?: BuildOptions) => Promise<Built>

export interface StoreVariant {
  name: 'sqlite' | 'postgres'
  /** false, or why this store's run is skipped (tap prints it). */
  skip: string | false
  build: Build
  /** A DATABASE_URL for a fresh, empty database of this kind, removed when the test ends (for tests that assemble their own app). */
  freshDatabase(t: TestContext): Promise<string>
}

export const STORES: readonly StoreVariant[] = [
  { name: 'sqlite', skip: false, build, freshDatabase: async (t) => tempDbPath(t) },
  {
    name: 'postgres',
    skip: POSTGRES_URL ? false : POSTGRES_SKIP_MESSAGE,
    build: buildOnPostgres,
    freshDatabase: async (t) => (await freshSchema(t)).url,
  },
]

export interface StoreTestOptions {
  timeout?: number
}

const toldOfSkip = new WeakSet<Test>()

/**
 * Adds one subtest of `parent` per store, named `[sqlite] name` and `[postgres] name`. Without a PostgreSQL
 * URL the postgres run is a skip with the standard message, and the file says so once in a comment.
 */
export function forEachStore(
  parent: Test,
  name: string,
  fn: (tt: Test, build: Build, store: StoreVariant) => Promise<void>,
  options: StoreTestOptions = {},
): void {
  if (!POSTGRES_URL && !toldOfSkip.has(parent)) {
    toldOfSkip.add(parent)
    parent.comment(POSTGRES_SKIP_MESSAGE)
  }
  for (const store of STORES) {
    parent.test(`[${store.name}] ${name}`, { ...options, skip: store.skip }, (tt) => fn(tt, store.build, store))
  }
}
