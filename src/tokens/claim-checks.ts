// The claim checks of token verification (user id, exp, iat, nbf, lifetime, audience, required claims) run after the signature verifies, each a pure function.
import type { TokenErrorCode } from '../errors.js'
import { textFlaw } from '../storage/storable-text.js'
import type { PartnerRecord } from '../storage/types.js'

export interface ClaimContext {
  payload: Record<string, unknown>
  partner: PartnerRecord
  /** Seconds since the epoch (fractional). */
  now: number
  skew: number
}

export interface ClaimCheck {
  name: string
  /** The refusal's code; a check whose failures differ in kind picks it from the token. */
  code: TokenErrorCode | ((c: ClaimContext) => TokenErrorCode)
  /** Whether the check can be judged at all (its inputs passed the user id and times check). */
  applies(c: ClaimContext): boolean
  /** `null` when the check passes, else what is wrong in words an integrator can act on. */
  failure(c: ClaimContext): string | null
  success(c: ClaimContext): string
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const secs = (n: number) => `${Math.round(n)} s`
const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
/** A string value as a detail quotes it: short, so a hostile claim cannot fill the answer. */
const quote = (s: string) => `'${s.length > 80 ? `${s.slice(0, 77)}...` : s}'`

/** The claim a token's user id is read from: `sub` unless the partner maps it. */
export const userIdClaim = (partner: PartnerRecord): string => partner.claimMapping?.externalUserId ?? 'sub'

/** How details name the user id claim: plain `sub`, or a mapped claim spelled out. */
const userIdLabel = (partner: PartnerRecord) => {
  const claim = userIdClaim(partner)
  return claim === 'sub' ? 'sub' : `user id claim ${claim}`
}

/** Own properties only: a claim named like an Object.prototype member is absent unless the token carries it. */
const claimOf = (payload: Record<string, unknown>, name: string): unknown => (Object.hasOwn(payload, name) ? payload[name] : undefined)

/** Why the user id claim cannot be a user id (it becomes the stored externalUserId), or null. */
function userIdProblem(c: ClaimContext): string | null {
  const label = userIdLabel(c.partner)
  const id = claimOf(c.payload, userIdClaim(c.partner))
  if (typeof id !== 'string') return id === undefined ? `${label} is missing` : `${label} is not a string`
  if (id.length < 1 || id.length > 255) return `${label} has ${id.length} characters (1–255 allowed)`
  const flaw = textFlaw(id)
  return flaw ? `${label} ${flaw}` : null
}

/** `iat` is optional for a partner with `requireIssuedAt: false`; present, it is a number either way. */
const iatMayBeAbsent = (c: ClaimContext) => c.partner.requireIssuedAt === false && c.payload.iat === undefined

function missingClaims(c: ClaimContext): string[] {
  const problems: string[] = []
  const id = userIdProblem(c)
  if (id) problems.push(id)
  const { exp, iat } = c.payload
  if (!isNumber(exp)) problems.push(exp === undefined ? 'exp is missing' : 'exp is not a number')
  if (!isNumber(iat) && !iatMayBeAbsent(c)) problems.push(iat === undefined ? 'iat is missing' : 'iat is not a number')
  return problems
}

/** Whether the token's issue time is settled: a number, or absent where the partner allows that. */
const iatJudgeable = (c: ClaimContext) => isNumber(c.payload.iat) || iatMayBeAbsent(c)

/** Each required claim the token lacks or carries with another value, as detail fragments. */
function requiredClaimProblems(c: ClaimContext): { missing: string[]; mismatched: string[] } {
  const missing: string[] = []
  const mismatched: string[] = []
  for (const [name, expected] of Object.entries(c.partner.requiredClaims ?? {})) {
    if (!Object.hasOwn(c.payload, name)) missing.push(`claim ${name} is missing, expected ${quote(expected)}`)
    else {
      const value = c.payload[name]
      if (value === expected) continue
      const found = typeof value === 'string' ? quote(value) : show(value)
      mismatched.push(`claim ${name} is ${found}, expected ${quote(expected)}`)
    }
  }
  return { missing, mismatched }
}

export const CLAIM_CHECKS: readonly ClaimCheck[] = [
  {
    name: 'required_claims',
    code: 'missing_claim',
    applies: () => true,
    failure: (c) => {
      const problems = missingClaims(c)
      return problems.length ? problems.join('; ') : null
    },
    success: (c) => {
      const times = isNumber(c.payload.iat) ? 'exp and iat' : 'exp (iat is optional for this partner)'
      return `${userIdLabel(c.partner)} and ${times} present`
    },
  },
  {
    name: 'expiry',
    code: 'token_expired',
    applies: (c) => isNumber(c.payload.exp),
    failure: (c) => {
      const exp = c.payload.exp as number
      return exp > c.now - c.skew ? null : `expired ${secs(c.now - exp)} ago (skew ${c.skew} s)`
    },
    success: (c) => `expires in ${secs((c.payload.exp as number) - c.now)}`,
  },
  {
    name: 'not_before',
    code: 'token_not_yet_valid',
    applies: iatJudgeable,
    failure: (c) => {
      const { iat, nbf } = c.payload
      if (isNumber(iat) && iat > c.now + c.skew) return `iat is ${secs(iat - c.now)} in the future (skew ${c.skew} s)`
      if (nbf === undefined) return null
      if (!isNumber(nbf)) return 'nbf is present but not a number'
      return nbf > c.now + c.skew ? `nbf is ${secs(nbf - c.now)} in the future (skew ${c.skew} s)` : null
    },
    success: (c) => (isNumber(c.payload.iat) ? `issued ${secs(c.now - c.payload.iat)} ago` : 'no iat; nbf, if any, has passed'),
  },
  {
    name: 'lifetime',
    code: 'token_lifetime_too_long',
    applies: (c) => isNumber(c.payload.exp) && iatJudgeable(c),
    failure: (c) => {
      const { exp, iat } = c.payload as { exp: number; iat?: number }
      const max = c.partner.maxTokenLifetimeSeconds
      // Without iat, the time left is all that can be bounded: a token is never accepted for longer than the maximum from now.
      if (iat === undefined) return exp - c.now <= max ? null : `token has no iat and expires in ${secs(exp - c.now)}; the partner allows at most ${max} s`
      const lifetime = exp - iat
      return lifetime <= max ? null : `exp − iat is ${secs(lifetime)}; the partner allows at most ${max} s`
    },
    success: (c) => {
      const { exp, iat } = c.payload as { exp: number; iat?: number }
      const max = c.partner.maxTokenLifetimeSeconds
      return iat === undefined ? `no iat; expires in ${secs(exp - c.now)} (max ${max} s)` : `lifetime ${secs(exp - iat)} (max ${max} s)`
    },
  },
  {
    name: 'audience',
    code: 'audience_mismatch',
    applies: () => true,
    failure: (c) => {
      const expected = c.partner.jwtAudience
      if (expected === null) return null
      const aud = c.payload.aud
      if (aud === expected || (Array.isArray(aud) && aud.includes(expected))) return null
      return aud === undefined ? `aud is missing, expected ${show(expected)}` : `aud is ${show(aud)}, expected ${show(expected)}`
    },
    success: (c) => (c.partner.jwtAudience === null ? 'partner sets no audience' : `aud contains ${show(c.partner.jwtAudience)}`),
  },
  {
    name: 'partner_claims',
    // An absent claim is the same kind of fault as an absent sub; a present one with another value is a mismatch.
    code: (c) => (requiredClaimProblems(c).missing.length ? 'missing_claim' : 'claim_mismatch'),
    applies: (c) => Boolean(c.partner.requiredClaims),
    failure: (c) => {
      const { missing, mismatched } = requiredClaimProblems(c)
      const problems = [...missing, ...mismatched]
      return problems.length ? problems.join('; ') : null
    },
    success: (c) => `carries ${Object.keys(c.partner.requiredClaims ?? {}).join(', ')} as required`,
  },
]
