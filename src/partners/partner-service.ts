// Partner use-cases for the admin API and the CLI: validated writes that the verifier sees at once.
import { AppError } from '../errors.js'
import type { Actor, PartnerFields, PartnerRecord, Store } from '../storage/types.js'
import type { IssuerDirectory, KeyView } from '../tokens/issuer-directory.js'
import type { PartnerCreate, PartnerPatch } from './partner-fields.js'
import { assertPartnerRules } from './partner-rules.js'

export interface PartnerWriteResult {
  partner: PartnerRecord
  /** Present when the write set a jwksUrl or openidConfigurationUrl: what one fetch of it found wrong. Never fails the write. */
  warnings?: string[]
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600

export function warningsFromKeyView(view: KeyView | undefined): string[] {
  if (!view || view.source !== 'jwks') return []
  const warnings: string[] = []
  if (view.lastError) warnings.push(`JWKS unreachable: ${view.lastError}`)
  else if (!view.keys.some((k) => k.usable)) warnings.push('JWKS has no usable key')
  for (const k of view.keys) {
    if (!k.usable) warnings.push(`key ${k.kid ?? '(no kid)'} skipped: ${k.reason ?? 'unusable'}`)
  }
  return warnings
}

export interface PartnerService {
  create(input: PartnerCreate, actor: Actor): Promise<PartnerWriteResult>
  update(id: string, patch: PartnerPatch, options: { expectedVersion?: number; actor: Actor }): Promise<PartnerWriteResult>
  remove(id: string, options: { expectedVersion?: number; actor: Actor }): Promise<void>
}

/**
 * A merge-patch of an object of strings (RFC 7396): `null` clears the whole object, otherwise each key set to
 * null is removed and each other key replaces. `undefined` when the patch leaves the field alone.
 */
function mergeEntries<T extends Record<string, string>>(
  current: T | null,
  patch: Partial<Record<keyof T, string | null>> | null | undefined,
): T | null | undefined {
  if (patch === undefined) return undefined
  if (patch === null) return null
  // A Map, so a key such as "__proto__" is an entry like any other.
  const merged = new Map<string, string>(Object.entries(current ?? {}))
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key)
    else if (value !== undefined) merged.set(key, value)
  }
  return Object.fromEntries(merged) as T
}

/** The store changes a merge-patch makes to `current`: scalars as given, the object fields merged key by key. */
function changesOf(current: PartnerRecord, patch: PartnerPatch): Partial<PartnerFields> {
  const { claimMapping, requiredClaims, ...scalars } = patch
  const changes: Partial<PartnerFields> = { ...scalars }
  const mapping = mergeEntries(current.claimMapping, claimMapping)
  if (mapping !== undefined) changes.claimMapping = mapping
  const required = mergeEntries(current.requiredClaims, requiredClaims)
  if (required !== undefined) changes.requiredClaims = required
  return changes
}

/** The write sets a URL the keys are fetched from: it is fetched once and reported on. */
const setsKeyUrl = (changes: Partial<PartnerFields>) =>
  (changes.jwksUrl !== undefined && changes.jwksUrl !== null) || (changes.openidConfigurationUrl !== undefined && changes.openidConfigurationUrl !== null)

export function createPartnerService(deps: { store: Store; directory: IssuerDirectory; allowPrivateNetwork: boolean }): PartnerService {
  const { store, directory } = deps

  async function afterWrite(partner: PartnerRecord, setKeyUrl: boolean): Promise<PartnerWriteResult> {
    // Rebuild the issuer index before answering, so the very next request sees the change.
    await directory.sync()
    if (!setKeyUrl || (partner.jwksUrl === null && partner.openidConfigurationUrl === null)) return { partner }
    return { partner, warnings: warningsFromKeyView(await directory.refreshKeys(partner.id)) }
  }

  return {
    async create(input, actor) {
      const fields: PartnerFields = {
        name: input.name,
        jwtIssuer: input.jwtIssuer,
        jwksUrl: input.jwksUrl ?? null,
        openidConfigurationUrl: input.openidConfigurationUrl ?? null,
        jwtPublicKey: input.jwtPublicKey ?? null,
        jwtAudience: input.jwtAudience ?? null,
        maxTokenLifetimeSeconds: input.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
        requireIssuedAt: input.requireIssuedAt ?? true,
        claimMapping: input.claimMapping ?? null,
        requiredClaims: input.requiredClaims ?? null,
        profileUpdate: input.profileUpdate ?? 'never',
        status: input.status ?? 'active',
      }
      assertPartnerRules(fields, deps.allowPrivateNetwork)
      const partner = await store.partners.create(input.id, fields, actor)
      return afterWrite(partner, setsKeyUrl(fields))
    },
    async update(id, patch, { expectedVersion, actor }) {
      // The rules are checked on the merged record, so the write must land on the version they saw:
      // with If-Match a mismatch is 412; without it a concurrent write just means merging again.
      for (let attempt = 1; ; attempt++) {
        const current = await store.partners.get(id)
        if (!current) throw new AppError('not_found', `no partner ${id}`)
        if (expectedVersion !== undefined && current.version !== expectedVersion) {
          throw new AppError('precondition_failed', `partner is at version ${current.version}, not ${expectedVersion}`)
        }
        const changes = changesOf(current, patch)
        assertPartnerRules({ ...pickFields(current), ...changes }, deps.allowPrivateNetwork)
        const outcome = await store.partners.update(id, changes, { expectedVersion: current.version, actor })
        if (outcome.ok) return afterWrite(outcome.record, setsKeyUrl(changes))
        if (outcome.reason === 'not_found') throw new AppError('not_found', `no partner ${id}`)
        if (expectedVersion !== undefined || attempt === 3) {
          throw new AppError('precondition_failed', 'partner changed concurrently; fetch it and retry')
        }
      }
    },
    async remove(id, { expectedVersion, actor }) {
      const outcome = await store.partners.delete(id, { expectedVersion, actor })
      if (!outcome.ok) {
        if (outcome.reason === 'not_found') throw new AppError('not_found', `no partner ${id}`)
        if (outcome.reason === 'version_mismatch') throw new AppError('precondition_failed', `partner is at another version than ${expectedVersion}`)
        throw new AppError('conflict', 'disable the partner before deleting it')
      }
      await directory.sync()
    },
  }
}

function pickFields(p: PartnerRecord): PartnerFields {
  const { id: _id, version: _v, createdAt: _c, updatedAt: _u, ...fields } = p
  return fields
}
