// The shared PostgreSQL store (node-postgres through drizzle): several instances, one database, same contract as SQLite.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { and, count, desc, eq, getTableColumns, isNull, lt, sql } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { AppError } from '../../errors.js'
import { changedPartnerFields } from '../changed-fields.js'
import { toIso, toIsoOrNull } from '../time.js'
import { partnerGoneAsOutcome } from '../user-write-outcome.js'
import type {
  Actor,
  AdminTokenStore,
  ApiKeyStore,
  AuditStore,
  PartnerFields,
  PartnerRecord,
  PartnerStore,
  Store,
  UserProfile,
  UserRecord,
  UserStore,
  UserWriteOutcome,
} from '../types.js'
import * as schema from './schema.js'

export const POSTGRES_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '../../../migrations/postgres')

/** Connections per instance: requests are short single statements, so a few serve many; N instances use N × this. */
const POOL_SIZE = 10
/** First key of the migration advisory lock ("gate"); the second is the schema's hash, so schemas migrate independently. */
const MIGRATION_LOCK_CLASS = 0x67617465
const MIGRATIONS_TABLE = '__drizzle_migrations'

type Db = NodePgDatabase<typeof schema>
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
type PartnerRow = typeof schema.partners.$inferSelect
type UserRow = typeof schema.users.$inferSelect

const partnerFromRow = (r: PartnerRow): PartnerRecord => ({
  ...r,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
})

const userFromRow = (r: UserRow): UserRecord => ({
  ...r,
  createdAt: toIso(r.createdAt),
  updatedAt: toIso(r.updatedAt),
})

async function audit(tx: Tx, actor: Actor, action: string, partnerId: string | null, changedFields: string[] = []): Promise<void> {
  await tx.insert(schema.auditLog).values({ at: Date.now(), actor, action, partnerId, changedFields })
}

/** Row-locks the counter until commit, so partner writes are serialised and every committed one moves it. */
async function bumpPartnersRevision(tx: Tx): Promise<void> {
  await tx
    .insert(schema.revisions)
    .values({ name: 'partners', value: 1 })
    .onConflictDoUpdate({ target: schema.revisions.name, set: { value: sql`${schema.revisions}.${sql.identifier('value')} + 1` } })
}

/** The PostgreSQL error behind a drizzle error (drizzle wraps driver errors in `cause`). */
function pgErrorOf(err: unknown): { code?: string; constraint?: string } | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e as { code: string; constraint?: string }
  }
  return undefined
}

const isUniqueViolation = (err: unknown): boolean => pgErrorOf(err)?.code === '23505'
/** A row naming a partner that no longer exists (users and API keys reference partners). */
const isForeignKeyViolation = (err: unknown): boolean => pgErrorOf(err)?.code === '23503'

function partnerConflict(err: unknown): AppError {
  const field = pgErrorOf(err)?.constraint === 'partners_jwt_issuer_unique' ? 'jwtIssuer' : 'id'
  return new AppError('conflict', `A partner with this ${field} already exists`, {
    errors: [{ path: `/${field}`, message: 'already taken' }],
  })
}

function createPartnerStore(db: Db): PartnerStore {
  const t = schema.partners
  const byId = db.select().from(t).where(eq(t.id, sql.placeholder('id'))).prepare('partner_by_id')
  const revision = db
    .select({ value: schema.revisions.value })
    .from(schema.revisions)
    .where(eq(schema.revisions.name, 'partners'))
    .prepare('partners_revision')
  return {
    async list() {
      // Byte order, as SQLite sorts, whatever collation the database was created with.
      return (await db.select().from(t).orderBy(sql`${t.id} collate "C"`)).map(partnerFromRow)
    },
    async get(id) {
      const [row] = await byId.execute({ id })
      return row ? partnerFromRow(row) : null
    },
    async create(id, fields, actor) {
      const now = Date.now()
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(t)
            .values({ id, ...fields, version: 1, createdAt: now, updatedAt: now })
            .returning()
          await audit(tx, actor, 'partner.create', id, Object.keys(fields))
          await bumpPartnersRevision(tx)
          return partnerFromRow(row!)
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw partnerConflict(err)
        throw err
      }
    },
    async update(id, changes, { expectedVersion, actor }) {
      try {
        return await db.transaction(async (tx) => {
          // NO KEY UPDATE: the id never changes, so user and API-key inserts (KEY SHARE via their
          // foreign key) need not wait for a partner edit.
          const [row] = await tx.select().from(t).where(eq(t.id, id)).for('no key update')
          if (!row) return { ok: false, reason: 'not_found' } as const
          if (expectedVersion !== undefined && row.version !== expectedVersion) {
            return { ok: false, reason: 'version_mismatch' } as const
          }
          const current = partnerFromRow(row)
          const changed = changedPartnerFields(current, changes)
          if (changed.length === 0) return { ok: true, record: current } as const
          const set: Partial<PartnerFields> = {}
          for (const k of changed) Object.assign(set, { [k]: changes[k] })
          const [updated] = await tx
            .update(t)
            .set({ ...set, version: row.version + 1, updatedAt: Date.now() })
            .where(eq(t.id, id))
            .returning()
          await audit(tx, actor, 'partner.update', id, changed)
          await bumpPartnersRevision(tx)
          return { ok: true, record: partnerFromRow(updated!) } as const
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw partnerConflict(err)
        throw err
      }
    },
    async delete(id, { expectedVersion, actor }) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(t).where(eq(t.id, id)).for('update')
        if (!row) return { ok: false, reason: 'not_found' } as const
        if (expectedVersion !== undefined && row.version !== expectedVersion) {
          return { ok: false, reason: 'version_mismatch' } as const
        }
        if (row.status !== 'disabled') return { ok: false, reason: 'not_disabled' } as const
        // Users and API keys go with it through ON DELETE CASCADE.
        await tx.delete(t).where(eq(t.id, id))
        await audit(tx, actor, 'partner.delete', id)
        await bumpPartnersRevision(tx)
        return { ok: true } as const
      })
    },
    async revision() {
      const [row] = await revision.execute()
      return row?.value ?? 0
    },
  }
}

