// `gatehouse partners …`: partner records through the same use-case and rules as the admin API.
import { readFileSync } from 'node:fs'
import { AppError, type FieldError } from '../../errors.js'
import { PartnerCreateSchema, PartnerPatchSchema } from '../../partners/partner-fields.js'
import type { PartnerWriteResult } from '../../partners/partner-service.js'
import type { ApiKeyRecord, PartnerRecord } from '../../storage/types.js'
import type { KeyView } from '../../tokens/issuer-directory.js'
import { CliError, UsageError } from '../cli-error.js'
import { CLI_ACTOR, type Command, type CommandContext, type OptionSpec, stringOption, stringsOption } from '../command.js'
import { formatFields, formatTable } from '../format.js'

function keySource(p: PartnerRecord): string {
  if (p.openidConfigurationUrl !== null) return `discovery ${p.openidConfigurationUrl}`
  return p.jwksUrl !== null ? `jwks ${p.jwksUrl}` : 'static public key'
}

const describeKeys = (p: PartnerRecord): string => {
  if (p.openidConfigurationUrl !== null) return `OpenID discovery ${p.openidConfigurationUrl}`
  return p.jwksUrl !== null ? `JWKS ${p.jwksUrl}` : 'static public key (PEM)'
}

const describeEntries = (entries: Record<string, string> | null): string | null =>
  entries === null ? null : Object.entries(entries).map(([k, v]) => `${k}=${v}`).join(', ')

export function describePartner(p: PartnerRecord): string {
  return [
    `${p.id}  ${p.name}  (${p.status}, version ${p.version})`,
    formatFields([
      ['issuer', p.jwtIssuer],
      ['keys', describeKeys(p)],
      ['audience', p.jwtAudience],
      ['max lifetime', `${p.maxTokenLifetimeSeconds} s`],
      ['iat', p.requireIssuedAt ? 'required' : 'optional'],
      ['claim mapping', describeEntries(p.claimMapping)],
      ['required claims', describeEntries(p.requiredClaims)],
      ['profile update', p.profileUpdate],
      ['created', p.createdAt],
      ['updated', p.updatedAt],
    ]),
  ].join('\n')
}

function describeApiKeys(keys: ApiKeyRecord[]): string {
  if (keys.length === 0) return '  api keys      none (create one: gatehouse api-keys create <partner-id>)'
  return [
    '  api keys',
    ...keys.map((k) => `    ${k.prefix}…  id ${k.id}  created ${k.createdAt}${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}`),
  ].join('\n')
}

function describeKeyView(view: KeyView): string {
  const lines: string[] = []
  if (view.source === 'jwks') {
    lines.push(`  verifier keys (fetched ${view.fetchedAt ?? 'never'}${view.lastError ? `; last error: ${view.lastError}` : ''})`)
  } else lines.push('  verifier keys (static)')
  if (view.keys.length === 0) lines.push('    none')
  for (const k of view.keys) {
    lines.push(`    kid ${k.kid ?? '(none)'}  ${k.alg ?? '-'}  ${k.bits ?? '?'} bits  ${k.usable ? 'usable' : `skipped: ${k.reason ?? 'unusable'}`}`)
  }
  return lines.join('\n')
}

function printWrite(ctx: CommandContext, verb: string, result: PartnerWriteResult): void {
  ctx.print(`${verb} partner ${result.partner.id}.\n${describePartner(result.partner)}`, {
    ...result.partner,
    ...(result.warnings ? { warnings: result.warnings } : {}),
  })
  if (!ctx.json) for (const w of result.warnings ?? []) ctx.warn(`warning: ${w}`)
}

/** Seconds as a whole number, refused (never coerced) otherwise, like the admin API's `"3600"`. */
function wholeSeconds(value: string, field: string): number {
  if (!/^\d+$/.test(value)) throw new AppError('invalid_request', `${field}: must be a whole number of seconds`, { errors: [{ path: field, message: 'must be a whole number of seconds' }] })
  return Number(value)
}

function invalid(field: string, message: string): AppError {
  return new AppError('invalid_request', `${field}: ${message}`, { errors: [{ path: field, message }] })
}

function booleanValue(value: string, field: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true'
  throw invalid(field, 'must be true or false')
}

/**
 * A repeatable option of key–value entries (`name=value`, split at the first `=`), or one JSON object (or
 * `null`) as the admin API takes it. In an update an empty value (`name=`) removes that key, as `null` does
 * in a merge-patch; the field rules judge everything else.
 */
