// Users in the shared PostgreSQL store: single statements, so concurrent instances agree on one row per user.
import { randomUUID } from 'node:crypto'
import { and, eq, getTableColumns, sql } from 'drizzle-orm'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import { profileUpdateSet } from '../profile-update.js'
import { userFromRow } from '../rows.js'
import type { UserProfile, UserStore, UserWriteOutcome } from '../types.js'
import { partnerGoneAsOutcome } from '../user-write-outcome.js'
import { planSessionRevocation } from '../write-plans.js'
import { isForeignKeyViolation } from './postgres-errors.js'
import * as schema from './schema.js'

type Db = NodePgDatabase<typeof schema>

/** Only the profile keys present in `profile` (absent = unchanged). */
function presentProfile(profile: UserProfile): UserProfile {
  const out: UserProfile = {}
  for (const k of ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const) {
    if (profile[k] !== undefined) out[k] = profile[k]
  }
  return out
}

export function createPostgresUserStore(db: Db, now: () => number): UserStore {
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
    return { id: randomUUID(), partnerId, externalUserId, ...profile, provisionedBy: by, createdAt: at, updatedAt: at }
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
      const deleted = await db.delete(t).where(byNaturalKey(partnerId, externalUserId)).returning({ id: t.id })
      return deleted.length > 0
    },
    async revokeSessions(partnerId, externalUserId, options) {
      const { set, audit } = planSessionRevocation(partnerId, options, now())
      const row = await db.transaction(async (tx) => {
        const [updated] = await tx.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning()
        if (updated) await tx.insert(schema.auditLog).values(audit)
        return updated
      })
      return row ? userFromRow(row) : null
    },
    async updateProfile(partnerId, externalUserId, profile, policy) {
      const set = profileUpdateSet(t, profile, policy, now())
      if (!set) {
        const [row] = await byKey.execute({ partnerId, externalUserId })
        return row ? userFromRow(row) : null
      }
      const [row] = await db.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning()
      return row ? userFromRow(row) : null
    },
  }
}
