// The claim checks of token verification (user id, exp, iat, nbf, lifetime, audience) run after the signature verifies, each a pure function.
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
  code: TokenErrorCode
  /** Whether the check can be judged at all (its inputs passed the required-claims check). */
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

/** Why `sub` cannot be a user id (it becomes the stored externalUserId), or null. */
function subProblem(sub: unknown): string | null {
  if (typeof sub !== 'string') return sub === undefined ? 'sub is missing' : 'sub is not a string'
  if (sub.length < 1 || sub.length > 255) return `sub has ${sub.length} characters (1–255 allowed)`
  const flaw = textFlaw(sub)
  return flaw ? `sub ${flaw}` : null
}

function missingClaims(p: Record<string, unknown>): string[] {
  const problems: string[] = []
  const sub = subProblem(p.sub)
  if (sub) problems.push(sub)
  for (const name of ['exp', 'iat'] as const) {
    if (!isNumber(p[name])) problems.push(p[name] === undefined ? `${name} is missing` : `${name} is not a number`)
  }
  return problems
}

export const CLAIM_CHECKS: readonly ClaimCheck[] = [
  {
    name: 'required_claims',
    code: 'missing_claim',
    applies: () => true,
    failure: (c) => {
      const problems = missingClaims(c.payload)
      return problems.length ? problems.join('; ') : null
    },
    success: () => 'sub, exp and iat present',
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
    applies: (c) => isNumber(c.payload.iat),
    failure: (c) => {
      const { iat, nbf } = c.payload as { iat: number; nbf?: unknown }
      if (iat > c.now + c.skew) return `iat is ${secs(iat - c.now)} in the future (skew ${c.skew} s)`
      if (nbf === undefined) return null
      if (!isNumber(nbf)) return 'nbf is present but not a number'
      return nbf > c.now + c.skew ? `nbf is ${secs(nbf - c.now)} in the future (skew ${c.skew} s)` : null
    },
    success: (c) => `issued ${secs(c.now - (c.payload.iat as number))} ago`,
  },
  {
    name: 'lifetime',
    code: 'token_lifetime_too_long',
    applies: (c) => isNumber(c.payload.iat) && isNumber(c.payload.exp),
    failure: (c) => {
      const lifetime = (c.payload.exp as number) - (c.payload.iat as number)
      const max = c.partner.maxTokenLifetimeSeconds
      return lifetime <= max ? null : `exp − iat is ${secs(lifetime)}; the partner allows at most ${max} s`
    },
    success: (c) => `lifetime ${secs((c.payload.exp as number) - (c.payload.iat as number))} (max ${c.partner.maxTokenLifetimeSeconds} s)`,
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
]