function entriesValue(values: string[], field: string, mode: 'create' | 'update'): Record<string, string | null> | null {
  const entries = new Map<string, string | null>()
  for (const value of values) {
    const trimmed = value.trim()
    if (trimmed.startsWith('{') || trimmed === 'null') {
      if (values.length > 1) throw invalid(field, 'give either one JSON object or name=value entries')
      try {
        return JSON.parse(trimmed) as Record<string, string | null> | null
      } catch {
        throw invalid(field, 'is not valid JSON')
      }
    }
    const at = value.indexOf('=')
    if (at < 0) throw invalid(field, `"${value}" is not name=value`)
    const entry = value.slice(at + 1)
    entries.set(value.slice(0, at), mode === 'update' && entry === '' ? null : entry)
  }
  return Object.fromEntries(entries)
}

/** The partner-control options both `create` and `update` take. */
const CONTROL_OPTIONS: OptionSpec = {
  'openid-configuration-url': { type: 'string' },
  'require-issued-at': { type: 'string' },
  'claim-mapping': { type: 'string', multiple: true },
  'required-claim': { type: 'string', multiple: true },
  'profile-update': { type: 'string' },
}
const CONTROL_SYNOPSIS =
  '[--require-issued-at true|false] [--claim-mapping FIELD=CLAIM …|JSON] [--required-claim NAME=VALUE …|JSON] [--profile-update never|fillEmpty|overwrite]'

/** The body fields the partner-control options set (absent options add nothing). */
function controlFields(ctx: CommandContext, mode: 'create' | 'update'): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  const requireIssuedAt = stringOption(ctx, 'require-issued-at')
  if (requireIssuedAt !== undefined) body.requireIssuedAt = booleanValue(requireIssuedAt, 'requireIssuedAt')
  const mapping = stringsOption(ctx, 'claim-mapping')
  if (mapping.length > 0) body.claimMapping = entriesValue(mapping, 'claimMapping', mode)
  const required = stringsOption(ctx, 'required-claim')
  if (required.length > 0) body.requiredClaims = entriesValue(required, 'requiredClaims', mode)
  const profileUpdate = stringOption(ctx, 'profile-update')
  if (profileUpdate !== undefined) body.profileUpdate = profileUpdate
  return body
}

/** The document's field errors as the one AppError the CLI prints. */
function parsedOrThrow<T>(parsed: { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }): T {
  if (parsed.success) return parsed.data
  const errors: FieldError[] = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
  throw new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
}

function readPublicKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new CliError(`--public-key-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}

const list: Command = {
  words: ['partners', 'list'],
  synopsis: '',
  summary: 'list partner records',
  async run(ctx) {
    const partners = await (await ctx.services()).store.partners.list()
    const human =
      partners.length === 0
        ? 'No partners yet. Create one: gatehouse partners create --id … --name … --issuer … --jwks-url …'
        : formatTable([['ID', 'STATUS', 'VERSION', 'ISSUER', 'KEYS'], ...partners.map((p) => [p.id, p.status, String(p.version), p.jwtIssuer, keySource(p)])])
    ctx.print(human, { items: partners })
  },
}

const show: Command = {
  words: ['partners', 'show'],
  synopsis: '<id> [--keys]',
  summary: "one partner and its API keys; --keys fetches what the verifier sees (the JWKS's keys)",
  positionals: ['id'],
  options: { keys: { type: 'boolean' } },
  async run(ctx) {
    const services = await ctx.services()
    const id = ctx.positionals[0]!
    const partner = await services.store.partners.get(id)
    if (!partner) throw new AppError('not_found', `no partner ${id}`)
    const apiKeys = await services.store.apiKeys.list(id)
    let keyView: KeyView | undefined
    if (ctx.values.keys) {
      await services.directory.sync()
      keyView = await services.directory.refreshKeys(id)
    }
    const human = [describePartner(partner), describeApiKeys(apiKeys), ...(keyView ? [describeKeyView(keyView)] : [])].join('\n')
    ctx.print(human, { ...partner, apiKeys, ...(keyView ? { keys: keyView } : {}) })
  },
}

/** The record options both `create` and `update` take (create adds `--id`). */
const RECORD_OPTIONS: OptionSpec = {
  name: { type: 'string' },
  issuer: { type: 'string' },
  'jwks-url': { type: 'string' },
  'public-key-file': { type: 'string' },
  audience: { type: 'string' },
  'max-lifetime': { type: 'string' },
  ...CONTROL_OPTIONS,
}

const create: Command = {
  words: ['partners', 'create'],
  synopsis: `--id ID --name NAME --issuer ISS (--jwks-url URL | --openid-configuration-url URL | --public-key-file FILE) [--audience AUD] [--max-lifetime SECONDS] ${CONTROL_SYNOPSIS}`,
  summary: 'create a partner (validated and audited like POST /admin/partners)',
  options: {
    id: { type: 'string' },
    ...RECORD_OPTIONS,
  },
  async run(ctx) {
    for (const flag of ['id', 'name', 'issuer']) {
      if (stringOption(ctx, flag) === undefined) throw new UsageError(`partners create: --${flag} is required`)
    }
    const jwksUrl = stringOption(ctx, 'jwks-url')
    const keyFile = stringOption(ctx, 'public-key-file')
    const maxLifetime = stringOption(ctx, 'max-lifetime')
    const body: Record<string, unknown> = {
      id: stringOption(ctx, 'id'),
      name: stringOption(ctx, 'name'),
      jwtIssuer: stringOption(ctx, 'issuer'),
    }
    if (jwksUrl !== undefined) body.jwksUrl = jwksUrl
    const configUrl = stringOption(ctx, 'openid-configuration-url')
    if (configUrl !== undefined) body.openidConfigurationUrl = configUrl
    if (keyFile !== undefined) body.jwtPublicKey = readPublicKeyFile(keyFile)
    const audience = stringOption(ctx, 'audience')
    if (audience !== undefined) body.jwtAudience = audience
    if (maxLifetime !== undefined) body.maxTokenLifetimeSeconds = wholeSeconds(maxLifetime, 'maxTokenLifetimeSeconds')
    Object.assign(body, controlFields(ctx, 'create'))
    // The field rules the admin API applies, then the same use-case: the CLI cannot write what the API would refuse.
    const input = parsedOrThrow(PartnerCreateSchema.safeParse(body))
    const services = await ctx.services()
    printWrite(ctx, 'Created', await services.partners.create(input, CLI_ACTOR))
  },
}

const KEY_SOURCES = ['jwksUrl', 'openidConfigurationUrl', 'jwtPublicKey'] as const

const update: Command = {
  words: ['partners', 'update'],
  synopsis: `<id> [--name NAME] [--issuer ISS] [--jwks-url URL | --openid-configuration-url URL | --public-key-file FILE] [--audience AUD] [--max-lifetime SECONDS] ${CONTROL_SYNOPSIS}`,
  summary: 'change a partner (a merge-patch, as PATCH /admin/partners/:id: entries merge key by key, NAME= removes one)',
  positionals: ['id'],
  options: {
    ...RECORD_OPTIONS,
  },
  async run(ctx) {
    const body: Record<string, unknown> = {}
    const name = stringOption(ctx, 'name')
    if (name !== undefined) body.name = name
    const issuer = stringOption(ctx, 'issuer')
    if (issuer !== undefined) body.jwtIssuer = issuer
    const keyFile = stringOption(ctx, 'public-key-file')
    const source: Partial<Record<(typeof KEY_SOURCES)[number], string>> = {
      jwksUrl: stringOption(ctx, 'jwks-url'),
      openidConfigurationUrl: stringOption(ctx, 'openid-configuration-url'),
      jwtPublicKey: keyFile === undefined ? undefined : readPublicKeyFile(keyFile),
    }
    // A partner has exactly one key source, so naming one replaces the others (naming two is refused by the rules).
    if (KEY_SOURCES.some((k) => source[k] !== undefined)) for (const k of KEY_SOURCES) body[k] = source[k] ?? null
    const audience = stringOption(ctx, 'audience')
    if (audience !== undefined) body.jwtAudience = audience
    const maxLifetime = stringOption(ctx, 'max-lifetime')
    if (maxLifetime !== undefined) body.maxTokenLifetimeSeconds = wholeSeconds(maxLifetime, 'maxTokenLifetimeSeconds')
    Object.assign(body, controlFields(ctx, 'update'))
    if (Object.keys(body).length === 0) throw new UsageError('partners update: nothing to change; give at least one option')
    const patch = parsedOrThrow(PartnerPatchSchema.safeParse(body))
    const services = await ctx.services()
    printWrite(ctx, 'Updated', await services.partners.update(ctx.positionals[0]!, patch, { actor: CLI_ACTOR }))
  },
}

function statusCommand(action: 'disable' | 'enable'): Command {
  const status = action === 'disable' ? 'disabled' : 'active'
  return {
    words: ['partners', action],
    synopsis: '<id>',
    summary: action === 'disable' ? "refuse the partner's tokens and API keys from the next request on" : 'accept the partner again',
    positionals: ['id'],
    async run(ctx) {
      const services = await ctx.services()
      const result = await services.partners.update(ctx.positionals[0]!, { status }, { actor: CLI_ACTOR })
      printWrite(ctx, action === 'disable' ? 'Disabled' : 'Enabled', result)
    },
  }
}

export const partnerCommands: Command[] = [list, show, create, update, statusCommand('disable'), statusCommand('enable')]
