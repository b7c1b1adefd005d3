// The error codes of docs/reference.md with their HTTP status and title: the one registry every refusal uses.

/** Token refusals of the /me guard, in the order of the verification table (docs/reference.md, Token verification). */
export const TOKEN_ERROR_CODES = [
  'missing_token',
  'malformed_token',
  'unsupported_algorithm',
  'unknown_issuer',
  'partner_disabled',
  'unknown_key',
  'weak_key',
  'invalid_signature',
  'missing_claim',
  'token_expired',
  'token_not_yet_valid',
  'token_lifetime_too_long',
  'audience_mismatch',
  'claim_mismatch',
  'token_revoked',
] as const

export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[number]

export const ERRORS = {
  missing_token: { status: 401, title: 'Bearer token missing' },
  malformed_token: { status: 401, title: 'Token is malformed' },
  unsupported_algorithm: { status: 401, title: 'Token algorithm is not RS256' },
  unknown_issuer: { status: 401, title: 'Token issuer is not a known partner' },
  partner_disabled: { status: 401, title: 'Partner is disabled' },
  unknown_key: { status: 401, title: 'No key found for the token' },
  weak_key: { status: 401, title: 'Signing key is weaker than 2048 bits' },
  invalid_signature: { status: 401, title: 'Token signature does not verify' },
  missing_claim: { status: 401, title: 'Token lacks a required claim' },
  token_expired: { status: 401, title: 'Token has expired' },
  token_not_yet_valid: { status: 401, title: 'Token is not valid yet' },
  token_lifetime_too_long: { status: 401, title: 'Token lifetime exceeds the partner maximum' },
  audience_mismatch: { status: 401, title: 'Token audience does not match' },
  claim_mismatch: { status: 401, title: "Token claim does not carry the partner's required value" },
  token_revoked: { status: 401, title: "Token was issued before the user's sessions were revoked" },
  jwks_unavailable: { status: 503, title: "Partner's JWKS cannot be fetched" },
  invalid_request: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERRORS

/** A validation failure of one field, as listed in a problem's `errors`. */
export interface FieldError {
  path: string
  message: string
}

export interface AppErrorOptions {
  errors?: FieldError[]
  /** Seconds a client should wait, sent as `Retry-After` (429, 503). */
  retryAfterSeconds?: number
  /** Overrides the registry status: 415 (unsupported content type), 414 and 431 are filed under `invalid_request`. */
  status?: number
  cause?: unknown
}

/** The one error type: a spec code, a human detail safe to show the caller, and optional extras. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: string
  readonly errors: FieldError[] | undefined
  readonly retryAfterSeconds: number | undefined
  /** The partner a token refusal concerns, once the issuer is known (metrics label only, never shown). */
  partnerId: string | undefined

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.status = options.status ?? ERRORS[code].status
    this.detail = detail
    this.errors = options.errors
    this.retryAfterSeconds = options.retryAfterSeconds
    this.partnerId = undefined
  }
}

export function isTokenErrorCode(code: string): code is TokenErrorCode {
  return (TOKEN_ERROR_CODES as readonly string[]).includes(code)
}
