// The shared PostgreSQL store (node-postgres through drizzle): several instances, one database, same contract as SQLite.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AnyColumn, and, count, desc, eq, isNull, lt, sql } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { countMigrations } from '../migration-count.js'
import { type RecordRepository, type TableRows, createRecordStores, refusing } from '../record-stores.js'
import type { Store, StoreOptions } from '../types.js'
import type { Change } from '../write-plans.js'
import { isForeignKeyViolation, refusalOf } from './postgres-errors.js'
import { createPostgresUserStore } from './postgres-user-store.js'
import * as schema from './schema.js'
import { UserCache } from './user-cache.js'
import { type UserChangeListener, startUserChangeListener } from './user-change-listener.js'

export const POSTGRES_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations/postgres')

/** Connections per instance: requests are short single statements, so a few serve many; N instances use N × this. */
const POOL_SIZE = 10
/** First key of the migration advisory lock ("gate"); the second is the schema's hash, so schemas migrate independently. */
const MIGRATION_LOCK_CLASS = 0x67617465
const MIGRATIONS_TABLE = '__drizzle_migrations'

type Db = NodePgDatabase<typeof schema>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

const TABLES = { partners: schema.partners, apiKeys: schema.partnerApiKeys, adminTokens: schema.adminTokens }
/** Any of TABLES: the write primitive addresses them all by their text `id` primary key. */
type WritableTable = (typeof TABLES)[keyof TableRows]

/** Sorts text by its bytes, as SQLite does, whatever collation the database was created with. */
const inByteOrder = (column: AnyColumn) => sql`${column} collate "C"`

async function applyChange(tx: Tx, table: WritableTable, id: string, change: Change<TableRows[keyof TableRows]>): Promise<void> {
  if (change.kind === 'insert') await tx.insert(table).values(change.row)
  else if (change.kind === 'update') await tx.update(table).set(change.set).where(eq(table.id, id))
  else await tx.delete(table).where(eq(table.id, id))
}

/** Row-locks the counter until commit, so partner writes are serialised and every committed one moves it. */
async function bumpPartnersRevision(tx: Tx): Promise<void> {
  const { revisions } = schema
  await tx
    .insert(revisions)
    .values({ name: 'partners', value: 1 })
    .onConflictDoUpdate({ target: revisions.name, set: { value: sql`${revisions}.${sql.identifier('value')} + 1` } })
}

/** PostgreSQL's reads (prepared where they serve every request) and its write primitive. */
function createPostgresRepository(db: Db): RecordRepository {
  const { partners: p, partnerApiKeys: k, adminTokens: a, auditLog: log, refusals: r, revisions } = schema
  const partnerById = db.select().from(p).where(eq(p.id, sql.placeholder('id'))).prepare('partner_by_id')
  const revision = db.select({ value: revisions.value }).from(revisions).where(eq(revisions.name, 'partners')).prepare('partners_revision')
  const activeKey = db
    .select({ id: k.id, partnerId: k.partnerId })
    .from(k)
    .where(and(eq(k.keyHash, sql.placeholder('hash')), isNull(k.revokedAt)))
    .prepare('api_key_active_by_hash')
  const activeToken = db
    .select({ id: a.id })
    .from(a)
    .where(and(eq(a.tokenHash, sql.placeholder('hash')), isNull(a.revokedAt)))
    .prepare('admin_token_active_by_hash')
  return {
    partners: {
      list: async () => db.select().from(p).orderBy(inByteOrder(p.id)),
      get: async (id) => (await partnerById.execute({ id }))[0] ?? null,
      revision: async () => (await revision.execute())[0]?.value ?? 0,
    },
    apiKeys: {
      list: async (partnerId) => db.select().from(k).where(eq(k.partnerId, partnerId)).orderBy(k.createdAt, inByteOrder(k.id)),
      findActive: async (hash) => (await activeKey.execute({ hash }))[0] ?? null,
    },
    adminTokens: {
      countActive: async () => (await db.select({ n: count() }).from(a).where(isNull(a.revokedAt)))[0]!.n,
      list: async () => db.select().from(a).orderBy(a.createdAt, inByteOrder(a.id)),
      findActive: async (hash) => (await activeToken.execute({ hash }))[0] ?? null,
    },
    audit: {
      list: async ({ partnerId, limit, before }) =>
        db
          .select()
          .from(log)
          .where(and(partnerId === undefined ? undefined : eq(log.partnerId, partnerId), before === undefined ? undefined : lt(log.id, before)))
          .orderBy(desc(log.id))
          .limit(limit),
    },
    refusals: {
      async append(row, keep) {
        const transaction = () =>
          db.transaction(async (tx) => {
            await tx.insert(r).values(row)
            // The oldest id to keep is the keep-th newest; everything before it goes (the index serves both reads).
            // Concurrent appends may each keep a few more for a moment; the next append prunes them.
            const [oldestKept] = await tx.select({ id: r.id }).from(r).where(eq(r.partnerId, row.partnerId)).orderBy(desc(r.id)).limit(1).offset(keep - 1)
            if (oldestKept) await tx.delete(r).where(and(eq(r.partnerId, row.partnerId), lt(r.id, oldestKept.id)))
          })
        return refusing(transaction, (err) => (isForeignKeyViolation(err) ? { missing: 'partner' } : null))
      },
      // Newest by the time of the refusal: appends from a pool (or from several instances) may commit out of that order.
      list: async (partnerId, limit) => db.select().from(r).where(eq(r.partnerId, partnerId)).orderBy(desc(r.at), desc(r.id)).limit(limit),
    },
    async write(target, plan) {
      const table: WritableTable = TABLES[target.table]
      const transaction = () =>
        db.transaction(async (tx) => {
          // NO KEY UPDATE unless deleting: the id stays, so user and API-key inserts (KEY SHARE through their
          // foreign key) need not wait for a partner edit.
          const [current] = await tx.select().from(table).where(eq(table.id, target.id)).for(target.mayDelete ? 'update' : 'no key update')
          // TABLES[target.table] holds TableRows[target.table]; TypeScript cannot follow a key through two maps.
          const { outcome, write } = plan((current ?? null) as TableRows[typeof target.table] | null)
          if (!write) return outcome
          await applyChange(tx, table, target.id, write.change)
          await tx.insert(log).values(write.audit)
          if (write.movesRevision) await bumpPartnersRevision(tx)
          return outcome
        })
      return refusing(transaction, (err) => refusalOf(err, target.table))
    },
  }
}

