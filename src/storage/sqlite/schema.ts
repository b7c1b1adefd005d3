// Drizzle schema of the SQLite store; drizzle-kit generates migrations/sqlite from it.
import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const partners = sqliteTable('partners', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  jwtIssuer: text('jwt_issuer').notNull().unique(),
  jwksUrl: text('jwks_url'),
  jwtPublicKey: text('jwt_public_key'),
  jwtAudience: text('jwt_audience'),
  maxTokenLifetimeSeconds: integer('max_token_lifetime_seconds').notNull(),
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

// One row per named counter; `partners` grows with every partner write (cross-instance change detection).
export const revisions = sqliteTable('revisions', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
})
