// The token shapes `gatehouse dev mint` signs: Gatehouse's standard one and three real partners' (an embedded kit, a custom JWT, OpenID Connect).
import { randomUUID } from 'node:crypto'
import { UsageError } from './cli-error.js'

export const TOKEN_PRESETS = ['standard', 'embedded-kit', 'custom-jwt', 'oidc'] as const
export type TokenPreset = (typeof TOKEN_PRESETS)[number]

/** The namespaced claims of the embedded-kit shape: the user id and the partner's slug. */
export const EMBEDDED_KIT_CLAIMS = {
  userId: 'https://cointracker.com/claims/partner_user_id',
  partnerName: 'https://cointracker.com/claims/partner_name',
} as const

export interface ShapeInput {
  iss: string
  /** The partner's user id, placed where the shape carries it. */
  sub: string
  aud?: string
  partnerName?: string
  email?: string
  /** Epoch seconds. */
  now: number
  ttlSeconds: number
}

export interface TokenShape {
  payload: Record<string, unknown>
  /** Whether the header names the key (custom-JWT partners sign without a kid). */
  withKid: boolean
}

function need<T>(value: T | undefined, preset: TokenPreset, flag: string, why: string): T {
  if (value === undefined) throw new UsageError(`dev mint --preset ${preset}: ${flag} is required (${why})`)
  return value
}

/** The claims (before --claims overrides) and header choice of one preset. */
export function tokenShape(preset: TokenPreset, input: ShapeInput): TokenShape {
  const { iss, sub, aud, now, ttlSeconds } = input
  const exp = now + ttlSeconds
  if (input.partnerName !== undefined && preset !== 'embedded-kit') throw new UsageError('dev mint: --partner-name applies to --preset embedded-kit')
  switch (preset) {
    case 'standard':
      return { payload: { iss, sub, ...(aud === undefined ? {} : { aud }), ...(input.email === undefined ? {} : { email: input.email }), iat: now, exp }, withKid: true }
    case 'embedded-kit':
      // No sub and no iat: the user id and the partner's slug travel in namespaced claims.
      if (input.email !== undefined) throw new UsageError('dev mint --preset embedded-kit: its tokens carry no email')
      return {
        payload: {
          [EMBEDDED_KIT_CLAIMS.partnerName]: need(input.partnerName, preset, '--partner-name', 'the partner slug every token carries'),
          [EMBEDDED_KIT_CLAIMS.userId]: sub,
          aud: need(aud, preset, '--aud', 'its tokens always name the audience'),
          iss,
          exp,
        },
        withKid: true,
      }
    case 'custom-jwt':
      // Signed without kid, aud as an array, iat left out (optional in its contract).
      return {
        payload: { iss, sub, aud: [need(aud, preset, '--aud', 'its tokens always name the audience')], ...(input.email === undefined ? {} : { email: input.email }), exp },
        withKid: false,
      }
    case 'oidc':
      // An OpenID provider's access token: `sub` is the provider's own id, the partner's is `client_user_id`,
      // the email is `identifier`, and `type` tells an access token from an ID token.
      return {
        payload: {
          sub: randomUUID(),
          client_user_id: sub,
          authentication_method: 'TRUSTED_DEVICE',
          type: 'access_token',
          ...(input.email === undefined ? {} : { identifier: input.email }),
          scope: 'access',
          ...(aud === undefined ? {} : { aud }),
          exp,
          iat: now,
          jti: randomUUID(),
          iss,
        },
        withKid: true,
      }
  }
}
