// The partner form: what its fields hold for a record, and the create or merge-patch document the admin API
// would receive for a submitted form, judged by the same schema so the console shows the API's messages.
import type { z } from 'zod'
import { AppError, type FieldError } from '../errors.js'
import { type PartnerCreate, PartnerCreateSchema, type PartnerPatch, PartnerPatchSchema } from '../partners/partner-fields.js'
import { MAPPABLE_FIELDS, type PartnerRecord } from '../storage/types.js'

/** A submitted form: every field a string (urlencoded bodies repeat a name as an array; the last one wins). */
export type FormValues = Record<string, string>

export function formValues(body: unknown): FormValues {
  const values: FormValues = {}
  if (typeof body !== 'object' || body === null) return values
  for (const [key, value] of Object.entries(body)) {
    const last = Array.isArray(value) ? value.at(-1) : value
    if (typeof last === 'string') values[key] = last
  }
  return values
}

/** Required claims as the textarea shows them: one `NAME=VALUE` a line. */
const claimsText = (claims: Record<string, string> | null) =>
  Object.entries(claims ?? {})
    .map(([name, value]) => `${name}=${value}`)
    .join('\n')

export function formFromPartner(partner: PartnerRecord): FormValues {
  const values: FormValues = {
    id: partner.id,
    name: partner.name,
    jwtIssuer: partner.jwtIssuer,
    jwksUrl: partner.jwksUrl ?? '',
    openidConfigurationUrl: partner.openidConfigurationUrl ?? '',
    jwtPublicKey: partner.jwtPublicKey ?? '',
    jwtAudience: partner.jwtAudience ?? '',
    maxTokenLifetimeSeconds: String(partner.maxTokenLifetimeSeconds),
    profileUpdate: partner.profileUpdate,
    requiredClaims: claimsText(partner.requiredClaims),
    version: String(partner.version),
  }
  if (partner.requireIssuedAt) values.requireIssuedAt = 'on'
  for (const field of MAPPABLE_FIELDS) values[`claimMapping.${field}`] = partner.claimMapping?.[field] ?? ''
  return values
}

/** An empty text field is "not set". */
const orNull = (value: string | undefined) => (value === undefined || value.trim() === '' ? null : value)

/** Digits become a number; anything else goes to the schema as typed, which names the problem. */
const lifetime = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value)

/** `NAME=VALUE` lines; a line without `=` is a field error at /requiredClaims. */
function parseClaims(text: string | undefined): { claims: Record<string, string>; errors: FieldError[] } {
  const claims: Record<string, string> = {}
  const errors: FieldError[] = []
  ;(text ?? '').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    const at = line.indexOf('=')
    if (at < 0) errors.push({ path: '/requiredClaims', message: `line ${i + 1}: write NAME=VALUE` })
    else claims[line.slice(0, at).trim()] = line.slice(at + 1)
  })
  return { claims, errors }
}

/** The zod issues as the admin API's field errors: a JSON pointer and the rule's message. */
export function validationProblem(errors: FieldError[]): AppError {
  return new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
}

function judged<T>(schema: z.ZodType<T>, document: unknown, extra: FieldError[]): T {
  const result = schema.safeParse(document)
  const errors = [...extra, ...(result.success ? [] : result.error.issues.map((i) => ({ path: i.path.length ? `/${i.path.join('/')}` : '/', message: i.message })))]
  if (errors.length > 0) throw validationProblem(errors)
  return result.data!
}

/** The fields both documents take from the form. */
function commonFields(values: FormValues) {
  return {
    name: values.name ?? '',
    jwtIssuer: values.jwtIssuer ?? '',
    jwksUrl: orNull(values.jwksUrl),
    openidConfigurationUrl: orNull(values.openidConfigurationUrl),
    // Browsers submit a textarea's line breaks as CRLF; the key is stored as typed, with LF.
    jwtPublicKey: orNull(values.jwtPublicKey?.replaceAll('\r\n', '\n')),
    jwtAudience: orNull(values.jwtAudience),
    maxTokenLifetimeSeconds: lifetime(values.maxTokenLifetimeSeconds),
    requireIssuedAt: values.requireIssuedAt === 'on',
    profileUpdate: values.profileUpdate || undefined,
  }
}

export function createDocument(values: FormValues): PartnerCreate {
  const { claims, errors } = parseClaims(values.requiredClaims)
  const mapping = Object.fromEntries(MAPPABLE_FIELDS.flatMap((f) => (orNull(values[`claimMapping.${f}`]) === null ? [] : [[f, values[`claimMapping.${f}`]]])))
  const document = {
    id: values.id ?? '',
    ...commonFields(values),
    claimMapping: Object.keys(mapping).length ? mapping : null,
    requiredClaims: Object.keys(claims).length ? claims : null,
  }
  return judged(PartnerCreateSchema, document, errors)
}

/** A merge-patch replacing every field with the form's: mapping keys and claims the form dropped are set to null. */
export function patchDocument(values: FormValues, current: PartnerRecord): PartnerPatch {
  const { claims, errors } = parseClaims(values.requiredClaims)
  const claimsPatch: Record<string, string | null> = {}
  for (const name of Object.keys(current.requiredClaims ?? {})) claimsPatch[name] = null
  Object.assign(claimsPatch, claims)
  const document = {
    ...commonFields(values),
    claimMapping: Object.fromEntries(MAPPABLE_FIELDS.map((f) => [f, orNull(values[`claimMapping.${f}`])])),
    requiredClaims: Object.keys(claims).length ? claimsPatch : null,
  }
  return judged(PartnerPatchSchema, document, errors)
}

/** The submitted version, as the admin API reads it from If-Match: a number the record had, or 412. */
export function formVersion(values: FormValues): number {
  const version = values.version ?? ''
  if (!/^\d{1,15}$/.test(version)) throw new AppError('precondition_failed', 'If-Match names no version of this record; send the ETag you received')
  return Number(version)
}
