// A later token's profile applied to a stored user as one UPDATE's SET clause, the same SQL on both databases.
import { type AnyColumn, type SQL, sql } from 'drizzle-orm'
import type { UserProfile } from './types.js'

const PROFILE_FIELDS = ['email', 'displayName', 'phone', 'countryCode', 'locale'] as const
type ProfileField = (typeof PROFILE_FIELDS)[number]

/** The users table's columns that a profile update reads and writes. */
export type ProfileColumns = Record<ProfileField | 'updatedAt', AnyColumn>

export type ProfileSet = Partial<Record<ProfileField | 'updatedAt', SQL>>

/**
 * The SET clause, or null when `profile` could change nothing. Every expression reads the row as the
 * statement finds it (an UPDATE's right-hand sides all see the old row), so two tokens writing different
 * fields at once never lose one: `fillEmpty` is `coalesce(column, new)` per field, `overwrite` sets the
 * fields given. `updatedAt` moves only when some field actually changes.
 */
export function profileUpdateSet(columns: ProfileColumns, profile: UserProfile, policy: 'fillEmpty' | 'overwrite', now: number): ProfileSet | null {
  // fillEmpty never writes a null, so a null it is given changes nothing.
  const given = PROFILE_FIELDS.filter((f) => profile[f] !== undefined && (policy === 'overwrite' || profile[f] !== null))
  if (given.length === 0) return null
  const set: ProfileSet = {}
  const changes: SQL[] = []
  for (const field of given) {
    const column = columns[field]
    const value = profile[field] ?? null
    if (policy === 'fillEmpty') {
      set[field] = sql`coalesce(${column}, ${value})`
      changes.push(sql`${column} is null`)
    } else {
      set[field] = sql`${value}`
      changes.push(sql`${column} is distinct from ${value}`)
    }
  }
  set.updatedAt = sql`case when ${sql.join(changes, sql` or `)} then ${now} else ${columns.updatedAt} end`
  return set
}
