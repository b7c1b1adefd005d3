// The storage contract: records and the Store interface every backend (SQLite, PostgreSQL) implements.

export type PartnerStatus = 'active' | 'disabled'

export interface PartnerRecord {
  id: string
  name: string
  jwtIssuer: string
  jwksUrl: string | null
  jwtPublicKey: string | null
  jwtAudience: string | null
  maxTokenLifetimeSeconds: number
  status: PartnerStatus
  version: number
  createdAt: string
  updatedAt: string
}

/** The fields a partner write may set; `version` and the times are the store's. */
export type PartnerFields = Omit<PartnerRecord, 'id' | 'version' | 'createdAt' | 'updatedAt'>

export interface UserRecord {
  id: string
  partnerId: string
  externalUserId: string
  email: string | null
  displayName: string | null
  phone: string | null
  countryCode: string | null
  locale: string | null
  provisionedBy: 'api' | 'jit'
  createdAt: string
  updatedAt: string
}

/** Profile fields of a user; on upsert an absent field is left unchanged and `null` clears it. */
export interface UserProfile {
  email?: string | null
  displayName?: string | null
  phone?: string | null
  countryCode?: string | null
  locale?: string | null
}

export interface ApiKeyRecord {
  id: string
  partnerId: string
  prefix: string
  createdAt: string
  revokedAt: string | null
}

export interface AdminTokenRecord {
  id: string
  prefix: string
  label: string | null
  createdAt: string
  revokedAt: string | null
}

export interface AuditEntry {
  id: number
  at: string
  actor: string
  action: string
  partnerId: string | null
  changedFields: string[]
}

/** Who made a change, as the audit log names them (`env`, `admin-token:<id>`, `cli`). */
export type Actor = string

/**
 * A user write's answer. The partner can be deleted between the caller's look-up and the write (by this
 * instance or another); the write then fails alone and says so, instead of surfacing a foreign-key error.
 */
export type UserWriteOutcome = { ok: true; user: UserRecord; created: boolean } | { ok: false; reason: 'partner_not_found' }

export type UpdateOutcome<T> = { ok: true; record: T } | { ok: false; reason: 'not_found' | 'version_mismatch' }
export type DeleteOutcome = { ok: true } | { ok: false; reason: 'not_found' | 'version_mismatch' | 'not_disabled' }

export interface PartnerStore {
  list(): Promise<PartnerRecord[]>
  get(id: string): Promise<PartnerRecord | null>
  /** Throws AppError `conflict` when `id` or `jwtIssuer` is taken. */
  create(id: string, fields: PartnerFields, actor: Actor): Promise<PartnerRecord>
  /** Applies `changes` when the stored version equals `expectedVersion` (if given); bumps version; audits. */
  update(id: string, changes: Partial<PartnerFields>, options: { expectedVersion?: number; actor: Actor }): Promise<UpdateOutcome<PartnerRecord>>
  /** Deletes a disabled partner with its users and API keys. */
  delete(id: string, options: { expectedVersion?: number; actor: Actor }): Promise<DeleteOutcome>
  /** A counter that grows with every partner write, so other instances can notice changes cheaply. */
  revision(): Promise<number>
}

export interface ApiKeyStore {
  /** Throws AppError `not_found` when the partner no longer exists. */
  create(key: { id: string; partnerId: string; prefix: string; hash: string }, actor: Actor): Promise<ApiKeyRecord>
  list(partnerId: string): Promise<ApiKeyRecord[]>
  revoke(partnerId: string, keyId: string, actor: Actor): Promise<boolean>
  /** The live (unrevoked) key with this hash, or null. */
  findActive(hash: string): Promise<{ id: string; partnerId: string } | null>
}

export interface AdminTokenStore {
  countActive(): Promise<number>
  create(token: { id: string; prefix: string; hash: string; label: string | null }, actor: Actor): Promise<AdminTokenRecord>
  list(): Promise<AdminTokenRecord[]>
  revoke(id: string, actor: Actor): Promise<boolean>
  findActive(hash: string): Promise<{ id: string } | null>
}

export interface UserStore {
  /** Creates or updates; `created` tells which. */
  upsert(partnerId: string, externalUserId: string, profile: UserProfile): Promise<UserWriteOutcome>
  /** Creates the user only if absent and never overwrites: concurrent callers all get the one row. */
  provision(partnerId: string, externalUserId: string, profile: UserProfile): Promise<UserWriteOutcome>
  get(partnerId: string, externalUserId: string): Promise<UserRecord | null>
  delete(partnerId: string, externalUserId: string): Promise<boolean>
}

export interface AuditStore {
  list(query: { partnerId?: string; limit: number; before?: number }): Promise<AuditEntry[]>
}

export interface StoreOptions {
  /** The clock stamping every write, in epoch milliseconds (default `Date.now`); tests pass one they control. */
  now?: () => number
}

/**
 * Every method of the record stores refuses a string that is not well-formed Unicode without U+0000
 * (AppError `invalid_request`) before the database sees it, so both backends answer such input alike.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres'
  readonly partners: PartnerStore
  readonly apiKeys: ApiKeyStore
  readonly adminTokens: AdminTokenStore
  readonly users: UserStore
  readonly audit: AuditStore
  /** Resolves when the database answers and every migration is applied; rejects otherwise. */
  checkReady(): Promise<void>
  /**
   * Writes a consistent copy of the database to `file` while it stays in use (SQLite online backup).
   * Absent where the database has its own tools (PostgreSQL: pg_dump).
   */
  backup?(file: string): Promise<void>
  close(): Promise<void>
}
