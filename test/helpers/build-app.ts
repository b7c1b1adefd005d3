// Builds a real app on a fresh SQLite file (real migrations) and closes both when the test ends.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'

export interface TestContext {
  teardown(fn: () => unknown): void
}

export interface Built {
  app: FastifyInstance
  store: Store
  /** Fake clock in ms; tests move it with `clock.now += …`. */
  clock: { now: number }
  /** The DATABASE_URL the app runs on: a SQLite file path, or a PostgreSQL URL naming the test's schema. */
  dbPath: string
}

export interface BuildOptions {
  env?: Record<string, string>
  /** Use the real clock instead of the fake one. */
  realClock?: boolean
}

export function tempDbPath(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'gatehouse.db')
}

/** A fresh SQLite file (real migrations) per test. */
export async function build(t: TestContext, options: BuildOptions = {}): Promise<Built> {
  return buildOnDatabase(t, tempDbPath(t), options)
}

/**
 * The app on `databaseUrl` (a SQLite path or a PostgreSQL URL), with the fake clock unless `realClock`; app and
 * store closed when the test ends. Both stores' builders go through here, so `Built` means the same on each.
 */
export async function buildOnDatabase(t: TestContext, databaseUrl: string, options: BuildOptions = {}): Promise<Built> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    JWKS_ALLOW_PRIVATE_NETWORK: 'true',
    LOG_LEVEL: 'silent',
    ...options.env,
  })
  const store = await openStore(config.database)
  // Whole seconds, so token times minted from it compare exactly.
  const clock = { now: Math.floor(Date.now() / 1000) * 1000 }
  const app = await buildApp({ config, store, now: options.realClock ? Date.now : () => clock.now, logger: false })
  t.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { app, store, clock, dbPath: databaseUrl }
}

export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