/**
 * Applies pending migrations while holding a session advisory lock, so instances starting together
 * migrate once: the others wait, then find nothing to do. The lock goes with the session if the
 * process dies. Migrations and their bookkeeping table live in the connection's current schema
 * (the first existing one on its search_path), so one database can hold several Gatehouse schemas.
 */
async function migrateUnderLock(pool: pg.Pool): Promise<string> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    const { rows } = await client.query<{ schema: string | null }>('select current_schema() as schema')
    const current = rows[0]?.schema
    if (!current) throw new Error('DATABASE_URL: no schema on the search_path exists; create it first')
    await client.query('select pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, current])
    try {
      await migrate(drizzle({ client }), {
        migrationsFolder: POSTGRES_MIGRATIONS,
        migrationsSchema: current,
        migrationsTable: MIGRATIONS_TABLE,
      })
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, current])
    }
    return current
  } catch (err) {
    // Destroy rather than reuse a connection in an unknown state (this also frees the lock).
    broken = err as Error
    throw err
  } finally {
    client.release(broken)
  }
}

const CONSOLE_SECRET = 'session'

/** Insert if absent, then read: instances starting together all read the one row the first insert wrote. */
function createPostgresConsoleSecrets(db: Db, now: () => number): Store['consoleSecrets'] {
  const { consoleSecrets: c } = schema
  const read = async () => (await db.select({ secret: c.secret }).from(c).where(eq(c.name, CONSOLE_SECRET)))[0]?.secret ?? null
  return {
    async ensure(candidate) {
      await db.insert(c).values({ name: CONSOLE_SECRET, secret: candidate, createdAt: now() }).onConflictDoNothing()
      return (await read())!
    },
    get: read,
    async replace(secret) {
      await db
        .insert(c)
        .values({ name: CONSOLE_SECRET, secret, createdAt: now() })
        .onConflictDoUpdate({ target: c.name, set: { secret, createdAt: now() } })
    },
  }
}

/** Connects to PostgreSQL, applies migrations under an advisory lock, and returns the store. */
export async function createPostgresStore(url: string, { now = Date.now }: StoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE, connectionTimeoutMillis: 10_000, keepAlive: true, application_name: 'gatehouse' })
  // An idle connection dropped by the server (restart, failover, proxy timeout) is discarded by the
  // pool and replaced on the next query; without a listener its 'error' event would end the process.
  pool.on('error', () => {})
  let migrationsSchema: string
  try {
    migrationsSchema = await migrateUnderLock(pool)
  } catch (err) {
    await pool.end()
    throw err
  }
  const db = drizzle({ client: pool, schema })
  const expectedMigrations = countMigrations(POSTGRES_MIGRATIONS)
  let closed = false
  const userCache = new UserCache()
  let listener: UserChangeListener | undefined
  const listen = () => {
    if (!listener && !closed) listener = startUserChangeListener({ connectionString: url, schema: migrationsSchema, pool, cache: userCache })
  }
  return {
    kind: 'postgres',
    ...createRecordStores(createPostgresRepository(db), now),
    users: createPostgresUserStore(db, now, { cache: userCache, listen }),
    consoleSecrets: createPostgresConsoleSecrets(db, now),
    async checkReady() {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from ${pg.escapeIdentifier(migrationsSchema)}.${pg.escapeIdentifier(MIGRATIONS_TABLE)}`,
      )
      if (rows[0]!.n < expectedMigrations) throw new Error('migrations pending')
    },
    async close() {
      if (closed) return
      closed = true
      await listener?.close()
      await pool.end()
    },
  }
}
