// /readyz answers 503 when a migration is missing from the database, on each store.
import Database from 'better-sqlite3'
import pg from 'pg'
import t, { type Test } from 'tap'
import type { Built } from '../helpers/build-app.js'
import { assertProblem } from '../helpers/problem.js'
import { forEachStore } from '../helpers/stores.js'

/** The newest applied migration: drizzle records each with its folder timestamp in `created_at`. */
const DELETE_LAST_MIGRATION = 'delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)'

async function assertNotReadyWithoutLastMigration(tt: Test, { app }: Built, deleteLastMigration: () => Promise<void>) {
  tt.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready with every migration applied')
  await deleteLastMigration()
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  const body = assertProblem(tt, res, 503, 'internal', 'the last migration missing')
  tt.notMatch(JSON.stringify(body), /drizzle|migrations pending|select /i, 'the body names no table or query')
  tt.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the process is still up')
}

/** Deletes the newest migration row through a connection of the store's own kind, on the app's own database. */
const deleteLastMigration = {
  sqlite: async (tt: Test, built: Built) => {
    const db = new Database(built.dbPath)
    try {
      tt.equal(db.prepare(DELETE_LAST_MIGRATION).run().changes, 1, 'one migration row deleted')
    } finally {
      db.close()
    }
  },
  postgres: async (tt: Test, built: Built) => {
    // The instance's own DATABASE_URL: its search_path names the fresh schema the migrations went into.
    const client = new pg.Client({ connectionString: built.dbPath })
    await client.connect()
    try {
      tt.equal((await client.query(DELETE_LAST_MIGRATION)).rowCount, 1, 'one migration row deleted')
    } finally {
      await client.end()
    }
  },
}

forEachStore(t, 'readyz is 503 when the last migration is not recorded as applied', async (tt, build, store) => {
  const built = await build(tt)
  await assertNotReadyWithoutLastMigration(tt, built, () => deleteLastMigration[store.name](tt, built))
})
