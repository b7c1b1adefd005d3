// `gatehouse api-keys …` and `gatehouse admin-tokens …`: secrets are printed once, by the command that creates them.
import { issueAdminToken } from '../../credentials/issue-admin-token.js'
import { issueApiKey } from '../../credentials/issue-api-key.js'
import { AppError } from '../../errors.js'
import { CLI_ACTOR, type Command, stringOption } from '../command.js'
import { formatTable } from '../format.js'

const revokedCell = (revokedAt: string | null) => (revokedAt ? `revoked ${revokedAt}` : 'live')

const apiKeysList: Command = {
  words: ['api-keys', 'list'],
  synopsis: '<partner-id>',
  summary: "a partner's API keys (prefixes only; the secrets are not stored)",
  positionals: ['partner-id'],
  async run(ctx) {
    const { store } = await ctx.services()
    const partnerId = ctx.positionals[0]!
    if (!(await store.partners.get(partnerId))) throw new AppError('not_found', `no partner ${partnerId}`)
    const keys = await store.apiKeys.list(partnerId)
    const human =
      keys.length === 0
        ? `Partner ${partnerId} has no API keys.`
        : formatTable([['ID', 'PREFIX', 'CREATED', 'STATE'], ...keys.map((k) => [k.id, `${k.prefix}…`, k.createdAt, revokedCell(k.revokedAt)])])
    ctx.print(human, { items: keys })
  },
}

const apiKeysCreate: Command = {
  words: ['api-keys', 'create'],
  synopsis: '<partner-id>',
  summary: 'create a partner API key and print it (the only time it is shown)',
  positionals: ['partner-id'],
  async run(ctx) {
    const { store } = await ctx.services()
    const partnerId = ctx.positionals[0]!
    const issued = await issueApiKey(store, partnerId, CLI_ACTOR)
    ctx.print(
      [
        `Created API key ${issued.id} for partner ${partnerId}. It is shown only now; hand it to the partner's backend:`,
        '',
        `  ${issued.key}`,
        '',
        `Revoke it with: gatehouse api-keys revoke ${partnerId} ${issued.id}`,
      ].join('\n'),
      issued,
    )
  },
}

const apiKeysRevoke: Command = {
  words: ['api-keys', 'revoke'],
  synopsis: '<partner-id> <key-id>',
  summary: 'revoke an API key; requests using it are refused from now on',
  positionals: ['partner-id', 'key-id'],
  async run(ctx) {
    const { store } = await ctx.services()
    const [partnerId, keyId] = ctx.positionals as [string, string]
    if (!(await store.apiKeys.revoke(partnerId, keyId, CLI_ACTOR))) {
      throw new AppError('not_found', `no live API key ${keyId} for partner ${partnerId}`)
    }
    ctx.print(`Revoked API key ${keyId} of partner ${partnerId}.`, { id: keyId, partnerId, revoked: true })
  },
}

const adminTokensList: Command = {
  words: ['admin-tokens', 'list'],
  synopsis: '',
  summary: 'admin tokens (prefixes only)',
  async run(ctx) {
    const tokens = await (await ctx.services()).store.adminTokens.list()
    const human =
      tokens.length === 0
        ? 'No admin tokens in the database (ADMIN_TOKEN from the environment is not listed).'
        : formatTable([
            ['ID', 'PREFIX', 'LABEL', 'CREATED', 'STATE'],
            ...tokens.map((t) => [t.id, `${t.prefix}…`, t.label ?? '-', t.createdAt, revokedCell(t.revokedAt)]),
          ])
    ctx.print(human, { items: tokens })
  },
}

const adminTokensCreate: Command = {
  words: ['admin-tokens', 'create'],
  synopsis: '[--label LABEL]',
  summary: 'create an admin token and print it (the only time it is shown)',
  options: { label: { type: 'string' } },
  async run(ctx) {
    const { store } = await ctx.services()
    const issued = await issueAdminToken(store, stringOption(ctx, 'label') ?? null, CLI_ACTOR)
    ctx.print(
      [
        `Created admin token ${issued.id}${issued.label ? ` (${issued.label})` : ''}. It is shown only now:`,
        '',
        `  ${issued.token}`,
        '',
        `Revoke it with: gatehouse admin-tokens revoke ${issued.id}`,
      ].join('\n'),
      issued,
    )
  },
}

const adminTokensRevoke: Command = {
  words: ['admin-tokens', 'revoke'],
  synopsis: '<id>',
  summary: 'revoke an admin token',
  positionals: ['id'],
  async run(ctx) {
    const { store } = await ctx.services()
    const id = ctx.positionals[0]!
    if (!(await store.adminTokens.revoke(id, CLI_ACTOR))) throw new AppError('not_found', `no live admin token ${id}`)
    ctx.print(`Revoked admin token ${id}.`, { id, revoked: true })
  },
}

export const credentialCommands: Command[] = [apiKeysList, apiKeysCreate, apiKeysRevoke, adminTokensList, adminTokensCreate, adminTokensRevoke]
