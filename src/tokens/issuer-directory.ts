// The verifier's in-memory index of token issuers: each partner by `iss` and by id with its key source, kept in step with the store.
import type { KeyObject } from 'node:crypto'
import type { PartnerRecord } from '../storage/types.js'
import { importRsaPublicKeyPem } from './import-rsa-public-key-pem.js'
import type { JwksKeySource, JwksView } from './jwks-cache.js'

export type PartnerKeys = { kind: 'static'; key: KeyObject; bits: number } | { kind: 'jwks'; source: JwksKeySource }

/** What the verifier needs of a partner: its rules and its key source, built once per record version. */
export interface PartnerEntry {
  readonly record: PartnerRecord
  readonly keys: PartnerKeys
}

export interface StaticKeyView {
  source: 'static'
  keys: { kid: null; alg: 'RS256'; bits: number; usable: true; reason: null }[]
}

export type KeyView = JwksView | StaticKeyView

export interface PartnerSource {
  list(): Promise<PartnerRecord[]>
  revision(): Promise<number>
}

export interface JwksCacheLike {
  forPartner(partnerId: string, jwksUrl: string): JwksKeySource
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

function buildEntry(record: PartnerRecord, jwks: JwksCacheLike): PartnerEntry {
  if (record.jwtPublicKey !== null) {
    const imported = importRsaPublicKeyPem(record.jwtPublicKey)
    // Checked when written; a record failing now was written around the API: it is left out of the
    // directory (its tokens answer unknown_issuer) rather than breaking every other partner's load.
    if (!imported.ok) throw new Error(`partner ${record.id}: stored public key ${imported.reason}`)
    return { record, keys: { kind: 'static', key: imported.key, bits: imported.bits } }
  }
  return { record, keys: { kind: 'jwks', source: jwks.forPartner(record.id, record.jwksUrl ?? '') } }
}

/** The same stored version of the same record: a re-created partner restarts at version 1 with a new createdAt. */
function isSameVersion(a: PartnerRecord, b: PartnerRecord): boolean {
  return a.version === b.version && a.createdAt === b.createdAt
}

function staticView(keys: Extract<PartnerKeys, { kind: 'static' }>): StaticKeyView {
  return { source: 'static', keys: [{ kid: null, alg: 'RS256', bits: keys.bits, usable: true, reason: null }] }
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
        if (previous && previous.record.createdAt !== record.createdAt) jwks.forget(record.id)
        try {
          entry = buildEntry(record, jwks)
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
