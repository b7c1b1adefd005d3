// Splits a compact JWS and parses its header and payload (SPEC §2 row 2), without trusting anything yet.
import { AppError } from '../errors.js'

export const MAX_TOKEN_BYTES = 8 * 1024

export interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `base64url(header).base64url(payload)`: the bytes the signature covers. */
  signingInput: string
  signature: Buffer
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

function parseObject(part: string, what: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw new AppError('malformed_token', `token ${what} is not valid base64url JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('malformed_token', `token ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

export function decodeToken(token: string): DecodedToken {
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
    throw new AppError('malformed_token', `token is longer than ${MAX_TOKEN_BYTES} bytes`)
  }
  const parts = token.split('.')
  if (parts.length !== 3) {
    throw new AppError('malformed_token', `token has ${parts.length} dot-separated parts, expected 3`)
  }
  const [h, p, s] = parts as [string, string, string]
  // An empty signature is still well-formed base64url: `alg: none` tokens then fail as unsupported_algorithm.
  if (!BASE64URL.test(h) || !BASE64URL.test(p) || !BASE64URL.test(s)) {
    throw new AppError('malformed_token', 'token parts must be base64url')
  }
  return {
    header: parseObject(h, 'header'),
    payload: parseObject(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  }
}
