// The rules of every audited write, decided once for both databases as plans that each store's transaction carries out.
//
// Why plans: better-sqlite3 runs a transaction as one synchronous function (it cannot await), node-postgres as an
// async one, so a rule module that called the database could serve only one of them. A plan is a pure function
// of the row the transaction read: both stores read the row, ask the plan, and carry out the write it names —
// the only code left in a store is its dialect's SQL.
import {
  type AdminTokenRow,
  type ApiKeyRow,
  type PartnerRow,
  adminTokenFromRow,
  apiKeyFromRow,
  partnerFromRow,
} from './rows.js'
import type { Actor, AdminTokenRecord, ApiKeyRecord, DeleteOutcome, PartnerFields, PartnerRecord, UpdateOutcome } from './types.js'

/** The audit entry a write adds, in the same transaction. */
export interface AuditDraft {
  at: number
  actor: Actor
  action: string
  partnerId: string | null
  changedFields: string[]
}

/** What happens to the row the write targets (update and delete address it by its id). */
export type Change<Row> = { kind: 'insert'; row: Row } | { kind: 'update'; set: Partial<Row> } | { kind: 'delete' }

export interface WritePlan<Row, Outcome> {
  /** The answer, once the write (if any) has committed. */
  outcome: Outcome
  /** Absent when the rules refuse the write or it would change nothing: then nothing is written, audited or counted. */
  write?: { change: Change<Row>; audit: AuditDraft; movesRevision: boolean }
}

/** Every field a partner write may set, in the order audit entries list them. */
const PARTNER_FIELD_NAMES = Object.keys({
  name: true,
  jwtIssuer: true,
  jwksUrl: true,
  jwtPublicKey: true,
  jwtAudience: true,
  maxTokenLifetimeSeconds: true,
  status: true,
} satisfies Record<keyof PartnerFields, true>) as (keyof PartnerFields)[]

const NOT_FOUND = { ok: false, reason: 'not_found' } as const
const VERSION_MISMATCH = { ok: false, reason: 'version_mismatch' } as const

const audit = (at: number, actor: Actor, action: string, partnerId: string | null, changedFields: string[]): AuditDraft =>
  ({ at, actor, action, partnerId, changedFields })

/** Every partner write moves the partners revision, so other instances notice it without reading the table. */
const partnerWrite = (change: Change<PartnerRow>, entry: AuditDraft) => ({ change, audit: entry, movesRevision: true })

/** With If-Match (`expectedVersion`) a write lands only on the version its caller saw. */
const isStale = (current: PartnerRow, expectedVersion: number | undefined) => expectedVersion !== undefined && current.version !== expectedVersion

export function planPartnerCreate(id: string, fields: PartnerFields, actor: Actor, now: number): WritePlan<PartnerRow, PartnerRecord> {
  // Field by field, so nothing but the columns reaches the row or the answer.
  const { name, jwtIssuer, jwksUrl, jwtPublicKey, jwtAudience, maxTokenLifetimeSeconds, status } = fields
  const row: PartnerRow = { id, name, jwtIssuer, jwksUrl, jwtPublicKey, jwtAudience, maxTokenLifetimeSeconds, status, version: 1, createdAt: now, updatedAt: now }
  return {
    outcome: partnerFromRow(row),
    write: partnerWrite({ kind: 'insert', row }, audit(now, actor, 'partner.create', id, PARTNER_FIELD_NAMES)),
  }
}

/** Only the fields whose value differs are written and audited; a write that changes nothing keeps the version. */
export function planPartnerUpdate(
  current: PartnerRow | null,
  changes: Partial<PartnerFields>,
  options: { expectedVersion?: number; actor: Actor },
  now: number,
): WritePlan<PartnerRow, UpdateOutcome<PartnerRecord>> {
  if (!current) return { outcome: NOT_FOUND }
  if (isStale(current, options.expectedVersion)) return { outcome: VERSION_MISMATCH }
  const changed = PARTNER_FIELD_NAMES.filter((k) => changes[k] !== undefined && changes[k] !== current[k])
  if (changed.length === 0) return { outcome: { ok: true, record: partnerFromRow(current) } }
  const set: Partial<PartnerRow> = { version: current.version + 1, updatedAt: now }
  for (const k of changed) Object.assign(set, { [k]: changes[k] })
  return {
    outcome: { ok: true, record: partnerFromRow({ ...current, ...set }) },
    write: partnerWrite({ kind: 'update', set }, audit(now, options.actor, 'partner.update', current.id, changed)),
  }
}

/** Only a disabled partner is deleted, so its traffic is stopped on purpose first; its users and API keys go with it. */
export function planPartnerDelete(
  current: PartnerRow | null,
  options: { expectedVersion?: number; actor: Actor },
  now: number,
): WritePlan<PartnerRow, DeleteOutcome> {
  if (!current) return { outcome: NOT_FOUND }
  if (isStale(current, options.expectedVersion)) return { outcome: VERSION_MISMATCH }
  if (current.status !== 'disabled') return { outcome: { ok: false, reason: 'not_disabled' } }
  return { outcome: { ok: true }, write: partnerWrite({ kind: 'delete' }, audit(now, options.actor, 'partner.delete', current.id, [])) }
}

export function planApiKeyCreate(
  key: { id: string; partnerId: string; prefix: string; hash: string },
  actor: Actor,
  now: number,
): WritePlan<ApiKeyRow, ApiKeyRecord> {
  const row: ApiKeyRow = { id: key.id, partnerId: key.partnerId, prefix: key.prefix, keyHash: key.hash, createdAt: now, revokedAt: null }
  return { outcome: apiKeyFromRow(row), write: insertion(row, audit(now, actor, 'api_key.create', key.partnerId, ['apiKey'])) }
}

/** A key is revoked once, and only through the partner that owns it. */
export function planApiKeyRevoke(current: ApiKeyRow | null, partnerId: string, actor: Actor, now: number): WritePlan<ApiKeyRow, boolean> {
  if (!current || current.partnerId !== partnerId || current.revokedAt !== null) return { outcome: false }
  return { outcome: true, write: revocation(audit(now, actor, 'api_key.revoke', partnerId, ['apiKey'])) }
}

export function planAdminTokenCreate(
  token: { id: string; prefix: string; hash: string; label: string | null },
  actor: Actor,
  now: number,
): WritePlan<AdminTokenRow, AdminTokenRecord> {
  const row: AdminTokenRow = { id: token.id, prefix: token.prefix, tokenHash: token.hash, label: token.label, createdAt: now, revokedAt: null }
  return { outcome: adminTokenFromRow(row), write: insertion(row, audit(now, actor, 'admin_token.create', null, ['adminToken'])) }
}

/** A token is revoked once. */
export function planAdminTokenRevoke(current: AdminTokenRow | null, actor: Actor, now: number): WritePlan<AdminTokenRow, boolean> {
  if (!current || current.revokedAt !== null) return { outcome: false }
  return { outcome: true, write: revocation(audit(now, actor, 'admin_token.revoke', null, ['adminToken'])) }
}

// Credential writes leave the partners revision alone: instances look credentials up by hash on every request.
const insertion = <Row>(row: Row, entry: AuditDraft) => ({ change: { kind: 'insert', row } as const, audit: entry, movesRevision: false })
const revocation = (entry: AuditDraft) => ({ change: { kind: 'update', set: { revokedAt: entry.at } } as const, audit: entry, movesRevision: false })
