// Bench keys and token pools, minted once in worker threads and cached under bench/.cache (gitignored).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { PublicJwk } from '../src/cli/dev-keys.js'

export type { PublicJwk }

export const CACHE_DIR = new URL('./.cache/', import.meta.url).pathname
export const ISSUER = 'https://partner.bench.example'
export const AUDIENCE = 'gatehouse-bench'
export const KID = 'bench-2048'
/** The longest lifetime a Gatehouse partner may allow, so cached tokens last a day. */
export const TOKEN_LIFETIME_SECONDS = 86_400
/** A cached chunk is re-minted when it has less than this left, so no token expires mid-run. */
const MIN_REMAINING_SECONDS = 2 * 3600
const CHUNK = 50_000
/**
 * The fat-token variant's extra claims: this many small objects come to about 7 KiB once base64url-encoded,
 * keeping the whole token just under Gatehouse's 8 KiB limit.
 */
export const FAT_CLAIM_GROUPS = 140

export interface BenchKeys {
  privateKeyPem: string
  /** The signing key's JWK, plus a decoy the JWKS also serves, so lookups are by kid. */
  jwks: PublicJwk[]
  /** A second key's SPKI PEM, for the seeded static-key partners of the scale scenario. */
  otherSpkiPem: string
  fingerprint: string
}

function jwkOf(publicKey: KeyObject, kid: string): PublicJwk {
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
  return { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' }
}

function loadOrCreatePem(file: string): string {
  const path = join(CACHE_DIR, file)
  if (existsSync(path)) return readFileSync(path, 'utf8')
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  writeFileSync(path, pem, { mode: 0o600 })
  return pem
}

export function loadKeys(): BenchKeys {
  mkdirSync(CACHE_DIR, { recursive: true })
  const privateKeyPem = loadOrCreatePem('bench-key.pem')
  const otherPem = loadOrCreatePem('other-key.pem')
  const publicKey = createPublicKey(createPrivateKey(privateKeyPem))
  const other = createPublicKey(createPrivateKey(otherPem))
  const signing = jwkOf(publicKey, KID)
  return {
    privateKeyPem,
    jwks: [jwkOf(other, 'bench-old'), signing],
    otherSpkiPem: other.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: createHash('sha256').update(signing.n).digest('hex').slice(0, 16),
  }
}

/** Fixed-width tokens in one buffer: token i is bytes [i·(L+1), i·(L+1)+L). */
export interface TokenPool {
  readonly size: number
  get(i: number): string
}

/** What bench/mint-worker.mjs signs: `sub` is `${subPrefix}${index padded to 7 digits}`. */
interface MintJob {
  privateKeyPem: string
  kid: string
  iss: string
  aud: string
  subPrefix: string
  /** How many `{ id, role }` objects the token's `groups` claim holds; 0 leaves the claim out. */
  extraClaimGroups: number
  start: number
  count: number
  iat: number
  exp: number
}

interface ChunkMeta {
  fingerprint: string
  subPrefix: string
  extraClaimGroups: number
  start: number
  count: number
  iat: number
  exp: number
  length: number
}

interface Chunk {
  meta: ChunkMeta
  data: Buffer
}

async function mintRange(keys: BenchKeys, subPrefix: string, extraClaimGroups: number, start: number, count: number, iat: number): Promise<string> {
  const workers = Math.max(1, Math.min(availableParallelism(), 8))
  const per = Math.ceil(count / workers)
  const jobs: Promise<string>[] = []
  for (let w = 0; w < workers; w++) {
    const from = start + w * per
    const n = Math.min(per, start + count - from)
    if (n <= 0) break
    const job: MintJob = { privateKeyPem: keys.privateKeyPem, kid: KID, iss: ISSUER, aud: AUDIENCE, subPrefix, extraClaimGroups, start: from, count: n, iat, exp: iat + TOKEN_LIFETIME_SECONDS }
    jobs.push(
      new Promise<string>((resolve, reject) => {
        const worker = new Worker(new URL('./mint-worker.mjs', import.meta.url), { workerData: job })
        worker.once('message', resolve)
        worker.once('error', reject)
      }),
    )
  }
  return (await Promise.all(jobs)).join('\n')
}

async function loadChunk(keys: BenchKeys, name: string, subPrefix: string, extraClaimGroups: number, start: number, count: number): Promise<Chunk> {
  const metaPath = join(CACHE_DIR, `${name}.json`)
  const dataPath = join(CACHE_DIR, `${name}.tok`)
  const nowS = Math.floor(Date.now() / 1000)
  if (existsSync(metaPath) && existsSync(dataPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as ChunkMeta
    if (meta.fingerprint === keys.fingerprint && meta.start === start && meta.count === count && meta.subPrefix === subPrefix && meta.extraClaimGroups === extraClaimGroups && meta.exp - nowS > MIN_REMAINING_SECONDS) {
      return { meta, data: readFileSync(dataPath) }
    }
  }
  const text = await mintRange(keys, subPrefix, extraClaimGroups, start, count, nowS)
  const length = text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')
  const data = Buffer.from(text, 'latin1')
  if (data.length !== count * (length + 1) - 1) throw new Error(`minted tokens of ${name} are not fixed-width`)
  const meta: ChunkMeta = { fingerprint: keys.fingerprint, subPrefix, extraClaimGroups, start, count, iat: nowS, exp: nowS + TOKEN_LIFETIME_SECONDS, length }
  writeFileSync(dataPath, data)
  writeFileSync(metaPath, JSON.stringify(meta))
  return { meta, data }
}

export interface PoolOptions {
  /** Hears about every chunk, cached or minted. */
  onProgress?: (done: number, total: number) => void
  /** Extra claims in every token (FAT_CLAIM_GROUPS for the fat-token variant); 0 by default. */
  extraClaimGroups?: number
}

/**
 * `count` distinct valid tokens (distinct `sub`s `${subPrefix}0000000`…), minted in chunks of 50,000 that are
 * cached on disk for about a day.
 */
export async function loadPool(keys: BenchKeys, name: string, subPrefix: string, count: number, options: PoolOptions = {}): Promise<TokenPool> {
  const { onProgress, extraClaimGroups = 0 } = options
  const chunks: Chunk[] = []
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start)
    // A pool's chunk size is fixed so a smaller (quick) pool reuses the prefix of a larger (full) one.
    chunks.push(await loadChunk(keys, `${name}-${String(start / CHUNK).padStart(3, '0')}${n === CHUNK ? '' : `-${n}`}`, subPrefix, extraClaimGroups, start, n))
    onProgress?.(start + n, count)
  }
  return {
    size: count,
    get(i) {
      const chunk = chunks[Math.floor(i / CHUNK)]!
      const at = (i % CHUNK) * (chunk.meta.length + 1)
      return chunk.data.toString('latin1', at, at + chunk.meta.length)
    },
  }
}

/** The `sub` of token `i` of a pool. */
export const subOf = (subPrefix: string, i: number) => `${subPrefix}${String(i).padStart(7, '0')}`
