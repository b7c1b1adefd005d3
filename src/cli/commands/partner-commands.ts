// `gatehouse partners …`: partner records through the same use-case and rules as the admin API.
import { readFileSync } from 'node:fs'
import { AppError, type FieldError } from '../../errors.js'
import { PartnerCreateSchema } from '../../partners/partner-fields.js'
import type { PartnerWriteResult } from '../../partners/partner-service.js'
import type { ApiKeyRecord, PartnerRecord } from '../../storage/types.js'
import type { KeyView } from '../../tokens/issuer-directory.js'
import { CliError, UsageError } from '../cli-error.js'
import { CLI_ACTOR, type Command, type CommandContext, stringOption } from '../command.js'
import { formatFields, formatTable } from '../format.js'

function keySource(p: PartnerRecord): string {
  return p.jwksUrl !== null ? `jwks ${p.jwksUrl}` : 'static public key'
}

export function describePartner(p: PartnerRecord): string {
  return [
    `${p.id}  ${p.name}  (${p.status}, version ${p.version})`,
    formatFields([
      ['issuer', p.jwtIssuer],
      ['keys', p.jwksUrl !== null ? `JWKS ${p.jwksUrl}` : 'static public key (PEM)'],
      ['audience', p.jwtAudience],
      ['max lifetime', `${p.maxTokenLifetimeSeconds} s`],
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

const create: Command = {
  words: ['partners', 'create'],
  synopsis: '--id ID --name NAME --issuer ISS (--jwks-url URL | --public-key-file FILE) [--audience AUD] [--max-lifetime SECONDS]',
  summary: 'create a partner (validated and audited like POST /admin/partners)',
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    issuer: { type: 'string' },
    'jwks-url': { type: 'string' },
    'public-key-file': { type: 'string' },
    audience: { type: 'string' },
    'max-lifetime': { type: 'string' },
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
    if (keyFile !== undefined) body.jwtPublicKey = readPublicKeyFile(keyFile)
    const audience = stringOption(ctx, 'audience')
    if (audience !== undefined) body.jwtAudience = audience
    if (maxLifetime !== undefined) body.maxTokenLifetimeSeconds = wholeSeconds(maxLifetime, 'maxTokenLifetimeSeconds')
    // The field rules the admin API applies, then the same use-case: the CLI cannot write what the API would refuse.
    const parsed = PartnerCreateSchema.safeParse(body)
    if (!parsed.success) {
      const errors: FieldError[] = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
      throw new AppError('invalid_request', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
    }
    const services = await ctx.services()
    printWrite(ctx, 'Created', await services.partners.create(parsed.data, CLI_ACTOR))
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

export const partnerCommands: Command[] = [list, show, create, statusCommand('disable'), statusCommand('enable')]
