// Maps a verified token's optional claims onto a new user's profile (the just-in-time table of docs/reference.md).
import type { UserProfile } from '../storage/types.js'
import { CountryCodeSchema, DisplayNameSchema, EmailSchema, LocaleSchema, PhoneSchema } from './profile-rules.js'

export interface JitProfile {
  profile: UserProfile
  /** Claims present but malformed: dropped, never a reason to refuse the user. */
  dropped: string[]
}

const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

export function jitProfileFromClaims(claims: Record<string, unknown>): JitProfile {
  const profile: UserProfile = {}
  const dropped: string[] = []
  const take = <K extends keyof UserProfile>(field: K, claim: string | undefined, parse: (v: unknown) => { success: boolean; data?: unknown }, value: unknown) => {
    if (claim === undefined) return
    const result = parse(value)
    if (result.success) profile[field] = result.data as UserProfile[K]
    else dropped.push(claim)
  }
  const pick = (...names: string[]) => names.find((n) => claims[n] !== undefined && claims[n] !== null)

  const email = pick('email')
  take('email', email, (v) => EmailSchema.safeParse(v), claims.email)
  const name = pick('displayName', 'name')
  take('displayName', name, (v) => DisplayNameSchema.safeParse(trimmed(v)), name && claims[name])
  const phone = pick('phone')
  take('phone', phone, (v) => PhoneSchema.safeParse(trimmed(v)), claims.phone)
  const country = pick('countryCode', 'country')
  take('countryCode', country, (v) => CountryCodeSchema.safeParse(typeof v === 'string' ? v.slice(0, 2) : v), country && claims[country])
  const locale = pick('locale')
  take('locale', locale, (v) => LocaleSchema.safeParse(v), claims.locale)
  return { profile, dropped }
}
