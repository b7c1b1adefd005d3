// Integrator key tooling: RSA key pairs, their files, JWK views and kid, and RS256 test tokens (via jose).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { calculateJwkThumbprint, SignJWT } from 'jose'
import { CliError } from './cli-error.js'
import { type ShapeInput, type TokenPreset, tokenShape } from './dev-token-shapes.js'

export interface PublicJwk {
  kty: 'RSA'
  n: string
  e: string
  kid: string
  alg: 'RS256'
  use: 'sig'
}

export interface DevKey {
  kid: string
  /** Absent when only a public key was loaded: such a key can be served, not used to sign. */
  privateKey: KeyObject | null
  publicKey: KeyObject
  publicJwk: PublicJwk
  bits: number
}

export interface DevKeyFiles {
  privatePem: string
  publicPem: string
  jwks: string
}

async function devKey(privateKey: KeyObject | null, publicKey: KeyObject, kid: string | undefined): Promise<DevKey> {
  if (publicKey.asymmetricKeyType !== 'rsa') throw new CliError(`key is ${publicKey.asymmetricKeyType}; Gatehouse verifies RSA (RS256) only`)
  const { n, e } = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
  // The RFC 7638 thumbprint makes a stable default kid: the same key always gets the same kid.
  const resolvedKid = kid ?? (await calculateJwkThumbprint({ kty: 'RSA', n, e }))
  return {
    kid: resolvedKid,
    privateKey,
    publicKey,
    publicJwk: { kty: 'RSA', n, e, kid: resolvedKid, alg: 'RS256', use: 'sig' },
    bits: publicKey.asymmetricKeyDetails?.modulusLength ?? 0,
  }
}

export async function generateDevKey(options: { kid?: string; bits?: number } = {}): Promise<DevKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 2048 })
  return devKey(privateKey, publicKey, options.kid)
}

export function devKeyPaths(dir: string, name: string): DevKeyFiles {
  return { privatePem: join(dir, `${name}.private.pem`), publicPem: join(dir, `${name}.public.pem`), jwks: join(dir, `${name}.jwks.json`) }
}

/** Writes the private key (PKCS#8, mode 0600), the public key (SPKI) and a one-key JWKS ready to serve. */
export function writeDevKeyFiles(key: DevKey, files: DevKeyFiles, force: boolean): void {
  if (!key.privateKey) throw new CliError('cannot write a key pair without its private key')
  if (!force) {
    for (const file of Object.values(files)) if (existsSync(file)) throw new CliError(`${file} exists; pass --force to overwrite it`)
  }
  writeFileSync(files.privatePem, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 })
  writeFileSync(files.publicPem, key.publicKey.export({ type: 'spki', format: 'pem' }).toString())
  writeFileSync(files.jwks, `${JSON.stringify({ keys: [key.publicJwk] }, null, 2)}\n`)
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}

/** The kid that `dev keygen` recorded in the JWKS beside `file`, if that JWKS holds this key. */
function recordedKid(file: string, n: string): string | undefined {
  const base = file.replace(/\.(private|public)\.pem$|\.pem$/, '')
  const jwksFile = `${base}.jwks.json`
  if (jwksFile === file || !existsSync(jwksFile)) return undefined
  try {
    const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys?: { n?: unknown; kid?: unknown }[] }
    const match = jwks.keys?.find((k) => k.n === n && typeof k.kid === 'string')
    return match?.kid as string | undefined
  } catch {
    return undefined
  }
}

/**
 * Loads a PEM private key (PKCS#8 or PKCS#1), a PEM public key, a JWK or a JWKS (its first key, or the one
 * whose kid is `kid`). Without `kid`, the kid is the one recorded by `dev keygen`, else the key's thumbprint.
 */
export async function loadDevKey(file: string, options: { kid?: string; flag?: string } = {}): Promise<DevKey> {
  const flag = options.flag ?? '--key'
  const text = readText(file, flag)
  let privateKey: KeyObject | null = null
  let publicKey: KeyObject
  let jsonKid: string | undefined
  try {
    if (text.trimStart().startsWith('{')) {
      const parsed = JSON.parse(text) as { keys?: Record<string, unknown>[] } & Record<string, unknown>
      const jwk = Array.isArray(parsed.keys) ? (parsed.keys.find((k) => options.kid === undefined || k.kid === options.kid) ?? null) : parsed
      if (!jwk) throw new CliError(`${flag}: ${file} has no key with kid ${options.kid}`)
      jsonKid = typeof jwk.kid === 'string' ? jwk.kid : undefined
      if (typeof jwk.d === 'string') {
        privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' })
        publicKey = createPublicKey(privateKey)
      } else publicKey = createPublicKey({ key: jwk as never, format: 'jwk' })
    } else if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      privateKey = createPrivateKey(text)
      publicKey = createPublicKey(privateKey)
    } else {
      publicKey = createPublicKey(text)
    }
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`${flag}: ${file} is not a usable key (PEM, JWK or JWKS expected): ${err instanceof Error ? err.message : String(err)}`)
  }
  const { n } = publicKey.export({ format: 'jwk' }) as { n: string }
  return devKey(privateKey, publicKey, options.kid ?? jsonKid ?? recordedKid(file, n))
}

export interface MintInput extends Omit<ShapeInput, 'now'> {
  /** The partner token shape to sign; `standard` (sub, iat, exp, kid) unless given. */
  preset?: TokenPreset
  /** Extra claims; they override the shape's (`iat`, `exp`, …), so an expired token is just `{"exp": …}`. */
  claims?: Record<string, unknown>
  /** Epoch seconds. */
  now?: number
}

export interface MintedToken {
  token: string
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

export async function mintDevToken(key: DevKey, input: MintInput): Promise<MintedToken> {
  if (!key.privateKey) throw new CliError('--key: a private key is needed to sign (this file holds only a public key)')
  const { preset = 'standard', claims, now = Math.floor(Date.now() / 1000), ...shapeInput } = input
  const shape = tokenShape(preset, { ...shapeInput, now })
  const payload = { ...shape.payload, ...claims }
  const header = { alg: 'RS256', typ: 'JWT', ...(shape.withKid ? { kid: key.kid } : {}) }
  try {
    const token = await new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey)
    return { token, header, payload }
  } catch (err) {
    throw new CliError(`cannot sign: ${err instanceof Error ? err.message : String(err)}`)
  }
}
