// Users in the shared PostgreSQL store: single statements, so concurrent instances agree on one row per user, and a
// per-instance cache for /me that every write here passes through and other instances' notices invalidate.
import { and, eq, getTableColumns, sql } from 'drizzle-orm'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import { profileUpdateSet } from '../profile-update.js'
import { userFromRow } from '../rows.js'
import type { UserProfile, UserRecord, UserStore, UserWriteOutcome } from '../types.js'
import { newUserId } from '../user-id.js'
import { partnerGoneAsOutcome } from '../user-write-outcome.js'
import { planSessionRevocation } from '../write-plans.js'
import { isForeignKeyViolation } from './postgres-errors.js'
import * as schema from './schema.js'
import { type UserCache, userCacheKey } from './user-cache.js'

type Db = NodePgDatabase<typeof schema>

/** Only the profile keys present in `profile` (absent = unchanged). */
function presentProfile(profile: UserProfile): UserProfile {
  const out: UserProfile = {}
  for (const k of ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const) {
    if (profile[k] !== undefined) out[k] = profile[k]
  }
  return out
}

export interface PostgresUserCaching {
  cache: UserCache
  /** Starts the change listener if it is not running: called by the first cached read, so the CLI never listens. */
  listen(): void
}

export function createPostgresUserStore(db: Db, now: () => number, { cache, listen }: PostgresUserCaching): UserStore {
  const t = schema.users
  const naturalKey = [t.partnerId, t.externalUserId]
  // Read on every /me request (the JIT hot path) and by the partner API.
  const byKey = db
    .select()
    .from(t)
    .where(and(eq(t.partnerId, sql.placeholder('partnerId')), eq(t.externalUserId, sql.placeholder('externalUserId'))))
    .prepare('user_by_key')
  const byNaturalKey = (partnerId: string, externalUserId: string) => and(eq(t.partnerId, partnerId), eq(t.externalUserId, externalUserId))
  const newRow = (partnerId: string, externalUserId: string, profile: UserProfile, by: 'api' | 'jit') => {
    const at = now()
    return { id: newUserId(at), partnerId, externalUserId, ...profile, provisionedBy: by, createdAt: at, updatedAt: at }
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

  /**
   * Runs a write of one user and hands its resulting row (null: none) to the cache, so the next request on
   * this instance sees it; reads that started before the write can no longer fill the key.
   */
  async function through<T>(partnerId: string, externalUserId: string, write: () => Promise<T>, userOf: (result: T) => UserRecord | null): Promise<T> {
    const since = cache.mark()
    const result = await write()
    cache.written(userCacheKey(partnerId, externalUserId), since, userOf(result))
    return result
  }
  const outcomeUser = (outcome: UserWriteOutcome) => (outcome.ok ? outcome.user : null)
  const asIs = (user: UserRecord | null) => user

  // The foreign key to partners decides, in the database, whether the partner still exists.
  const partnerGone = partnerGoneAsOutcome(isForeignKeyViolation)
  return {
    upsert: (partnerId, externalUserId, profile) =>
      through(partnerId, externalUserId, () => upsert(partnerId, externalUserId, profile).catch(partnerGone), outcomeUser),
    provision: (partnerId, externalUserId, profile) =>
      through(partnerId, externalUserId, () => provision(partnerId, externalUserId, profile).catch(partnerGone), outcomeUser),
    async get(partnerId, externalUserId) {
      const [row] = await byKey.execute({ partnerId, externalUserId })
      return row ? userFromRow(row) : null
    },
    getCached(partnerId, externalUserId) {
      listen()
      const key = userCacheKey(partnerId, externalUserId)
      const hit = cache.lookup(key)
      if (hit) return Promise.resolve(hit)
      const since = cache.mark()
      return byKey.execute({ partnerId, externalUserId }).then(([row]) => {
        const user = row ? userFromRow(row) : null
        cache.filled(key, since, user)
        return user
      })
    },
    peekCached(partnerId, externalUserId) {
      listen()
      return cache.lookup(userCacheKey(partnerId, externalUserId))
    },
    delete: (partnerId, externalUserId) =>
      through(
        partnerId,
        externalUserId,
        async () => (await db.delete(t).where(byNaturalKey(partnerId, externalUserId)).returning({ id: t.id })).length > 0,
        () => null,
      ),
    revokeSessions: (partnerId, externalUserId, options) =>
      through(
        partnerId,
        externalUserId,
        async () => {
          const { set, audit } = planSessionRevocation(partnerId, options, now())
          const row = await db.transaction(async (tx) => {
            const [updated] = await tx.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning()
            if (updated) await tx.insert(schema.auditLog).values(audit)
            return updated
          })
          return row ? userFromRow(row) : null
        },
        asIs,
      ),
    updateProfile: (partnerId, externalUserId, profile, policy) =>
      through(
        partnerId,
        externalUserId,
        async () => {
          const set = profileUpdateSet(t, profile, policy, now())
          const [row] = set
            ? await db.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning()
            : await byKey.execute({ partnerId, externalUserId })
          return row ? userFromRow(row) : null
        },
        asIs,
      ),
  }
}
