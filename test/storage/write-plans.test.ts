// The write plans both stores carry out: pure decisions on the row a transaction read — what is written, what
// is audited, whether the partners revision moves, and the answer.
import t from 'tap'
import type { AdminTokenRow, ApiKeyRow, PartnerRow } from '../../src/storage/rows.js'
import {
  planAdminTokenCreate,
  planAdminTokenRevoke,
  planApiKeyCreate,
  planApiKeyRevoke,
  planPartnerCreate,
  planPartnerDelete,
  planPartnerUpdate,
  planSessionRevocation,
  REFUSALS_KEPT_PER_PARTNER,
  refusalRow,
} from '../../src/storage/write-plans.js'
import { partnerFields } from '../helpers/partner-fields.js'

const T0 = Date.parse('2030-01-01T00:00:00.000Z')
const T1 = T0 + 61_500

const FIELDS = partnerFields({
  name: 'Acme',
  jwtIssuer: 'https://acme.example',
  jwksUrl: 'https://acme.example/jwks.json',
  jwtPublicKey: null,
  jwtAudience: null,
  maxTokenLifetimeSeconds: 3600,
  status: 'active',
})

const ALL_FIELDS = [
  'name',
  'jwtIssuer',
  'jwksUrl',
  'openidConfigurationUrl',
  'jwtPublicKey',
  'jwtAudience',
  'maxTokenLifetimeSeconds',
  'requireIssuedAt',
  'claimMapping',
  'requiredClaims',
  'profileUpdate',
  'status',
]

const row = (over: Partial<PartnerRow> = {}): PartnerRow => ({ id: 'acme', ...FIELDS, version: 3, createdAt: T0, updatedAt: T0, ...over })

