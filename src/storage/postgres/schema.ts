// Drizzle schema of the PostgreSQL store; drizzle-kit generates migrations/postgres from it.
// Same tables, columns and meanings as sqlite/schema.ts, so both stores map rows identically:
// times are epoch milliseconds (bigint read as a JS number), ids and enums are text.
import { sql } from 'drizzle-orm'
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import type { ClaimMapping } from '../types.js'

const epochMs = (name: string) => bigint(name, { mode: 'number' })

export const partners = pgTable('partners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  jwtIssuer: text('jwt_issuer').notNull().unique(),
  jwksUrl: text('jwks_url'),
  jwtPublicKey: text('jwt_public_key'),
  jwtAudience: text('jwt_audience'),
  maxTokenLifetimeSeconds: integer('max_token_lifetime_seconds').notNull(),
  openidConfigurationUrl: text('openid_configuration_url'),
  requireIssuedAt: boolean('require_issued_at').notNull().default(true),
  claimMapping: jsonb('claim_mapping').$type<ClaimMapping>(),
  requiredClaims: jsonb('required_claims').$type<Record<string, string>>(),
  profileUpdate: text('profile_update', { enum: ['never', 'fillEmpty', 'overwrite'] }).notNull().default('never'),
  status: text('status', { enum: ['active', 'disabled'] }).notNull(),
  version: integer('version').notNull(),
  createdAt: epochMs('created_at').notNull(),
  updatedAt: epochMs('updated_at').notNull(),
})

export const partnerApiKeys = pgTable(
  'partner_api_keys',
  {
    id: text('id').primaryKey(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    createdAt: epochMs('created_at').notNull(),
    revokedAt: epochMs('revoked_at'),
  },
  (t) => [index('partner_api_keys_partner_idx').on(t.partnerId)],
)

export const users = pgTable(
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
    tokensValidAfter: epochMs('tokens_valid_after'),
    revocationLifetimeSeconds: integer('revocation_lifetime_seconds'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_partner_external_idx').on(t.partnerId, t.externalUserId)],
)

export const adminTokens = pgTable('admin_tokens', {
  id: text('id').primaryKey(),
  prefix: text('prefix').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  label: text('label'),
  createdAt: epochMs('created_at').notNull(),
  revokedAt: epochMs('revoked_at'),
})

// No foreign key to partners: the audit trail outlives a deleted partner.
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: epochMs('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    partnerId: text('partner_id'),
    changedFields: jsonb('changed_fields').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [index('audit_log_partner_idx').on(t.partnerId, t.id)],
)

// The refusals feed: a partner's newest refused tokens (the store prunes to the newest 200 per partner).
// iat and exp are doubles: a token's NumericDate may carry a fraction.
export const refusals = pgTable(
  'refusals',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    at: epochMs('at').notNull(),
    code: text('code').notNull(),
    detail: text('detail').notNull(),
    kid: text('kid'),
    sub: text('sub'),
    iat: doublePrecision('iat'),
    exp: doublePrecision('exp'),
    aud: jsonb('aud').$type<string | string[]>(),
  },
  (t) => [index('refusals_partner_idx').on(t.partnerId, t.id)],
)

// One row per named counter; `partners` grows with every partner write (cross-instance change detection).
export const revisions = pgTable('revisions', {
  name: text('name').primaryKey(),
  value: bigint('value', { mode: 'number' }).notNull(),
})

// The admin console's session signing secret, one row shared by every instance (created at first start,
// replaced by rotation, which ends every console session).
export const consoleSecrets = pgTable('console_secrets', {
  name: text('name').primaryKey(),
  secret: text('secret').notNull(),
  createdAt: epochMs('created_at').notNull(),
})
