// The token core without HTTP or a database: partner records held in memory, a real JWKS cache and issuer directory, a fake clock.
import type { PartnerRecord } from '../../src/storage/types.js'
import { createIssuerDirectory, type IssuerDirectory } from '../../src/tokens/issuer-directory.js'
import { createJwksCache, type JwksCacheEvents } from '../../src/tokens/jwks-cache.js'
import { createTokenVerifier, type TokenVerifier } from '../../src/tokens/token-verifier.js'
import type { VerifyOptions } from '../../src/tokens/verify-partner-token.js'
import { partnerFields } from './partner-fields.js'

export const SKEW = 60

/**
 * A complete partner record: the stored defaults of partnerFields(), a name and issuer derived from the id, no key
 * source, the default lifetime, active at version 1; `over` sets the rest.
 */
export function partnerRecord(over: Partial<PartnerRecord> & { id: string }): PartnerRecord {
  const at = '2030-01-01T00:00:00.000Z'
  const { id, version = 1, createdAt = at, updatedAt = at, ...fields } = over
  const stored = partnerFields({
    name: `Partner ${id}`,
    jwtIssuer: `https://${id}.example`,
    jwksUrl: null,
    jwtPublicKey: null,
    jwtAudience: null,
    maxTokenLifetimeSeconds: 3600,
    status: 'active',
    ...fields,
  })
  return { id, ...stored, version, createdAt, updatedAt }
}

export interface TokenCore {
  directory: IssuerDirectory
  /** Epoch ms, whole seconds, so token times minted from it compare exactly. */
  clock: { now: number }
  nowSec(): number
  options: VerifyOptions
  /** The /me verifier over the same directory, with a result cache of `cacheMaxBytes`. */
  verifier(cacheMaxBytes?: number): TokenVerifier
  /** Replaces the records the directory loads (a partner write) and reloads. */
  setRecords(records: PartnerRecord[]): Promise<void>
  fetches: { partnerId: string; document: string; outcome: string }[]
}

export async function tokenCore(records: PartnerRecord[], options: { events?: JwksCacheEvents } = {}): Promise<TokenCore> {
  const clock = { now: Math.floor(Date.now() / 1000) * 1000 }
  const now = () => clock.now
  const fetches: TokenCore['fetches'] = []
  const jwks = createJwksCache({
    allowPrivateNetwork: true,
    now,
    events: options.events ?? { onFetch: ({ partnerId, document, outcome }) => fetches.push({ partnerId, document, outcome }) },
  })
  let current = records
  let revision = 1
  const directory = createIssuerDirectory({ list: async () => current, revision: async () => revision }, jwks)
  await directory.sync()
  const verifyOptions: VerifyOptions = { directory, skewSeconds: SKEW, now }
  return {
    directory,
    clock,
    nowSec: () => Math.floor(clock.now / 1000),
    options: verifyOptions,
    verifier: (cacheMaxBytes = 1024 * 1024) => createTokenVerifier({ ...verifyOptions, cacheMaxBytes }),
    async setRecords(next) {
      current = next
      revision++
      await directory.sync()
    },
    fetches,
  }
}
