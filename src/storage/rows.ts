// What both databases store, column for column, and how a stored row becomes the record the API speaks.
import type { AdminTokenRecord, ApiKeyRecord, AuditEntry, PartnerFields, PartnerRecord, RefusalRecord, UserRecord } from './types.js'

// Both schemas keep times as epoch milliseconds; the records speak ISO-8601 UTC. A new row's createdAt equals its
// updatedAt, and a burst of writes shares its millisecond, so the last conversion is kept and reused.
let lastMs = Number.NaN
let lastIso = ''
const toIso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}
const toIsoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms))

/** A `partners` row; the drizzle schemas of both dialects infer exactly these columns. */
export interface PartnerRow extends PartnerFields {
  id: string
  version: number
  createdAt: number
  updatedAt: number
}

/** A `partner_api_keys` row. The hash never leaves the store: records drop it. */
export interface ApiKeyRow {
  id: string
  partnerId: string
  prefix: string
  keyHash: string
  createdAt: number
  revokedAt: number | null
}

/** An `admin_tokens` row. */
export interface AdminTokenRow {
  id: string
  prefix: string
  tokenHash: string
  label: string | null
  createdAt: number
  revokedAt: number | null
}

export type UserRow = Omit<UserRecord, 'tokensValidAfter' | 'createdAt' | 'updatedAt'> & {
  tokensValidAfter: number | null
  createdAt: number
  updatedAt: number
}

/** An `audit_log` row with its changed fields already decoded (SQLite keeps them as JSON text, PostgreSQL as jsonb). */
export type AuditRow = Omit<AuditEntry, 'at'> & { at: number }

export const partnerFromRow = (row: PartnerRow): PartnerRecord => ({
  ...row,
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
})

export const apiKeyFromRow = ({ keyHash: _hash, ...row }: ApiKeyRow): ApiKeyRecord => ({
  ...row,
  createdAt: toIso(row.createdAt),
  revokedAt: toIsoOrNull(row.revokedAt),
})

export const adminTokenFromRow = ({ tokenHash: _hash, ...row }: AdminTokenRow): AdminTokenRecord => ({
  ...row,
  createdAt: toIso(row.createdAt),
  revokedAt: toIsoOrNull(row.revokedAt),
})

/** A user as the store has just inserted it, at `ms`: never revoked, created and updated at that instant. */
export const newUserRecord = (fields: Omit<UserRow, 'tokensValidAfter' | 'revocationLifetimeSeconds' | 'createdAt' | 'updatedAt'>, ms: number): UserRecord => {
  const at = toIso(ms)
  return { ...fields, tokensValidAfter: null, revocationLifetimeSeconds: null, createdAt: at, updatedAt: at }
}

export const userFromRow = (row: UserRow): UserRecord => ({
  ...row,
  tokensValidAfter: toIsoOrNull(row.tokensValidAfter),
  createdAt: toIso(row.createdAt),
  updatedAt: toIso(row.updatedAt),
})

/** A `refusals` row (aud already decoded from its JSON column). */
export type RefusalRow = Omit<RefusalRecord, 'at'> & { id: number; partnerId: string; at: number }

export const refusalFromRow = ({ id: _id, partnerId: _partner, ...row }: RefusalRow): RefusalRecord => ({ ...row, at: toIso(row.at) })

export const auditFromRow = (row: AuditRow): AuditEntry => ({ ...row, at: toIso(row.at) })
