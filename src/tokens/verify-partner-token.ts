// The ordered verification of a partner token: decode → algorithm → issuer → key → signature → claims (rows 1–15; row 16 is revocation.ts's).
import type { KeyObject } from 'node:crypto'
import { AppError, type ErrorCode } from '../errors.js'
import { CLAIM_CHECKS, type ClaimContext, userIdClaim } from './claim-checks.js'
import { decodeToken } from './decode-token.js'
import type { IssuerDirectory, PartnerEntry } from './issuer-directory.js'
import type { CandidateKey, KeyUsage } from './jwks-key-set.js'
import { keptProfileClaims } from './profile-claims.js'
import { MIN_RSA_BITS } from './rsa-key-limits.js'
import { verifyRs256 } from './verify-signature.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

/**
 * What a verified token leaves for its request: small on purpose, because a result cache holds thousands
 * of these and a partner may sign kilobytes of claims nobody here reads. The token-check report decodes
 * the token again for its full header and claims.
 */
export interface VerifiedToken {
  partner: PartnerEntry
  /** The user id: the `sub` claim, or the claim the partner's claimMapping.externalUserId names. */
  sub: string
  exp: number
  /** Null when the token has no `iat`. */
  iat: number | null
  /** The profile claims the partner's profile fields read (its mapped claims, else the standard ones), and no other claim. */
  claims: Readonly<Record<string, unknown>>
  /** The key that verified the signature, so a result cache can tell when it leaves the JWKS. */
  key: KeyObject
  /** The token's kid; null when it had none. */
  kid: string | null
  /** The usage record of the key that verified: the /me verifier stamps it (token checks do not). */
  keyUsage: KeyUsage
}

export interface VerifyOptions {
  directory: IssuerDirectory
  skewSeconds: number
  /** Milliseconds since the epoch. */
  now: () => number
}

interface RunOptions {
  /** Collects every check's outcome for the token-check report; null on the hot path. */
  report: Check[] | null
  /** Restricts issuer routing to one partner (a partner checking its own tokens). */
  partnerId?: string
}

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))
  return s.length > 100 ? `'${s.slice(0, 97)}...'` : `'${s}'`
}

