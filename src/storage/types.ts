// The storage contract: records and the Store interface every backend (SQLite, PostgreSQL) implements.

export type PartnerStatus = 'active' | 'disabled'

/** What a later token of an existing user does to its stored profile (docs/reference.md, Users). */
export type ProfileUpdatePolicy = 'never' | 'fillEmpty' | 'overwrite'

/** The user fields a partner may read from a claim of its own naming instead of the standard claims. */
export const MAPPABLE_FIELDS = ['externalUserId', 'email', 'displayName', 'phone', 'countryCode', 'locale'] as const
export type MappableField = (typeof MAPPABLE_FIELDS)[number]
/** Field → the exact name of the top-level claim it is read from. */
export type ClaimMapping = Partial<Record<MappableField, string>>

export interface PartnerRecord {
  id: string
  name: string
  jwtIssuer: string
  jwksUrl: string | null
  /** The partner's OpenID Connect discovery document; its `jwks_uri` supplies the keys. */
  openidConfigurationUrl: string | null
  jwtPublicKey: string | null
  jwtAudience: string | null
  maxTokenLifetimeSeconds: number
  /** false accepts tokens without `iat`. */
  requireIssuedAt: boolean
  /** null when no field is mapped (an empty mapping is stored as null). */
  claimMapping: ClaimMapping | null
  /** Claim name → the exact string value every token must carry; null when none. */
  requiredClaims: Record<string, string> | null
  profileUpdate: ProfileUpdatePolicy
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
  /** Tokens issued before this instant (ISO-8601, whole seconds) are refused `token_revoked`; null when never revoked. */
  tokensValidAfter: string | null
  /**
   * The partner's maxTokenLifetimeSeconds when the sessions were revoked (null when never revoked): a token
   * without `iat` counts as issued at `exp − L`, L the larger of this and the partner's current maximum.
   * Internal: never part of the user object the API returns.
   */
  revocationLifetimeSeconds: number | null
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
  /** The latest committed state (the partner API's reads). */
  get(partnerId: string, externalUserId: string): Promise<UserRecord | null>
  /**
   * For `/me`: the user as this instance knows it — never behind this instance's own writes, and at most 5 s
   * behind a change committed elsewhere. SQLite answers as `get` (one process owns the file); PostgreSQL
   * answers from a per-instance cache kept in step by change notices (README, "User cache on PostgreSQL").
   */
  getCached(partnerId: string, externalUserId: string): Promise<UserRecord | null>
  /**
   * What `getCached` would answer, when the store knows it from memory alone: the user, null (known absent),
   * or undefined (only a query could tell). Synchronous and never touches the database, so the text guard
   * lets it through unchecked.
   */
  peekCached(partnerId: string, externalUserId: string): UserRecord | null | undefined
  delete(partnerId: string, externalUserId: string): Promise<boolean>
  /**
   * Sets `tokensValidAfter` to now, rounded down to whole seconds, and `revocationLifetimeSeconds` to the
   * partner's current maximum token lifetime; audited (`user.revoke_sessions`). null when no such user.
   */
  revokeSessions(partnerId: string, externalUserId: string, options: { actor: Actor; maxTokenLifetimeSeconds: number }): Promise<UserRecord | null>
  /**
   * A later token's profile claims applied to an existing user in one statement, so concurrent tokens never
   * lose a field: `fillEmpty` sets only fields that are null in the row at write time, `overwrite` replaces
   * the fields given. Fields absent from `profile` are left alone. null when no such user.
   */
  updateProfile(partnerId: string, externalUserId: string, profile: UserProfile, policy: 'fillEmpty' | 'overwrite'): Promise<UserRecord | null>
}

/** One refused token whose `iss` named the partner, as the refusals feed shows it: never the token itself. */
export interface RefusalRecord {
  at: string
  code: string
  detail: string
  /** Values as the token carried them; null where it did not, or could not be decoded. */
  kid: string | null
  sub: string | null
  iat: number | null
  exp: number | null
  aud: string | string[] | null
}

export interface RefusalStore {
  /** Appends a refusal and keeps only the partner's newest 200; a refusal for a deleted partner is dropped. */
  record(partnerId: string, refusal: RefusalRecord): Promise<void>
  /** Newest first. */
  list(partnerId: string, limit: number): Promise<RefusalRecord[]>
}

export interface AuditStore {
  list(query: { partnerId?: string; limit: number; before?: number }): Promise<AuditEntry[]>
}

/** The admin console's session signing secret, shared by every instance through the database. */
export interface ConsoleSecretStore {
  /**
   * The stored secret; when none is stored yet, `candidate` is inserted first (insert if absent, then read),
   * so instances starting together all end up with the same one.
   */
  ensure(candidate: string): Promise<string>
  /** The stored secret, or null before the first `ensure`. */
  get(): Promise<string | null>
  /** Replaces the secret: every console session signed with the old one stops working. */
  replace(secret: string): Promise<void>
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
  readonly refusals: RefusalStore
  readonly consoleSecrets: ConsoleSecretStore
  /** Resolves when the database answers and every migration is applied; rejects otherwise. */
  checkReady(): Promise<void>
  /**
   * Writes a consistent copy of the database to `file` while it stays in use (SQLite online backup).
   * Absent where the database has its own tools (PostgreSQL: pg_dump).
   */
  backup?(file: string): Promise<void>
  close(): Promise<void>
}
