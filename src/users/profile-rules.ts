// Field rules of a user profile, shared by the partner upsert API and JIT provisioning.
// Free-text fields are well-formed strings (the other patterns admit ASCII only): a JIT claim breaking
// that is dropped, an upsert refused.
import { z } from 'zod'
import { wellFormedString } from './well-formed-string.js'

export const EmailSchema = z.email().max(254)
export const DisplayNameSchema = wellFormedString().min(1).max(200)
export const PhoneSchema = wellFormedString().min(1).max(32)
export const CountryCodeSchema = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be two letters (ISO 3166-1 alpha-2)')
  .transform((s) => s.toUpperCase())
// BCP 47-like: a 2–3 letter language, then subtags of 1–8 letters or digits (en, pt-BR, zh-Hant-TW).
export const LocaleSchema = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'must be a BCP 47 language tag such as en or pt-BR')
export const ExternalUserIdSchema = wellFormedString().min(1).max(255)