function createApiKeyStore(db: Db): ApiKeyStore {
  const t = schema.partnerApiKeys
  // Read on every partner API request.
  const active = db
    .select({ id: t.id, partnerId: t.partnerId })
    .from(t)
    .where(and(eq(t.keyHash, sql.placeholder('hash')), isNull(t.revokedAt)))
    .prepare('api_key_active_by_hash')
  const view = { id: t.id, partnerId: t.partnerId, prefix: t.prefix, createdAt: t.createdAt, revokedAt: t.revokedAt }
  const toRecord = (r: { id: string; partnerId: string; prefix: string; createdAt: number; revokedAt: number | null }) => ({
    ...r,
    createdAt: toIso(r.createdAt),
    revokedAt: toIsoOrNull(r.revokedAt),
  })
  return {
    async create(key, actor) {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(t)
            .values({ id: key.id, partnerId: key.partnerId, prefix: key.prefix, keyHash: key.hash, createdAt: Date.now() })
            .returning(view)
          await audit(tx, actor, 'api_key.create', key.partnerId, ['apiKey'])
          return toRecord(row!)
        })
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new AppError('not_found', `no partner ${key.partnerId}`)
        throw err
      }
    },
    async list(partnerId) {
      return (await db.select(view).from(t).where(eq(t.partnerId, partnerId)).orderBy(t.createdAt, t.id)).map(toRecord)
    },
    async revoke(partnerId, keyId, actor) {
      return db.transaction(async (tx) => {
        const revoked = await tx
          .update(t)
          .set({ revokedAt: Date.now() })
          .where(and(eq(t.id, keyId), eq(t.partnerId, partnerId), isNull(t.revokedAt)))
          .returning({ id: t.id })
        if (revoked.length === 0) return false
        await audit(tx, actor, 'api_key.revoke', partnerId, ['apiKey'])
        return true
      })
    },
    async findActive(hash) {
      const [row] = await active.execute({ hash })
      return row ?? null
    },
  }
}

function createAdminTokenStore(db: Db): AdminTokenStore {
  const t = schema.adminTokens
  // Read on every admin request.
  const active = db
    .select({ id: t.id })
    .from(t)
    .where(and(eq(t.tokenHash, sql.placeholder('hash')), isNull(t.revokedAt)))
    .prepare('admin_token_active_by_hash')
  const view = { id: t.id, prefix: t.prefix, label: t.label, createdAt: t.createdAt, revokedAt: t.revokedAt }
  const toRecord = (r: { id: string; prefix: string; label: string | null; createdAt: number; revokedAt: number | null }) => ({
    ...r,
    createdAt: toIso(r.createdAt),
    revokedAt: toIsoOrNull(r.revokedAt),
  })
  return {
    async countActive() {
      const [row] = await db.select({ n: count() }).from(t).where(isNull(t.revokedAt))
      return row!.n
    },
    async create(token, actor) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(t)
          .values({ id: token.id, prefix: token.prefix, tokenHash: token.hash, label: token.label, createdAt: Date.now() })
          .returning(view)
        await audit(tx, actor, 'admin_token.create', null, ['adminToken'])
        return toRecord(row!)
      })
    },
    async list() {
      return (await db.select(view).from(t).orderBy(t.createdAt, t.id)).map(toRecord)
    },
    async revoke(id, actor) {
      return db.transaction(async (tx) => {
        const revoked = await tx
          .update(t)
          .set({ revokedAt: Date.now() })
          .where(and(eq(t.id, id), isNull(t.revokedAt)))
          .returning({ id: t.id })
        if (revoked.length === 0) return false
        await audit(tx, actor, 'admin_token.revoke', null, ['adminToken'])
        return true
      })
    },
    async findActive(hash) {
      const [row] = await active.execute({ hash })
      return row ?? null
    },
  }
}