/** Runs the checks in table order; throws the first failure as an AppError carrying its spec code. */
export async function verifyPartnerToken(token: string, options: VerifyOptions, run: RunOptions = { report: null }): Promise<VerifiedToken> {
  const { report } = run
  let step = 'format'
  let partnerId: string | undefined
  const pass = (detail: string) => report?.push({ name: step, ok: true, detail })
  try {
    const { header, payload, signingInput, signature } = decodeToken(token)
    pass('three base64url parts; header and payload are JSON objects')

    step = 'algorithm'
    if (header.alg !== 'RS256') {
      throw new AppError('unsupported_algorithm', `alg is ${show(header.alg)}; only 'RS256' is accepted`)
    }
    pass('alg RS256')

    step = 'critical_headers'
    if ('crit' in header) throw new AppError('malformed_token', 'the crit header is not supported')
    pass('no crit header; jku, x5u, jwk and x5c are never used')

    step = 'issuer'
    const iss = payload.iss
    if (typeof iss !== 'string') {
      throw new AppError('unknown_issuer', iss === undefined ? 'iss is missing' : 'iss is not a string')
    }
    const partner = options.directory.byIssuer(iss)
    if (!partner || (run.partnerId !== undefined && partner.record.id !== run.partnerId)) {
      const own = run.partnerId === undefined ? undefined : options.directory.byId(run.partnerId)
      throw new AppError(
        'unknown_issuer',
        own ? `iss ${show(iss)} is not your issuer ${show(own.record.jwtIssuer)}` : `iss ${show(iss)} names no partner`,
      )
    }
    partnerId = partner.record.id
    pass(`partner ${partnerId}`)

    step = 'partner_active'
    if (partner.record.status !== 'active') throw new AppError('partner_disabled', `partner ${partner.record.id} is disabled`)
    pass('partner is active')

    step = 'key'
    const kid = header.kid
    let candidates: readonly CandidateKey[]
    if (partner.keys.kind === 'static') {
      candidates = partner.keys.candidates
      pass(`static ${partner.keys.bits}-bit RSA key (kid ignored)`)
    } else {
      if (kid !== undefined && typeof kid !== 'string') throw new AppError('unknown_key', 'kid is not a string')
      const found = await partner.keys.source.resolve(kid)
      if (!found.ok) {
        if (found.code === 'weak_key') step = 'key_strength'
        throw new AppError(found.code, found.detail, { retryAfterSeconds: found.code === 'jwks_unavailable' ? found.retryAfterSeconds : undefined })
      }
      candidates = found.candidates
      pass(kid === undefined ? `token has no kid; trying the JWKS's ${candidates.length} usable key(s)` : `kid ${show(kid)} found in JWKS`)
    }

    step = 'key_strength'
    // Both key sources already refuse such keys; this keeps the guarantee next to the signature check.
    for (const { key } of candidates) {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
      if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
        throw new AppError('weak_key', `key is ${key.asymmetricKeyType} with ${bits} bits; RSA ≥ ${MIN_RSA_BITS} bits is required`)
      }
    }
    pass(candidates.length === 1 ? `RSA ${candidates[0]!.key.asymmetricKeyDetails?.modulusLength} bits` : `${candidates.length} RSA keys of at least ${MIN_RSA_BITS} bits`)

    step = 'signature'
    let signer = await firstVerifying(candidates, signingInput, signature)
    if (!signer && partner.keys.kind === 'jwks') {
      // Rotation behind an unchanged kid (or, without kid, a new key): the partner may have replaced the key material.
      const fresh = await partner.keys.source.refetchAfterSignatureFailure(kid as string | undefined, candidates)
      signer = await firstVerifying(fresh, signingInput, signature)
    }
    if (!signer) {
      const tried = candidates.length === 1 ? 'the partner key' : `any of the JWKS's ${candidates.length} usable keys`
      throw new AppError('invalid_signature', `RS256 signature does not verify with ${tried}`)
    }
    pass(`RS256 signature verifies with ${signer.label}`)

    const context: ClaimContext = { payload, partner: partner.record, now: options.now() / 1000, skew: options.skewSeconds }
    let firstFailure: AppError | undefined
    for (const check of CLAIM_CHECKS) {
      step = check.name
      if (!check.applies(context)) continue
      const failure = check.failure(context)
      if (failure === null) {
        pass(check.success(context))
        continue
      }
      const error = new AppError(typeof check.code === 'function' ? check.code(context) : check.code, failure)
      if (!report) throw error
      // The report lists every claim problem at once; the first one is still the answer.
      report.push({ name: step, ok: false, detail: failure })
      firstFailure ??= error
    }
    if (firstFailure) throw firstFailure

    const { record } = partner
    return {
      partner,
      sub: payload[userIdClaim(record)] as string,
      exp: payload.exp as number,
      iat: typeof payload.iat === 'number' ? payload.iat : null,
      claims: keptProfileClaims(payload, record.claimMapping),
      key: signer.key,
      kid: typeof kid === 'string' ? kid : null,
      keyUsage: signer.usage,
    }
  } catch (err) {
    if (err instanceof AppError) err.partnerId = partnerId
    if (report && err instanceof AppError && !report.some((c) => !c.ok)) {
      report.push({ name: step, ok: false, detail: err.detail })
    }
    throw err
  }
}

/** The first key the signature verifies with, tried in the JWKS's order. */
async function firstVerifying(candidates: readonly CandidateKey[], signingInput: string, signature: Buffer): Promise<CandidateKey | null> {
  for (const candidate of candidates) if (await verifyRs256(candidate.key, signingInput, signature)) return candidate
  return null
}

export interface TokenReport {
  valid: boolean
  code: ErrorCode | null
  detail: string
  header: Record<string, unknown> | null
  claims: Record<string, unknown> | null
  checks: Check[]
}

/** The whole verification for one partner's own token, reported check by check; provisions nothing. */
export async function checkPartnerToken(token: string, partnerId: string, options: VerifyOptions): Promise<TokenReport> {
  const checks: Check[] = []
  let decoded: { header: Record<string, unknown>; payload: Record<string, unknown> } | null = null
  try {
    decoded = decodeToken(token)
  } catch {
    // Reported by the run below as the format check.
  }
  try {
    await verifyPartnerToken(token, options, { report: checks, partnerId })
    return { valid: true, code: null, detail: 'token is valid', header: decoded?.header ?? null, claims: decoded?.payload ?? null, checks }
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return { valid: false, code: err.code, detail: err.detail, header: decoded?.header ?? null, claims: decoded?.payload ?? null, checks }
  }
}
