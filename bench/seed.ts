// The scale scenario's database: 10,000 partners and 1,000,000 users written straight into SQLite in one
// transaction, built once into a template under bench/.cache and copied for each run.
import { createHash, randomUUID } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createSqliteStore, SQLITE_MIGRATIONS } from '../src/storage/sqlite/sqlite-store.js'
import { CACHE_DIR } from './tokens.js'

export const SEED_PARTNERS = 10_000
export const SEED_USERS = 1_000_000
const SEED_VERSION = 1
/** Replaced with the run's local JWKS URL in each copy: the template is port-independent. */
const PLACEHOLDER_JWKS_URL = 'http://127.0.0.1:9/jwks/seeded.json'

function templatePath(staticKeyPem: string): string {
  const journal = readFileSync(join(SQLITE_MIGRATIONS, 'meta/_journal.json'))
  const hash = createHash('sha256').update(journal).update(staticKeyPem).update(String(SEED_VERSION)).digest('hex').slice(0, 12)
  return join(CACHE_DIR, `scale-${hash}.db`)
}

async function buildTemplate(path: string, staticKeyPem: string): Promise<void> {
  const building = `${path}.building`
  for (const suffix of ['', '-wal', '-shm']) rmSync(building + suffix, { force: true })
  // The real migrations, applied by the real store, so the tables are exactly Gatehouse's.
  const store = createSqliteStore(building)
  await store.close()
  const db = new Database(building)
  db.pragma('journal_mode = WAL')
  const now = Date.now()
  const insertPartner = db.prepare(
    `insert into partners (id, name, jwt_issuer, jwks_url, jwt_public_key, jwt_audience, max_token_lifetime_seconds, status, version, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, 3600, 'active', 1, ?, ?)`,
  )
  const insertUser = db.prepare(
    `insert into users (id, partner_id, external_user_id, email, display_name, phone, country_code, locale, provisioned_by, created_at, updated_at)
     values (?, ?, ?, ?, ?, null, 'GB', 'en-GB', 'api', ?, ?)`,
  )
  const perPartner = SEED_USERS / SEED_PARTNERS
  db.transaction(() => {
    for (let p = 0; p < SEED_PARTNERS; p++) {
      const id = `seed-${String(p).padStart(5, '0')}`
      // Half static-key partners (a PEM each, imported at start-up), half JWKS partners.
      const jwks = p % 2 === 1
      insertPartner.run(id, `Seeded partner ${p}`, `https://${id}.partners.example`, jwks ? PLACEHOLDER_JWKS_URL : null, jwks ? null : staticKeyPem, p % 3 === 0 ? 'gatehouse' : null, now, now)
      for (let u = 0; u < perPartner; u++) {
        const ext = `ext-${String(p * perPartner + u).padStart(7, '0')}`
        insertUser.run(randomUUID(), id, ext, `${ext}@seed.example`, `Seeded user ${ext}`, now, now)
      }
    }
    db.prepare(`insert into revisions (name, value) values ('partners', 1) on conflict(name) do update set value = value + 1`).run()
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  rmSync(`${building}-wal`, { force: true })
  rmSync(`${building}-shm`, { force: true })
  renameSync(building, path)
}

/** Copies the seeded template to `target` (building it first if needed) with the JWKS partners pointed at `jwksUrl`. */
export async function seedScaleDatabase(target: string, staticKeyPem: string, jwksUrl: string): Promise<{ built: boolean }> {
  const template = templatePath(staticKeyPem)
  const built = !existsSync(template)
  if (built) await buildTemplate(template, staticKeyPem)
  copyFileSync(template, target)
  const db = new Database(target)
  db.prepare('update partners set jwks_url = ? where jwks_url is not null').run(jwksUrl)
  db.close()
  return { built }
}

/** Writes `count` users of `partnerId` (externalUserId `subOf(i)`) straight into a stopped server's database, in one transaction. */
export function seedUsers(path: string, partnerId: string, subOf: (i: number) => string, count: number): void {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  const insert = db.prepare(
    `insert or ignore into users (id, partner_id, external_user_id, email, display_name, phone, country_code, locale, provisioned_by, created_at, updated_at)
     values (?, ?, ?, null, null, null, null, null, 'api', ?, ?)`,
  )
  const now = Date.now()
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(randomUUID(), partnerId, subOf(i), now, now)
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}