/** Only the profile keys present in `profile` (absent = unchanged). */
function presentProfile(profile: UserProfile): UserProfile {
  const out: UserProfile = {}
  for (const k of ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const) {
    if (profile[k] !== undefined) out[k] = profile[k]
  }
  return out
}

function createUserStore(db: Db): UserStore {
  const t = schema.users
  const naturalKey = [t.partnerId, t.externalUserId]
  // Read on every /me request (the JIT hot path) and by the partner API.
  const byKey = db
    .select()
    .from(t)
    .where(and(eq(t.partnerId, sql.placeholder('partnerId')), eq(t.externalUserId, sql.placeholder('externalUserId'))))
    .prepare('user_by_key')
  const newRow = (partnerId: string, externalUserId: string, profile: UserProfile, by: 'api' | 'jit') => {
    const now = Date.now()
    return { id: randomUUID(), partnerId, externalUserId, ...profile, provisionedBy: by, createdAt: now, updatedAt: now }
  }

  async function upsert(partnerId: string, externalUserId: string, profile: UserProfile): Promise<UserWriteOutcome> {
    // One statement, so concurrent upserts of one new user cannot both insert, and exactly one reports
    // created: xmax is 0 only on a row version this statement inserted, not on one it updated.
    const present = presentProfile(profile)
    const row = newRow(partnerId, externalUserId, present, 'api')
    const set =
      Object.keys(present).length > 0
        ? { ...present, updatedAt: row.updatedAt }
        : // Nothing to change: a self-assignment still locks and returns the existing row, updatedAt untouched.
          { updatedAt: sql`${t}.${sql.identifier('updated_at')}` }
    const [result] = await db
      .insert(t)
      .values(row)
      .onConflictDoUpdate({ target: naturalKey, set })
      .returning({ ...getTableColumns(t), inserted: sql<boolean>`(xmax = 0)` })
    const { inserted, ...user } = result!
    return { ok: true, user: userFromRow(user), created: inserted }
  }

  async function provision(partnerId: string, externalUserId: string, profile: UserProfile): Promise<UserWriteOutcome> {
    // Never overwrites. A concurrent inserter of the same key makes ON CONFLICT wait for its commit,
    // so the read that follows a DO NOTHING sees the winner's row; the loop only covers a delete in between.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [inserted] = await db
        .insert(t)
        .values(newRow(partnerId, externalUserId, presentProfile(profile), 'jit'))
        .onConflictDoNothing({ target: naturalKey })
        .returning()
      if (inserted) return { ok: true, user: userFromRow(inserted), created: true }
      const [existing] = await byKey.execute({ partnerId, externalUserId })
      if (existing) return { ok: true, user: userFromRow(existing), created: false }
    }
    throw new Error(`user ${partnerId}/${externalUserId} kept being deleted while provisioning`)
  }

  // The foreign key to partners decides, in the database, whether the partner still exists.
  const partnerGone = partnerGoneAsOutcome(isForeignKeyViolation)
  return {
    upsert: (partnerId, externalUserId, profile) => upsert(partnerId, externalUserId, profile).catch(partnerGone),
    provision: (partnerId, externalUserId, profile) => provision(partnerId, externalUserId, profile).catch(partnerGone),
    async get(partnerId, externalUserId) {
      const [row] = await byKey.execute({ partnerId, externalUserId })
      return row ? userFromRow(row) : null
    },
    async delete(partnerId, externalUserId) {
      const deleted = await db
        .delete(t)
        .where(and(eq(t.partnerId, partnerId), eq(t.externalUserId, externalUserId)))
        .returning({ id: t.id })
      return deleted.length > 0
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
      const rows = await db
        .select()
        .from(t)
        .where(and(...conditions))
        .orderBy(desc(t.id))
        .limit(limit)
      return rows.map((r) => ({ ...r, at: toIso(r.at) }))
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

/** Connects to PostgreSQL, applies migrations under an advisory lock, and returns the store. */
export async function createPostgresStore(url: string): Promise<Store> {
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
  return {
    kind: 'postgres',
    partners: createPartnerStore(db),
    apiKeys: createApiKeyStore(db),
    adminTokens: createAdminTokenStore(db),
    users: createUserStore(db),
    audit: createAuditStore(db),
    async checkReady() {
      const { rows } = await pool.query<{ n: number }>(
        `select count(*)::int as n from ${pg.escapeIdentifier(migrationsSchema)}.${pg.escapeIdentifier(MIGRATIONS_TABLE)}`,
      )
      if (rows[0]!.n < expectedMigrations) throw new Error('migrations pending')
    },
    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },
  }
}

function countMigrations(folder: string): number {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
  return journal.entries.length
}
