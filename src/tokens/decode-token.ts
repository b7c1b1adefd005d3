// Splits a compact JWS and parses its header and payload (the token format check), without trusting anything yet.
import { AppError } from '../errors.js'

export const MAX_TOKEN_BYTES = 8 * 1024

export interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `base64url(header).base64url(payload)`: the bytes the signature covers. */
  signingInput: string
  signature: Buffer
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Unpadded base64url in its one canonical spelling: Node's decoder ignores the unused low bits of the last
 * character (and a dangling sixth bit), so without this check several spellings of one token would all
 * verify, each a fresh result-cache entry.
 */
function isCanonicalBase64url(part: string): boolean {
  if (!BASE64URL.test(part)) return false
  const tail = part.length % 4
  if (tail === 1) return false
  if (tail === 0) return true
  // Two trailing characters carry one byte (4 unused bits), three carry two bytes (2 unused bits).
  const unusedBits = tail === 2 ? 0b1111 : 0b11
  return (BASE64URL_ALPHABET.indexOf(part[part.length - 1]!) & unusedBits) === 0
}

/**
 * Fatal, as jose's decoder is: a lenient one turns invalid bytes into U+FFFD, so two user ids the partner
 * keeps apart would become one user here. A leading BOM is kept (ignoreBOM), so JSON.parse refuses it too.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function parseObject(part: string, what: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(UTF8.decode(Buffer.from(part, 'base64url')))
  } catch {
    throw new AppError('malformed_token', `token ${what} is not valid base64url JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('malformed_token', `token ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Parsed headers by their encoded segment: a partner signs every token with the same header (alg, typ, kid),
 * so after the first token it costs a map lookup instead of two decodes and a JSON.parse. Frozen, because one
 * object then serves every token that carries it. Emptied when full, so a flood of distinct headers costs at
 * most this many entries.
 */
const HEADER_CACHE_SIZE = 256
const headers = new Map<string, Readonly<Record<string, unknown>>>()

function parseHeader(part: string): Record<string, unknown> {
  const known = headers.get(part)
  if (known) return known
  const header = Object.freeze(parseObject(part, 'header'))
  if (headers.size >= HEADER_CACHE_SIZE) headers.clear()
  headers.set(part, header)
  return header
}

export function decodeToken(token: string): DecodedToken {
  // A UTF-8 byte is at least one UTF-16 unit and at most three: only lengths in between need counting.
  if (token.length > MAX_TOKEN_BYTES || (token.length * 3 > MAX_TOKEN_BYTES && Buffer.byteLength(token) > MAX_TOKEN_BYTES)) {
    throw new AppError('malformed_token', `token is longer than ${MAX_TOKEN_BYTES} bytes`)
  }
  const parts = token.split('.')
  if (parts.length !== 3) {
    throw new AppError('malformed_token', `token has ${parts.length} dot-separated parts, expected 3`)
  }
  const [h, p, s] = parts as [string, string, string]
  // An empty signature is still well-formed base64url: `alg: none` tokens then fail as unsupported_algorithm.
  if (!isCanonicalBase64url(h) || !isCanonicalBase64url(p) || !isCanonicalBase64url(s)) {
    throw new AppError('malformed_token', 'token parts must be unpadded base64url in canonical form')
  }
  return {
    header: parseHeader(h),
    payload: parseObject(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  }
}
