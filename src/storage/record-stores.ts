// The partner, API-key, admin-token, audit and refusal stores of either database: its reads and transactional writes, plus the rules.
import { AppError } from '../errors.js'
import {
  type AdminTokenRow,
  type ApiKeyRow,
  type AuditRow,
  type PartnerRow,
  type RefusalRow,
  adminTokenFromRow,
  apiKeyFromRow,
  auditFromRow,
  partnerFromRow,
  refusalFromRow,
} from './rows.js'
import type { Store } from './types.js'
import {
  type WritePlan,
  planAdminTokenCreate,
  planAdminTokenRevoke,
  planApiKeyCreate,
  planApiKeyRevoke,
  planPartnerCreate,
  planPartnerDelete,
  planPartnerUpdate,
  REFUSALS_KEPT_PER_PARTNER,
  refusalRow,
} from './write-plans.js'

/** The rows of each table that audited writes change. */
export interface TableRows {
  partners: PartnerRow
  apiKeys: ApiKeyRow
  adminTokens: AdminTokenRow
}

export interface WriteTarget<K extends keyof TableRows> {
  table: K
  id: string
  /** The plan may delete the row (PostgreSQL then locks it fully, not only against other edits). */
  mayDelete?: boolean
}

/** A partner's unique keys, named as the API names them. */
export type PartnerKey = 'id' | 'jwtIssuer'

/**
 * Why the database refused a write, as a value. Each store tells which constraint failed by its identity (the
 * constraint's name in PostgreSQL, the kind of constraint in SQLite), never by the driver's message text.
 */
export type WriteRefusal = { conflict: PartnerKey } | { missing: 'partner' }

export type Written<Outcome> = { outcome: Outcome } | { refused: WriteRefusal }

/**
 * What one database provides: reads that return rows (or `null`), and one write primitive. Its SQL is its own;
 * the rules are not — they arrive as the `plan` argument. Lists are ordered alike on every database: partners by
 * id in byte order, API keys and admin tokens oldest first with the id (byte order) breaking ties.
 */
export interface RecordRepository {
  partners: {
    list(): Promise<PartnerRow[]>
    get(id: string): Promise<PartnerRow | null>
    revision(): Promise<number>
  }
  apiKeys: {
    list(partnerId: string): Promise<ApiKeyRow[]>
    findActive(hash: string): Promise<{ id: string; partnerId: string } | null>
  }
  adminTokens: {
    countActive(): Promise<number>
    list(): Promise<AdminTokenRow[]>
    findActive(hash: string): Promise<{ id: string } | null>
  }
  audit: {
    /** Newest first. */
    list(query: { partnerId?: string; limit: number; before?: number }): Promise<AuditRow[]>
  }
  refusals: {
    /**
     * In one transaction: inserts the row and deletes the partner's older rows beyond the newest `keep`. A
     * vanished partner (its foreign key broken) comes back as a refusal and writes nothing.
     */
    append(row: Omit<RefusalRow, 'id'>, keep: number): Promise<Written<void>>
    /** Newest first. */
    list(partnerId: string, limit: number): Promise<RefusalRow[]>
  }
  /**
   * In one transaction: reads the target row (locked against concurrent writers), asks `plan`, and carries out
   * the write it returns — the row change, its audit entry and, when asked, the partners revision bump. A violated
   * key or a vanished partner rolls everything back and comes back as a refusal.
   */
  write<K extends keyof TableRows, Outcome>(
    target: WriteTarget<K>,
    plan: (current: TableRows[K] | null) => WritePlan<TableRows[K], Outcome>,
  ): Promise<Written<Outcome>>
}

/** Runs a store's write transaction, turning the errors `refusalOf` recognises into refusals (anything else throws). */
export async function refusing<Outcome>(
  transaction: () => Outcome | Promise<Outcome>,
  refusalOf: (err: unknown) => WriteRefusal | null,
): Promise<Written<Outcome>> {
  try {
    return { outcome: await transaction() }
  } catch (err) {
    const refused = refusalOf(err)
    if (refused) return { refused }
    throw err
  }
}

export type RecordStores = Pick<Store, 'partners' | 'apiKeys' | 'adminTokens' | 'audit' | 'refusals'>

/** The record stores of the Store contract over one database's repository; `now` stamps every write. */
export function createRecordStores(repo: RecordRepository, now: () => number): RecordStores {
  /** The plan's outcome; a refusal becomes the AppError the Store contract promises, here and nowhere else. */
  async function write<K extends keyof TableRows, Outcome>(
    target: WriteTarget<K>,
    plan: (current: TableRows[K] | null, at: number) => WritePlan<TableRows[K], Outcome>,
    partnerId: string | null,
  ): Promise<Outcome> {
    const written = await repo.write(target, (current) => plan(current, now()))
    if ('outcome' in written) return written.outcome
    throw refusalError(written.refused, partnerId)
  }

  return {
    partners: {
      list: async () => (await repo.partners.list()).map(partnerFromRow),
      get: async (id) => {
        const row = await repo.partners.get(id)
        return row && partnerFromRow(row)
      },
      revision: () => repo.partners.revision(),
      create: (id, fields, actor) => write({ table: 'partners', id }, (_, at) => planPartnerCreate(id, fields, actor, at), id),
      update: (id, changes, options) => write({ table: 'partners', id }, (current, at) => planPartnerUpdate(current, changes, options, at), id),
      delete: (id, options) => write({ table: 'partners', id, mayDelete: true }, (current, at) => planPartnerDelete(current, options, at), id),
    },
    apiKeys: {
      create: (key, actor) => write({ table: 'apiKeys', id: key.id }, (_, at) => planApiKeyCreate(key, actor, at), key.partnerId),
      list: async (partnerId) => (await repo.apiKeys.list(partnerId)).map(apiKeyFromRow),
      revoke: (partnerId, keyId, actor) =>
        write({ table: 'apiKeys', id: keyId }, (current, at) => planApiKeyRevoke(current, partnerId, actor, at), partnerId),
      findActive: (hash) => repo.apiKeys.findActive(hash),
    },
    adminTokens: {
      countActive: () => repo.adminTokens.countActive(),
      create: (token, actor) => write({ table: 'adminTokens', id: token.id }, (_, at) => planAdminTokenCreate(token, actor, at), null),
      list: async () => (await repo.adminTokens.list()).map(adminTokenFromRow),
      revoke: (id, actor) => write({ table: 'adminTokens', id }, (current, at) => planAdminTokenRevoke(current, actor, at), null),
      findActive: (hash) => repo.adminTokens.findActive(hash),
    },
    audit: {
      list: async (query) => (await repo.audit.list(query)).map(auditFromRow),
    },
    refusals: {
      async record(partnerId, refusal) {
        // A refusal of a partner deleted meanwhile has no feed left to appear in: dropped, not an error.
        await repo.refusals.append(refusalRow(partnerId, refusal), REFUSALS_KEPT_PER_PARTNER)
      },
      list: async (partnerId, limit) => (await repo.refusals.list(partnerId, limit)).map(refusalFromRow),
    },
  }
}

function refusalError(refused: WriteRefusal, partnerId: string | null): AppError {
  if ('missing' in refused) return new AppError('not_found', `no partner ${partnerId}`)
  return new AppError('conflict', `A partner with this ${refused.conflict} already exists`, {
    errors: [{ path: `/${refused.conflict}`, message: 'already taken' }],
  })
}
