// Which SQLite constraint a better-sqlite3 error reports, told by its extended result code.
import type { PartnerKey, TableRows, WriteRefusal } from '../record-stores.js'

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code

/** A row naming a partner that no longer exists (users and API keys reference partners). */
export function isForeignKeyViolation(err: unknown): boolean {
  return codeOf(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY'
}

/**
 * SQLite names the violated column only in its message text. Its extended result code tells a primary key from
 * a UNIQUE column, and partners has exactly one of each: the id, and jwt_issuer.
 */
const PARTNER_KEY_BY_CODE: Record<string, PartnerKey> = {
  SQLITE_CONSTRAINT_PRIMARYKEY: 'id',
  SQLITE_CONSTRAINT_UNIQUE: 'jwtIssuer',
}

/** The refusal behind a failed write to `table`, or `null` when `err` is not one to answer with. */
export function refusalOf(err: unknown, table: keyof TableRows): WriteRefusal | null {
  if (isForeignKeyViolation(err)) return { missing: 'partner' }
  const conflict = table === 'partners' ? PARTNER_KEY_BY_CODE[String(codeOf(err))] : undefined
  return conflict ? { conflict } : null
}