t.test('partner create: version 1, times now, every field audited, the revision moves', async (tt) => {
  const plan = planPartnerCreate('acme', { ...FIELDS, claimMapping: { email: 'mail' } }, 'admin:ops', T0)
  const expected = { id: 'acme', ...FIELDS, claimMapping: { email: 'mail' }, version: 1, createdAt: T0, updatedAt: T0 }
  tt.same(plan.write, {
    change: { kind: 'insert', row: expected },
    audit: { at: T0, actor: 'admin:ops', action: 'partner.create', partnerId: 'acme', changedFields: ALL_FIELDS },
    movesRevision: true,
  })
  tt.same(plan.outcome, { ...expected, createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z' })
})

t.test('partner create: an empty claimMapping or requiredClaims is stored as null; nothing but the fields reaches the row', async (tt) => {
  const plan = planPartnerCreate('acme', { ...FIELDS, claimMapping: {}, requiredClaims: {}, extra: 'x' } as typeof FIELDS, 'cli', T0)
  tt.match(plan.outcome, { claimMapping: null, requiredClaims: null })
  tt.notOk('extra' in plan.outcome)
  const write = plan.write!.change as unknown as { row: Record<string, unknown> }
  tt.notOk('extra' in write.row)
  tt.equal(write.row.claimMapping, null)
})

t.test('partner update: missing is not_found; a stale If-Match is version_mismatch; neither writes', async (tt) => {
  tt.same(planPartnerUpdate(null, { name: 'X' }, { actor: 'cli' }, T1), { outcome: { ok: false, reason: 'not_found' } })
  tt.same(planPartnerUpdate(row(), { name: 'X' }, { expectedVersion: 2, actor: 'cli' }, T1), { outcome: { ok: false, reason: 'version_mismatch' } })
  tt.ok(planPartnerUpdate(row(), { name: 'X' }, { expectedVersion: 3, actor: 'cli' }, T1).write, 'the current version writes')
})

t.test('partner update: only the fields whose value differs are written and audited, the version moves by one', async (tt) => {
  const plan = planPartnerUpdate(row(), { name: 'Acme', jwtAudience: 'api', status: 'disabled', maxTokenLifetimeSeconds: 3600 }, { actor: 'cli' }, T1)
  tt.same(plan.write, {
    change: { kind: 'update', set: { version: 4, updatedAt: T1, jwtAudience: 'api', status: 'disabled' } },
    audit: { at: T1, actor: 'cli', action: 'partner.update', partnerId: 'acme', changedFields: ['jwtAudience', 'status'] },
    movesRevision: true,
  })
  tt.match(plan.outcome, { ok: true, record: { version: 4, jwtAudience: 'api', status: 'disabled', updatedAt: new Date(T1).toISOString(), createdAt: new Date(T0).toISOString() } })
})

t.test('partner update: a write that changes nothing writes nothing and keeps the version', async (tt) => {
  const plan = planPartnerUpdate(row({ claimMapping: { email: 'mail', phone: 'tel' } }), { name: 'Acme', claimMapping: { phone: 'tel', email: 'mail' } }, { actor: 'cli' }, T1)
  tt.equal(plan.write, undefined)
  tt.match(plan.outcome, { ok: true, record: { version: 3, updatedAt: new Date(T0).toISOString() } })
  tt.equal(planPartnerUpdate(row(), {}, { actor: 'cli' }, T1).write, undefined)
})

t.test('partner update: object fields compare by their entries, and null against an object is a change', async (tt) => {
  const current = row({ requiredClaims: { tenant: 't1' } })
  tt.match(planPartnerUpdate(current, { requiredClaims: { tenant: 't2' } }, { actor: 'cli' }, T1).write, { audit: { changedFields: ['requiredClaims'] } })
  tt.match(planPartnerUpdate(current, { requiredClaims: { tenant: 't1', plan: 'x' } }, { actor: 'cli' }, T1).write, { audit: { changedFields: ['requiredClaims'] } })
  tt.match(planPartnerUpdate(current, { requiredClaims: null }, { actor: 'cli' }, T1).write, { change: { set: { requiredClaims: null } } })
  tt.match(planPartnerUpdate(row(), { requiredClaims: { tenant: 't1' } }, { actor: 'cli' }, T1).write, { change: { set: { requiredClaims: { tenant: 't1' } } } })
})

t.test('partner update: an emptied claimMapping or requiredClaims is stored as null, and null onto null is no change', async (tt) => {
  const current = row({ claimMapping: { email: 'mail' }, requiredClaims: { tenant: 't1' } })
  const plan = planPartnerUpdate(current, { claimMapping: {}, requiredClaims: {} }, { actor: 'cli' }, T1)
  tt.same(plan.write?.change, { kind: 'update', set: { version: 4, updatedAt: T1, claimMapping: null, requiredClaims: null } })
  tt.equal(planPartnerUpdate(row(), { claimMapping: {}, requiredClaims: {} }, { actor: 'cli' }, T1).write, undefined)
})

t.test('partner delete: missing, stale, still active, then the delete, audited with no fields', async (tt) => {
  tt.same(planPartnerDelete(null, { actor: 'cli' }, T1), { outcome: { ok: false, reason: 'not_found' } })
  tt.same(planPartnerDelete(row({ status: 'disabled' }), { expectedVersion: 1, actor: 'cli' }, T1), { outcome: { ok: false, reason: 'version_mismatch' } })
  tt.same(planPartnerDelete(row(), { actor: 'cli' }, T1), { outcome: { ok: false, reason: 'not_disabled' } })
  tt.same(planPartnerDelete(row({ status: 'disabled' }), { expectedVersion: 3, actor: 'cli' }, T1), {
    outcome: { ok: true },
    write: { change: { kind: 'delete' }, audit: { at: T1, actor: 'cli', action: 'partner.delete', partnerId: 'acme', changedFields: [] }, movesRevision: true },
  })
})

t.test('API key create: the hash is stored, never answered; audited; the revision stays', async (tt) => {
  const plan = planApiKeyCreate({ id: 'k1', partnerId: 'acme', prefix: 'gh_pk_abc', hash: 'h' }, 'admin:ops', T0)
  tt.same(plan, {
    outcome: { id: 'k1', partnerId: 'acme', prefix: 'gh_pk_abc', createdAt: new Date(T0).toISOString(), revokedAt: null },
    write: {
      change: { kind: 'insert', row: { id: 'k1', partnerId: 'acme', prefix: 'gh_pk_abc', keyHash: 'h', createdAt: T0, revokedAt: null } },
      audit: { at: T0, actor: 'admin:ops', action: 'api_key.create', partnerId: 'acme', changedFields: ['apiKey'] },
      movesRevision: false,
    },
  })
})

t.test('API key revoke: once, and only through its own partner', async (tt) => {
  const key: ApiKeyRow = { id: 'k1', partnerId: 'acme', prefix: 'p', keyHash: 'h', createdAt: T0, revokedAt: null }
  tt.same(planApiKeyRevoke(null, 'acme', 'cli', T1), { outcome: false })
  tt.same(planApiKeyRevoke(key, 'other', 'cli', T1), { outcome: false })
  tt.same(planApiKeyRevoke({ ...key, revokedAt: T0 }, 'acme', 'cli', T1), { outcome: false })
  tt.same(planApiKeyRevoke(key, 'acme', 'cli', T1), {
    outcome: true,
    write: {
      change: { kind: 'update', set: { revokedAt: T1 } },
      audit: { at: T1, actor: 'cli', action: 'api_key.revoke', partnerId: 'acme', changedFields: ['apiKey'] },
      movesRevision: false,
    },
  })
})

t.test('admin token create and revoke: audited without a partner, revoked once, the revision stays', async (tt) => {
  const plan = planAdminTokenCreate({ id: 'a1', prefix: 'gh_admin_x', hash: 'h', label: 'ops' }, 'cli', T0)
  tt.same(plan, {
    outcome: { id: 'a1', prefix: 'gh_admin_x', label: 'ops', createdAt: new Date(T0).toISOString(), revokedAt: null },
    write: {
      change: { kind: 'insert', row: { id: 'a1', prefix: 'gh_admin_x', tokenHash: 'h', label: 'ops', createdAt: T0, revokedAt: null } },
      audit: { at: T0, actor: 'cli', action: 'admin_token.create', partnerId: null, changedFields: ['adminToken'] },
      movesRevision: false,
    },
  })
  const token: AdminTokenRow = { id: 'a1', prefix: 'p', tokenHash: 'h', label: null, createdAt: T0, revokedAt: null }
  tt.same(planAdminTokenRevoke(null, 'cli', T1), { outcome: false })
  tt.same(planAdminTokenRevoke({ ...token, revokedAt: T0 }, 'cli', T1), { outcome: false })
  tt.same(planAdminTokenRevoke(token, 'cli', T1), {
    outcome: true,
    write: {
      change: { kind: 'update', set: { revokedAt: T1 } },
      audit: { at: T1, actor: 'cli', action: 'admin_token.revoke', partnerId: null, changedFields: ['adminToken'] },
      movesRevision: false,
    },
  })
})

t.test('session revocation: the instant rounded down to the second, the partner lifetime kept, audited', async (tt) => {
  tt.same(planSessionRevocation('acme', { actor: 'cli', maxTokenLifetimeSeconds: 900 }, T1), {
    set: { tokensValidAfter: T0 + 61_000, revocationLifetimeSeconds: 900, updatedAt: T1 },
    audit: { at: T1, actor: 'cli', action: 'user.revoke_sessions', partnerId: 'acme', changedFields: ['tokensValidAfter'] },
  })
})

t.test('refusals: 200 kept per partner, stored with the time in epoch ms', async (tt) => {
  tt.equal(REFUSALS_KEPT_PER_PARTNER, 200)
  const refusal = { at: new Date(T1).toISOString(), code: 'token_expired', detail: 'd', kid: 'k', sub: 's', iat: 1, exp: 2, aud: ['a'] }
  tt.same(refusalRow('acme', refusal), { partnerId: 'acme', ...refusal, at: T1 })
})
