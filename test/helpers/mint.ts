// Signs test tokens with jose (an independent implementation, so tests don't grade our own crypto).
import { SignJWT } from 'jose'
import type { TestKey } from './keys.js'

export interface MintOptions {
  header?: Record<string, unknown>
  /** Epoch seconds used for iat/exp defaults. */
  now?: number
  lifetime?: number
  omitKid?: boolean
}

export async function mint(key: TestKey, claims: Record<string, unknown>, options: MintOptions = {}): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const header = { alg: 'RS256', typ: 'JWT', ...(options.omitKid ? {} : { kid: key.kid }), ...options.header }
  const payload = { iat: now, exp: now + (options.lifetime ?? 600), ...claims }
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k]
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

/** Assembles a token from raw parts, for algorithms and shapes jose refuses to produce. */
export function rawToken(header: object, payload: object, signature: Buffer | string = ''): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const sig = typeof signature === 'string' ? signature : signature.toString('base64url')
  return `${enc(header)}.${enc(payload)}.${sig}`
}
