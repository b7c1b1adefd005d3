// Drizzle schema of the SQLite store; drizzle-kit generates migrations/sqlite from it.
import { sql } from 'drizzle-orm'
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { ClaimMapping } from '../types.js'

export const partners = sqliteTable('partners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  jwtIssuer: text('jwt_issuer').notNull().unique(),
  jwksUrl: text('jwks_url'),
  jwtPublicKey: text('jwt_public_key'),
  jwtAudience: text('jwt_audience'),
  maxTokenLifetimeSeconds: integer('max_token_lifetime_seconds').notNull(),
  openidConfigurationUrl: text('openid_configuration_url'),
  requireIssuedAt: integer('require_issued_at', { mode: 'boolean' }).notNull().default(true),
  claimMapping: text('claim_mapping', { mode: 'json' }).$type<ClaimMapping>(),
  requiredClaims: text('required_claims', { mode: 'json' }).$type<Record<string, string>>(),
  profileUpdate: text('profile_update', { enum: ['never', 'fillEmpty', 'overwrite'] }).notNull().default('never'),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  version: integer('version').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
})

export const partnerApiKeys = sqliteTable(
  'partner_api_keys',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('partner_api_keys_partner_idx').on(t.partnerId)],
)

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    externalUserId: text('external_user_id').notNull(),
    email: text('email'),
    displayName: text('display_name'),
    phone: text('phone'),
    countryCode: text('country_code'),
    locale: text('locale'),
    provisionedBy: text('provisioned_by', { enum: ['api', 'jit'] }).notNull(),
    tokensValidAfter: integer('tokens_valid_after'),
    revocationLifetimeSeconds: integer('revocation_lifetime_seconds'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_partner_external_idx').on(t.partnerId, t.externalUserId)],
)

export const adminTokens = sqliteTable('admin_tokens', {
  id: text('id').primaryKey(),
  prefix: text('prefix').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  label: text('label'),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
})

// No foreign key to partners: the audit trail outlives a deleted partner.
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    partnerId: text('partner_id'),
    changedFields: text('changed_fields').notNull().default(sql`'[]'`),
  },
  (t) => [index('audit_log_partner_idx').on(t.partnerId, t.id)],
)

// The refusals feed: a partner's newest refused tokens (the store prunes to the newest 200 per partner).
// iat and exp are reals: a token's NumericDate may carry a fraction.
export const refusals = sqliteTable(
  'refusals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    code: text('code').notNull(),
    detail: text('detail').notNull(),
    kid: text('kid'),
    sub: text('sub'),
    iat: real('iat'),
    exp: real('exp'),
    aud: text('aud', { mode: 'json' }).$type<string | string[]>(),
  },
  (t) => [index('refusals_partner_idx').on(t.partnerId, t.id)],
)

// One row per named counter; `partners` grows with every partner write (cross-instance change detection).
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
})

// The admin console's session signing secret, one row shared by every instance (created at first start,
// replaced by rotation, which ends every console session).
export const consoleSecrets = sqliteTable('console_secrets', {
  name: text('name').primaryKey(),
  secret: text('secret').notNull(),
  createdAt: integer('created_at').notNull(),
})
