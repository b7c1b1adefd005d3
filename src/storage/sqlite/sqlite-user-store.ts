// Users in the embedded SQLite store: prepared statements only, and a read cache that writes pass through.
import type Database from 'better-sqlite3'
import { and, eq, sql } from 'drizzle-orm'
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { LRUCache } from 'lru-cache'
import { profileUpdateSet } from '../profile-update.js'
import { newUserRecord, userFromRow } from '../rows.js'
import type { UserProfile, UserRecord, UserStore, UserWriteOutcome } from '../types.js'
import { newUserId } from '../user-id.js'
import { partnerGoneAsOutcome } from '../user-write-outcome.js'
import { planSessionRevocation } from '../write-plans.js'
import { createGroupCommit } from './group-commit.js'
import * as schema from './schema.js'
import { isForeignKeyViolation } from './sqlite-errors.js'

type Db = BetterSQLite3Database<typeof schema>

/**
 * Users kept in memory, and users known to be absent (so a JIT request reads the table once, not twice).
 * Every write of this process passes through this store, so the cache is exact for them; a write by another
 * process on the same file (the CLI) moves SQLite's `data_version`, which is checked every second and empties
 * the cache (well inside the 5 s the contract allows). A returning webview user then costs no query at all:
 * the read was the largest cost of a cached `GET /me`.
 */
const USER_CACHE_SIZE = 10_000
const DATA_VERSION_POLL_MS = 1000
/** The cached answer for a key with no user (lru-cache stores no null). */
const ABSENT = false

const PROFILE_FIELDS = ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const

const cacheKey = (partnerId: string, externalUserId: string) => `${partnerId}\u0000${externalUserId}`

/**
 * A write whose partner was deleted since the caller looked it up fails on the foreign key: inside a
 * shared commit that rolls the batch back, the batch is replayed, and this write alone answers so.
 */
const partnerGone = partnerGoneAsOutcome(isForeignKeyViolation)

export interface SqliteUserStore extends UserStore {
  /** Called when users change behind this store's back (a partner delete cascades to its users). */
  forgetAll(): void
  /** Stops watching the file for other processes' writes. */
  close(): void
}

