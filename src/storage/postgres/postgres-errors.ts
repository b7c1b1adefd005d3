// Which PostgreSQL constraint a node-postgres error reports, told by SQLSTATE and constraint name.
import type { PartnerKey, TableRows, WriteRefusal } from '../record-stores.js'

/** The PostgreSQL error behind a drizzle error (drizzle wraps driver errors in `cause`). */
function pgErrorOf(err: unknown): { code: string; constraint?: string } | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e as { code: string; constraint?: string }
  }
  return undefined
}

const FOREIGN_KEY_VIOLATION = '23503'
const UNIQUE_VIOLATION = '23505'

/** A row naming a partner that no longer exists (users and API keys reference partners). */
export const isForeignKeyViolation = (err: unknown): boolean => pgErrorOf(err)?.code === FOREIGN_KEY_VIOLATION

/** The names migrations/postgres gives partners' primary key and its jwt_issuer unique constraint. */
const PARTNER_KEY_BY_CONSTRAINT: Record<string, PartnerKey> = {
  partners_pkey: 'id',
  partners_jwt_issuer_unique: 'jwtIssuer',
}

/** The refusal behind a failed write to `table`, or `null` when `err` is not one to answer with. */
export function refusalOf(err: unknown, table: keyof TableRows): WriteRefusal | null {
  const pgError = pgErrorOf(err)
  if (pgError?.code === FOREIGN_KEY_VIOLATION) return { missing: 'partner' }
  const conflict = table === 'partners' && pgError?.code === UNIQUE_VIOLATION ? PARTNER_KEY_BY_CONSTRAINT[pgError.constraint ?? ''] : undefined
  return conflict ? { conflict } : null
}
