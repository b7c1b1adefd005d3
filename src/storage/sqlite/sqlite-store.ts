// The embedded SQLite store (better-sqlite3 through drizzle): one process, WAL journal, durable on kill -9.
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { AppError } from '../../errors.js'
import { changedPartnerFields } from '../changed-fields.js'
import { toIso, toIsoOrNull } from '../time.js'
import type {
  Actor,
  AdminTokenStore,
  ApiKeyStore,
  AuditStore,
  PartnerFields,
  PartnerRecord,
  PartnerStore,
  Store,
} from '../types.js'
import * as schema from './schema.js'
import { isForeignKeyViolation, isUniqueViolation } from './sqlite-errors.js'
import { createSqliteUserStore } from './sqlite-user-store.js'

export const SQLITE_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations/sqlite')

type Db = BetterSQLite3Database<typeof schema>
type PartnerRow = typeof schema.partners.$inferSelect

const partnerFromRow = (r: PartnerRow): PartnerRecord => ({
  ...r,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
})

function audit(db: Db, actor: Actor, action: string, partnerId: string | null, changedFields: string[] = []): void {
  db.insert(schema.auditLog)
    .values({ at: Date.now(), actor, action, partnerId, changedFields: JSON.stringify(changedFields) })
    .run()
}

function bumpPartnersRevision(db: Db): void {
  db.insert(schema.revisions)
    .values({ name: 'partners', value: 1 })
    .onConflictDoUpdate({ target: schema.revisions.name, set: { value: sql`${schema.revisions.value} + 1` } })
    .run()
}

