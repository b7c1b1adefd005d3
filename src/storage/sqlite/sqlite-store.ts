// The embedded SQLite store (better-sqlite3 through drizzle): one process, WAL journal, durable on kill -9.
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { and, count, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { countMigrations } from '../migration-count.js'
import { type RecordRepository, type TableRows, createRecordStores, refusing } from '../record-stores.js'
import type { Store, StoreOptions } from '../types.js'
import type { Change } from '../write-plans.js'
import * as schema from './schema.js'
import { isForeignKeyViolation, refusalOf } from './sqlite-errors.js'
import { createSqliteUserStore } from './sqlite-user-store.js'

export const SQLITE_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations/sqlite')

type Db = BetterSQLite3Database<typeof schema>

const TABLES = { partners: schema.partners, apiKeys: schema.partnerApiKeys, adminTokens: schema.adminTokens }
/** Any of TABLES: the write primitive addresses them all by their text `id` primary key. */
type WritableTable = (typeof TABLES)[keyof TableRows]

function applyChange(tx: Db, table: WritableTable, id: string, change: Change<TableRows[keyof TableRows]>): void {
  if (change.kind === 'insert') tx.insert(table).values(change.row).run()
  else if (change.kind === 'update') tx.update(table).set(change.set).where(eq(table.id, id)).run()
  else tx.delete(table).where(eq(table.id, id)).run()
}

function bumpPartnersRevision(tx: Db): void {
  const { revisions } = schema
  tx.insert(revisions)
    .values({ name: 'partners', value: 1 })
    .onConflictDoUpdate({ target: revisions.name, set: { value: sql`${revisions.value} + 1` } })
    .run()
}

/**
 * SQLite's reads and its write primitive. better-sqlite3 is synchronous, so a write's read, plan and statements run
 * as one transaction function with nothing interleaved. `onPartnerDeleted` hears of the users a delete cascaded to.
 */
function createSqliteRepository(db: Db, onPartnerDeleted: () => void): RecordRepository {
  const { partners: p, partnerApiKeys: k, adminTokens: a, auditLog: log, refusals: r, revisions } = schema
  const partnerById = db.select().from(p).where(eq(p.id, sql.placeholder('id'))).prepare()
  const activeKey = db
    .select({ id: k.id, partnerId: k.partnerId })
    .from(k)
    .where(and(eq(k.keyHash, sql.placeholder('hash')), isNull(k.revokedAt)))
    .prepare()
  const activeToken = db
    .select({ id: a.id })
    .from(a)
    .where(and(eq(a.tokenHash, sql.placeholder('hash')), isNull(a.revokedAt)))
    .prepare()
  return {
    partners: {
      // SQLite compares text byte by byte (BINARY collation): ids sort in byte order with no help.
      list: async () => db.select().from(p).orderBy(p.id).all(),
      get: async (id) => partnerById.get({ id }) ?? null,
      revision: async () => db.select().from(revisions).where(eq(revisions.name, 'partners')).get()?.value ?? 0,
    },
    apiKeys: {
      list: async (partnerId) => db.select().from(k).where(eq(k.partnerId, partnerId)).orderBy(k.createdAt, k.id).all(),
      findActive: async (hash) => activeKey.get({ hash }) ?? null,
    },
    adminTokens: {
      countActive: async () => db.select({ n: count() }).from(a).where(isNull(a.revokedAt)).get()!.n,
      list: async () => db.select().from(a).orderBy(a.createdAt, a.id).all(),
      findActive: async (hash) => activeToken.get({ hash }) ?? null,
    },
    audit: {
      async list({ partnerId, limit, before }) {
        const rows = db
          .select()
          .from(log)
          .where(and(partnerId === undefined ? undefined : eq(log.partnerId, partnerId), before === undefined ? undefined : lt(log.id, before)))
          .orderBy(desc(log.id))
          .limit(limit)
          .all()
        return rows.map((row) => ({ ...row, changedFields: JSON.parse(row.changedFields) as string[] }))
      },
    },
    refusals: {
      async append(row, keep) {
        const transaction = () =>
          db.transaction((tx) => {
            tx.insert(r).values(row).run()
            // The oldest id to keep is the keep-th newest; everything before it goes (the index serves both reads).
            const oldestKept = tx.select({ id: r.id }).from(r).where(eq(r.partnerId, row.partnerId)).orderBy(desc(r.id)).limit(1).offset(keep - 1).get()
            if (oldestKept) tx.delete(r).where(and(eq(r.partnerId, row.partnerId), lt(r.id, oldestKept.id))).run()
          })
        return refusing(transaction, (err) => (isForeignKeyViolation(err) ? { missing: 'partner' } : null))
      },
      // Newest by the time of the refusal, as on PostgreSQL (where appends may commit out of that order).
      list: async (partnerId, limit) => db.select().from(r).where(eq(r.partnerId, partnerId)).orderBy(desc(r.at), desc(r.id)).limit(limit).all(),
    },
    async write(target, plan) {
      const table: WritableTable = TABLES[target.table]
      const transaction = () =>
        db.transaction((tx) => {
          const current = tx.select().from(table).where(eq(table.id, target.id)).get()
          // TABLES[target.table] holds TableRows[target.table]; TypeScript cannot follow a key through two maps.
          const { outcome, write } = plan((current ?? null) as TableRows[typeof target.table] | null)
          if (!write) return outcome
          applyChange(tx, table, target.id, write.change)
          tx.insert(log).values({ ...write.audit, changedFields: JSON.stringify(write.audit.changedFields) }).run()
          if (write.movesRevision) bumpPartnersRevision(tx)
          if (write.change.kind === 'delete' && target.table === 'partners') onPartnerDeleted()
          return outcome
        })
      return refusing(transaction, (err) => refusalOf(err, target.table))
    },
  }
}

const CONSOLE_SECRET = 'session'

function createSqliteConsoleSecrets(db: Db, now: () => number): Store['consoleSecrets'] {
  const { consoleSecrets: c } = schema
  const read = () => db.select({ secret: c.secret }).from(c).where(eq(c.name, CONSOLE_SECRET)).get()?.secret ?? null
  return {
    async ensure(candidate) {
      db.insert(c).values({ name: CONSOLE_SECRET, secret: candidate, createdAt: now() }).onConflictDoNothing().run()
      return read()!
    },
    get: async () => read(),
    async replace(secret) {
      db.insert(c)
        .values({ name: CONSOLE_SECRET, secret, createdAt: now() })
        .onConflictDoUpdate({ target: c.name, set: { secret, createdAt: now() } })
        .run()
    },
  }
}

/** Opens (creating if needed) the SQLite file, applies migrations, and returns the store. */
export function createSqliteStore(path: string, { now = Date.now }: StoreOptions = {}): Store {
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
  const users = createSqliteUserStore(db, sqlite, now)
  return {
    kind: 'sqlite',
    ...createRecordStores(createSqliteRepository(db, () => users.forgetAll()), now),
    users,
    consoleSecrets: createSqliteConsoleSecrets(db, now),
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
      users.close()
      if (sqlite.open) sqlite.close()
    },
  }
}
