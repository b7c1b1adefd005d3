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
  type RefusalRow,
  type UserRow,
  adminTokenFromRow,
  apiKeyFromRow,
  partnerFromRow,
} from './rows.js'
import type {
  Actor,
  AdminTokenRecord,
  ApiKeyRecord,
  DeleteOutcome,
  PartnerFields,
  PartnerRecord,
  RefusalRecord,
  UpdateOutcome,
} from './types.js'

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
  openidConfigurationUrl: true,
  jwtPublicKey: true,
  jwtAudience: true,
  maxTokenLifetimeSeconds: true,
  requireIssuedAt: true,
  claimMapping: true,
  requiredClaims: true,
  profileUpdate: true,
  status: true,
} satisfies Record<keyof PartnerFields, true>) as (keyof PartnerFields)[]

/** An empty claimMapping or requiredClaims is stored as null (docs/reference.md, Partner records). */
const emptyAsNull = <T extends object>(value: T | null): T | null => (value !== null && Object.keys(value).length === 0 ? null : value)

function normalised(changes: Partial<PartnerFields>): Partial<PartnerFields> {
  const { claimMapping, requiredClaims } = changes
  return {
    ...changes,
    ...(claimMapping !== undefined && { claimMapping: emptyAsNull(claimMapping) }),
    ...(requiredClaims !== undefined && { requiredClaims: emptyAsNull(requiredClaims) }),
  }
}

/** An object of strings, order-free, so `{a, b}` equals `{b, a}`. One object's keys are distinct: no two tie. */
const canonical = (value: object): string => JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))

/** Field values are equal: scalars by identity, the object fields by their entries. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) return canonical(a) === canonical(b)
  return a === b
}

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
  const { name, jwtIssuer, jwksUrl, openidConfigurationUrl, jwtPublicKey, jwtAudience, maxTokenLifetimeSeconds } = fields
  const { requireIssuedAt, profileUpdate, status } = fields
  const claimMapping = emptyAsNull(fields.claimMapping)
  const requiredClaims = emptyAsNull(fields.requiredClaims)
  const row: PartnerRow = {
    id,
    name,
    jwtIssuer,
    jwksUrl,
    openidConfigurationUrl,
    jwtPublicKey,
    jwtAudience,
    maxTokenLifetimeSeconds,
    requireIssuedAt,
    claimMapping,
    requiredClaims,
    profileUpdate,
    status,
    version: 1,
    createdAt: now,
    updatedAt: now,
  }
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
  const wanted = normalised(changes)
  const changed = PARTNER_FIELD_NAMES.filter((k) => wanted[k] !== undefined && !sameValue(wanted[k], current[k]))
  if (changed.length === 0) return { outcome: { ok: true, record: partnerFromRow(current) } }
  const set: Partial<PartnerRow> = { version: current.version + 1, updatedAt: now }
  for (const k of changed) Object.assign(set, { [k]: wanted[k] })
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

/** The row change and audit entry of a session revocation; the store applies both in one transaction. */
export interface SessionRevocation {
  set: Pick<UserRow, 'tokensValidAfter' | 'revocationLifetimeSeconds' | 'updatedAt'>
  audit: AuditDraft
}

/**
 * Tokens carry whole seconds, so the instant is rounded down: a token issued in the second of the revocation
 * is accepted. The partner's lifetime at this moment is kept, so a later shorter maximum cannot let an old
 * token without `iat` back in.
 */
export function planSessionRevocation(
  partnerId: string,
  options: { actor: Actor; maxTokenLifetimeSeconds: number },
  now: number,
): SessionRevocation {
  return {
    set: { tokensValidAfter: Math.floor(now / 1000) * 1000, revocationLifetimeSeconds: options.maxTokenLifetimeSeconds, updatedAt: now },
    audit: audit(now, options.actor, 'user.revoke_sessions', partnerId, ['tokensValidAfter']),
  }
}

/** How many refusals the feed keeps per partner (docs/reference.md, Partner API): older ones are pruned on write. */
export const REFUSALS_KEPT_PER_PARTNER = 200

/** The row a refusal is stored as. */
export function refusalRow(partnerId: string, refusal: RefusalRecord): Omit<RefusalRow, 'id'> {
  const { at, code, detail, kid, sub, iat, exp, aud } = refusal
  return { partnerId, at: Date.parse(at), code, detail, kid, sub, iat, exp, aud }
}

// Credential writes leave the partners revision alone: instances look credentials up by hash on every request.
const insertion = <Row>(row: Row, entry: AuditDraft) => ({ change: { kind: 'insert', row } as const, audit: entry, movesRevision: false })
const revocation = (entry: AuditDraft) => ({ change: { kind: 'update', set: { revokedAt: entry.at } } as const, audit: entry, movesRevision: false })