function createPartnerStore(db: Db, onUsersCascaded: () => void): PartnerStore {
  const byId = db.select().from(schema.partners).where(eq(schema.partners.id, sql.placeholder('id'))).prepare()
  return {
    async list() {
      return db.select().from(schema.partners).orderBy(schema.partners.id).all().map(partnerFromRow)
    },
    async get(id) {
      const row = byId.get({ id })
      return row ? partnerFromRow(row) : null
    },
    async create(id, fields, actor) {
      const now = Date.now()
      try {
        return db.transaction((tx) => {
          const row = tx
            .insert(schema.partners)
            .values({ id, ...fields, version: 1, createdAt: now, updatedAt: now })
            .returning()
            .get()
          audit(tx, actor, 'partner.create', id, Object.keys(fields))
          bumpPartnersRevision(tx)
          return partnerFromRow(row)
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw partnerConflict(err)
        throw err
      }
    },
    async update(id, changes, { expectedVersion, actor }) {
      try {
        return db.transaction((tx) => {
          const row = tx.select().from(schema.partners).where(eq(schema.partners.id, id)).get()
          if (!row) return { ok: false, reason: 'not_found' } as const
          if (expectedVersion !== undefined && row.version !== expectedVersion) {
            return { ok: false, reason: 'version_mismatch' } as const
          }
          const current = partnerFromRow(row)
          const changed = changedPartnerFields(current, changes)
          if (changed.length === 0) return { ok: true, record: current } as const
          const set: Partial<PartnerFields> = {}
          for (const k of changed) Object.assign(set, { [k]: changes[k] })
          const updated = tx
            .update(schema.partners)
            .set({ ...set, version: row.version + 1, updatedAt: Date.now() })
            .where(eq(schema.partners.id, id))
            .returning()
            .get()
          audit(tx, actor, 'partner.update', id, changed)
          bumpPartnersRevision(tx)
          return { ok: true, record: partnerFromRow(updated) } as const
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw partnerConflict(err)
        throw err
      }
    },
    async delete(id, { expectedVersion, actor }) {
      return db.transaction((tx) => {
        const row = tx.select().from(schema.partners).where(eq(schema.partners.id, id)).get()
        if (!row) return { ok: false, reason: 'not_found' } as const
        if (expectedVersion !== undefined && row.version !== expectedVersion) {
          return { ok: false, reason: 'version_mismatch' } as const
        }
        if (row.status !== 'disabled') return { ok: false, reason: 'not_disabled' } as const
        // Users and API keys go with it through ON DELETE CASCADE.
        tx.delete(schema.partners).where(eq(schema.partners.id, id)).run()
        audit(tx, actor, 'partner.delete', id)
        bumpPartnersRevision(tx)
        onUsersCascaded()
        return { ok: true } as const
      })
    },
    async revision() {
      const row = db.select().from(schema.revisions).where(eq(schema.revisions.name, 'partners')).get()
      return row?.value ?? 0
    },
  }
}

function partnerConflict(err: unknown): AppError {
  const message = String((err as Error).message)
  const field = message.includes('jwt_issuer') ? 'jwtIssuer' : 'id'
  return new AppError('conflict', `A partner with this ${field} already exists`, {
    errors: [{ path: `/${field}`, message: 'already taken' }],
  })
}

function createApiKeyStore(db: Db): ApiKeyStore {
  const t = schema.partnerApiKeys
  const active = db
    .select({ id: t.id, partnerId: t.partnerId })
    .from(t)
    .where(and(eq(t.keyHash, sql.placeholder('hash')), isNull(t.revokedAt)))
    .prepare()
  const view = { id: t.id, partnerId: t.partnerId, prefix: t.prefix, createdAt: t.createdAt, revokedAt: t.revokedAt }
  const toRecord = (r: { id: string; partnerId: string; prefix: string; createdAt: number; revokedAt: number | null }) => ({
    ...r,
    createdAt: toIso(r.createdAt),
    revokedAt: toIsoOrNull(r.revokedAt),
  })
  return {
    async create(key, actor) {
      try {
        return db.transaction((tx) => {
          const row = tx
            .insert(t)
            .values({ id: key.id, partnerId: key.partnerId, prefix: key.prefix, keyHash: key.hash, createdAt: Date.now() })
            .returning(view)
            .get()
          audit(tx, actor, 'api_key.create', key.partnerId, ['apiKey'])
          return toRecord(row)
        })
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new AppError('not_found', `no partner ${key.partnerId}`)
        throw err
      }
    },
    async list(partnerId) {
      return db.select(view).from(t).where(eq(t.partnerId, partnerId)).orderBy(t.createdAt).all().map(toRecord)
    },
    async revoke(partnerId, keyId, actor) {
      return db.transaction((tx) => {
        const res = tx
          .update(t)
          .set({ revokedAt: Date.now() })
          .where(and(eq(t.id, keyId), eq(t.partnerId, partnerId), isNull(t.revokedAt)))
          .run()
        if (res.changes === 0) return false
        audit(tx, actor, 'api_key.revoke', partnerId, ['apiKey'])
        return true
      })
    },
    async findActive(hash) {
      return active.get({ hash }) ?? null
    },
  }
}

function createAdminTokenStore(db: Db): AdminTokenStore {
  const t = schema.adminTokens
  const active = db
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.tokenHash, sql.placeholder('hash')), isNull(t.revokedAt)))
    .prepare()
  const view = { id: t.id, prefix: t.prefix, label: t.label, createdAt: t.createdAt, revokedAt: t.revokedAt }
  const toRecord = (r: { id: string; prefix: string; label: string | null; createdAt: number; revokedAt: number | null }) => ({
    ...r,
    createdAt: toIso(r.createdAt),
    revokedAt: toIsoOrNull(r.revokedAt),
  })
  return {
    async countActive() {
      return db.select({ n: sql<number>`count(*)` }).from(t).where(isNull(t.revokedAt)).get()!.n
    },
    async create(token, actor) {
      return db.transaction((tx) => {
        const row = tx
          .insert(t)
          .values({ id: token.id, prefix: token.prefix, tokenHash: token.hash, label: token.label, createdAt: Date.now() })
          .returning(view)
          .get()
        audit(tx, actor, 'admin_token.create', null, ['adminToken'])
        return toRecord(row)
      })
    },
    async list() {
      return db.select(view).from(t).orderBy(t.createdAt).all().map(toRecord)
    },
    async revoke(id, actor) {
      return db.transaction((tx) => {
        const res = tx.update(t).set({ revokedAt: Date.now() }).where(and(eq(t.id, id), isNull(t.revokedAt))).run()
        if (res.changes === 0) return false
        audit(tx, actor, 'admin_token.revoke', null, ['adminToken'])
        return true
      })
    },
    async findActive(hash) {
      return active.get({ hash }) ?? null
    },
  }
}

function createAuditStore(db: Db): AuditStore {
  const t = schema.auditLog
  return {
    async list({ partnerId, limit, before }) {
      const conditions = [
        partnerId === undefined ? undefined : eq(t.partnerId, partnerId),
        before === undefined ? undefined : lt(t.id, before),
      ]
      return db
        .select()
        .from(t)
        .where(and(...conditions))
        .orderBy(desc(t.id))
        .limit(limit)
        .all()
        .map((r) => ({ ...r, at: toIso(r.at), changedFields: JSON.parse(r.changedFields) as string[] }))
    },
  }
}

/** Opens (creating if needed) the SQLite file, applies migrations, and returns the store. */
export function createSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  // WAL + synchronous=NORMAL: a commit is in the OS before the 2xx goes out, so it survives kill -9
  // of the process (not a power cut — that would need FULL and an fsync per write).
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: SQLITE_MIGRATIONS })
  const users = createSqliteUserStore(db, sqlite)
  return {
    kind: 'sqlite',
    partners: createPartnerStore(db, () => users.forgetAll()),
    apiKeys: createApiKeyStore(db),
    adminTokens: createAdminTokenStore(db),
    users,
    audit: createAuditStore(db),
    async checkReady() {
      sqlite.prepare('select 1').get()
      const applied = sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }
      if (applied.n < countMigrations(SQLITE_MIGRATIONS)) throw new Error('migrations pending')
    },
    async backup(file) {
      // SQLite's online backup API: a consistent snapshot even while the server writes (WAL).
      mkdirSync(dirname(file), { recursive: true })
      await sqlite.backup(file)
    },
    async close() {
      if (sqlite.open) sqlite.close()
    },
  }
}


function countMigrations(folder: string): number {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
  return journal.entries.length
}