export function createSqliteUserStore(db: Db, sqlite: Database.Database, now: () => number): SqliteUserStore {
  const t = schema.users
  const cache = new LRUCache<string, UserRecord | typeof ABSENT>({ max: USER_CACHE_SIZE })
  const inSharedCommit = createGroupCommit(sqlite, () => cache.clear())
  // Moves only when another connection commits to the file: this process's own writes never move it.
  const dataVersion = sqlite.prepare('pragma data_version').pluck()
  let seenVersion = dataVersion.get()
  const watch = setInterval(() => {
    const version = dataVersion.get()
    if (version !== seenVersion) cache.clear()
    seenVersion = version
  }, DATA_VERSION_POLL_MS).unref()
  const byKey = db
    .select()
    .from(t)
    .where(and(eq(t.partnerId, sql.placeholder('partnerId')), eq(t.externalUserId, sql.placeholder('externalUserId'))))
    .prepare()
  // No RETURNING: the new row is built from the values written, without mapping a result row back.
  const insert = db
    .insert(t)
    .values({
      id: sql.placeholder('id'),
      partnerId: sql.placeholder('partnerId'),
      externalUserId: sql.placeholder('externalUserId'),
      email: sql.placeholder('email'),
      displayName: sql.placeholder('displayName'),
      phone: sql.placeholder('phone'),
      countryCode: sql.placeholder('countryCode'),
      locale: sql.placeholder('locale'),
      provisionedBy: sql.placeholder('provisionedBy'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
    })
    .onConflictDoNothing()
    .prepare()
  const remove = db
    .delete(t)
    .where(and(eq(t.partnerId, sql.placeholder('partnerId')), eq(t.externalUserId, sql.placeholder('externalUserId'))))
    .prepare()
  // An update sets only the fields the request carried; one prepared statement per set of fields (≤ 31).
  const updates = new Map<string, ReturnType<typeof prepareUpdate>>()
  function prepareUpdate(fields: readonly (typeof PROFILE_FIELDS)[number][]) {
    const set: Record<string, unknown> = { updatedAt: sql.placeholder('now') }
    for (const f of fields) set[f] = sql.placeholder(f)
    return db.update(t).set(set).where(eq(t.id, sql.placeholder('id'))).returning().prepare()
  }

  function read(partnerId: string, externalUserId: string): UserRecord | null {
    const key = cacheKey(partnerId, externalUserId)
    const cached = cache.get(key)
    if (cached !== undefined) return cached === ABSENT ? null : cached
    const row = byKey.get({ partnerId, externalUserId })
    const user = row ? userFromRow(row) : null
    cache.set(key, user ?? ABSENT)
    return user
  }

  function remember(user: UserRecord): UserRecord {
    cache.set(cacheKey(user.partnerId, user.externalUserId), user)
    return user
  }

  /** The user a write returned, remembered; or, when no row matched, null and nothing cached for the key. */
  function settle(partnerId: string, externalUserId: string, row: typeof t.$inferSelect | undefined): UserRecord | null {
    if (row) return remember(userFromRow(row))
    cache.delete(cacheKey(partnerId, externalUserId))
    return null
  }

  const byNaturalKey = (partnerId: string, externalUserId: string) => and(eq(t.partnerId, partnerId), eq(t.externalUserId, externalUserId))

  /** Inserts unless the key is taken; undefined when another writer got there first. */
  function insertNew(partnerId: string, externalUserId: string, profile: UserProfile, provisionedBy: 'api' | 'jit') {
    const at = now()
    const fields = {
      id: newUserId(at),
      partnerId,
      externalUserId,
      email: profile.email ?? null,
      displayName: profile.displayName ?? null,
      phone: profile.phone ?? null,
      countryCode: profile.countryCode ?? null,
      locale: profile.locale ?? null,
      provisionedBy,
    }
    if (insert.run({ ...fields, now: at }).changes === 0) return undefined
    return remember(newUserRecord(fields, at))
  }

  // better-sqlite3 is synchronous: a read and the write after it cannot interleave with another request.
  function upsert(partnerId: string, externalUserId: string, profile: UserProfile): UserWriteOutcome {
    let existing = read(partnerId, externalUserId)
    if (!existing) {
      const created = insertNew(partnerId, externalUserId, profile, 'api')
      if (created) return { ok: true, user: created, created: true }
      // Only another process writing the same file gets here (SQLite serves one instance).
      existing = read(partnerId, externalUserId)!
    }
    const fields = PROFILE_FIELDS.filter((f) => profile[f] !== undefined)
    if (fields.length === 0) return { ok: true, user: existing, created: false }
    const signature = fields.join(',')
    let update = updates.get(signature)
    if (!update) updates.set(signature, (update = prepareUpdate(fields)))
    const values: Record<string, unknown> = { id: existing.id, now: now() }
    for (const f of fields) values[f] = profile[f]
    return { ok: true, user: remember(userFromRow(update.get(values)!)), created: false }
  }

  return {
    upsert(partnerId, externalUserId, profile) {
      return inSharedCommit(() => upsert(partnerId, externalUserId, profile)).catch(partnerGone)
    },
    async provision(partnerId, externalUserId, profile) {
      const existing = read(partnerId, externalUserId)
      if (existing) return { ok: true, user: existing, created: false }
      return inSharedCommit((): UserWriteOutcome => {
        const created = insertNew(partnerId, externalUserId, profile, 'jit')
        if (created) return { ok: true, user: created, created: true }
        return { ok: true, user: read(partnerId, externalUserId)!, created: false }
      }).catch(partnerGone)
    },
    async get(partnerId, externalUserId) {
      return read(partnerId, externalUserId)
    },
    async getCached(partnerId, externalUserId) {
      return read(partnerId, externalUserId)
    },
    peekCached(partnerId, externalUserId) {
      const cached = cache.get(cacheKey(partnerId, externalUserId))
      return cached === ABSENT ? null : cached
    },
    async delete(partnerId, externalUserId) {
      cache.delete(cacheKey(partnerId, externalUserId))
      return remove.run({ partnerId, externalUserId }).changes > 0
    },
    async revokeSessions(partnerId, externalUserId, options) {
      const { set, audit } = planSessionRevocation(partnerId, options, now())
      const row = db.transaction((tx) => {
        const updated = tx.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning().get()
        if (updated) tx.insert(schema.auditLog).values({ ...audit, changedFields: JSON.stringify(audit.changedFields) }).run()
        return updated
      })
      return settle(partnerId, externalUserId, row)
    },
    async updateProfile(partnerId, externalUserId, profile, policy) {
      const set = profileUpdateSet(t, profile, policy, now())
      if (!set) return read(partnerId, externalUserId)
      // Remembered inside the shared commit, in write order: a later write of the same batch caches last.
      return inSharedCommit(() => settle(partnerId, externalUserId, db.update(t).set(set).where(byNaturalKey(partnerId, externalUserId)).returning().get()))
    },
    forgetAll() {
      cache.clear()
    },
    close() {
      clearInterval(watch)
    },
  }
}
