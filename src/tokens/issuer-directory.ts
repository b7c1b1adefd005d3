// The verifier's in-memory index of token issuers: each partner by `iss` and by id with its key source, kept in step with the store.
import type { PartnerRecord } from '../storage/types.js'
import { importRsaPublicKeyPem } from './import-rsa-public-key-pem.js'
import type { JwksKeySource, JwksView, KeyLocation } from './jwks-cache.js'
import type { CandidateKey, KeyUsage } from './jwks-key-set.js'

export type PartnerKeys =
  | {
      kind: 'static'
      bits: number
      /** The key as the verifier tries it (a list of one, imported on first use), with its usage record. */
      readonly candidates: readonly CandidateKey[]
    }
  | { kind: 'jwks'; source: JwksKeySource }

/** What the verifier needs of a partner: its rules and its key source, built once per record version. */
export interface PartnerEntry {
  readonly record: PartnerRecord
  readonly keys: PartnerKeys
}

export interface StaticKeyView {
  source: 'static'
  keys: { kid: null; alg: 'RS256'; bits: number; usable: true; reason: null; lastVerifiedAt: string | null }[]
}

export type KeyView = JwksView | StaticKeyView

export interface PartnerSource {
  list(): Promise<PartnerRecord[]>
  revision(): Promise<number>
}

export interface JwksCacheLike {
  forPartner(partnerId: string, location: KeyLocation): JwksKeySource
  forget(partnerId: string): void
}

export interface IssuerDirectory {
  byIssuer(iss: string): PartnerEntry | undefined
  byId(id: string): PartnerEntry | undefined
  /** Reloads from the store if its partner revision moved; calls are serialised so an older load never wins. */
  sync(): Promise<void>
  /** Polls `sync` so writes made by other instances hold here within `intervalMs`. */
  startPolling(intervalMs: number, onError: (err: unknown) => void): void
  stop(): void
  keyView(id: string): KeyView | undefined
  refreshKeys(id: string): Promise<KeyView | undefined>
}

/** Where a JWKS partner's keys are published: its discovery document (judged against its issuer), else its JWKS URL. */
function keyLocation(record: PartnerRecord): KeyLocation {
  if (record.openidConfigurationUrl) return { openidConfigurationUrl: record.openidConfigurationUrl, issuer: record.jwtIssuer }
  return record.jwksUrl ?? ''
}

/**
 * A static key is checked when its record loads, but its KeyObject is dropped and imported again on first use:
 * each imported RSA key holds about 3 KB of OpenSSL memory, so 10,000 idle partners would otherwise cost ~30 MB.
 */
function staticKeys(pem: string, bits: number): PartnerKeys {
  const usage: KeyUsage = { lastVerifiedAt: null }
  let candidates: readonly CandidateKey[] | undefined
  return {
    kind: 'static',
    bits,
    get candidates() {
      if (candidates === undefined) {
        const imported = importRsaPublicKeyPem(pem)
        // The same text passed this check when the record loaded.
        if (!imported.ok) throw new Error(`stored public key ${imported.reason}`)
        candidates = Object.freeze([Object.freeze({ key: imported.key, usage, label: 'the static key' })])
      }
      return candidates
    },
  }
}

/** `previous` is the entry of the record's last version: an unchanged static key keeps its keys (and usage record). */
function buildEntry(record: PartnerRecord, jwks: JwksCacheLike, previous: PartnerEntry | undefined): PartnerEntry {
  if (record.jwtPublicKey !== null) {
    if (previous?.keys.kind === 'static' && previous.record.jwtPublicKey === record.jwtPublicKey) return { record, keys: previous.keys }
    const imported = importRsaPublicKeyPem(record.jwtPublicKey)
    // Checked when written; a record failing now was written around the API: it is left out of the
    // directory (its tokens answer unknown_issuer) rather than breaking every other partner's load.
    if (!imported.ok) throw new Error(`partner ${record.id}: stored public key ${imported.reason}`)
    return { record, keys: staticKeys(record.jwtPublicKey, imported.bits) }
  }
  return { record, keys: { kind: 'jwks', source: jwks.forPartner(record.id, keyLocation(record)) } }
}

/** The same stored version of the same record: a re-created partner restarts at version 1 with a new createdAt. */
function isSameVersion(a: PartnerRecord, b: PartnerRecord): boolean {
  return a.version === b.version && a.createdAt === b.createdAt
}

function staticView(keys: Extract<PartnerKeys, { kind: 'static' }>): StaticKeyView {
  const at = keys.candidates[0]!.usage.lastVerifiedAt
  return { source: 'static', keys: [{ kid: null, alg: 'RS256', bits: keys.bits, usable: true, reason: null, lastVerifiedAt: at === null ? null : new Date(at).toISOString() }] }
}

export function createIssuerDirectory(source: PartnerSource, jwks: JwksCacheLike): IssuerDirectory {
  let byIssuer = new Map<string, PartnerEntry>()
  let byId = new Map<string, PartnerEntry>()
  let revision = -1
  let queue: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined

  async function reload(): Promise<void> {
    const current = await source.revision()
    if (current === revision) return
    const records = await source.list()
    const nextById = new Map<string, PartnerEntry>()
    const nextByIssuer = new Map<string, PartnerEntry>()
    for (const record of records) {
      const previous = byId.get(record.id)
      let entry: PartnerEntry
      if (previous && isSameVersion(previous.record, record)) entry = previous
      else {
        // A partner deleted and re-created under the same id starts again at version 1: it must not
        // inherit the keys the old record's JWKS served.
        const recreated = previous !== undefined && previous.record.createdAt !== record.createdAt
        if (recreated) jwks.forget(record.id)
        try {
          entry = buildEntry(record, jwks, recreated ? undefined : previous)
        } catch {
          continue
        }
      }
      nextById.set(record.id, entry)
      nextByIssuer.set(record.jwtIssuer, entry)
    }
    for (const id of byId.keys()) if (!nextById.has(id)) jwks.forget(id)
    byId = nextById
    byIssuer = nextByIssuer
    revision = current
  }

  const directory: IssuerDirectory = {
    byIssuer: (iss) => byIssuer.get(iss),
    byId: (id) => byId.get(id),
    sync() {
      queue = queue.then(reload, reload)
      return queue
    },
    startPolling(intervalMs, onError) {
      timer = setInterval(() => directory.sync().catch(onError), intervalMs)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
    },
    keyView(id) {
      const entry = byId.get(id)
      if (!entry) return undefined
      return entry.keys.kind === 'static' ? staticView(entry.keys) : entry.keys.source.view()
    },
    async refreshKeys(id) {
      const entry = byId.get(id)
      if (!entry) return undefined
      return entry.keys.kind === 'static' ? staticView(entry.keys) : entry.keys.source.refresh()
    },
  }
  return directory
}
