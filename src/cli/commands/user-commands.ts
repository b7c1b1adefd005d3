// `gatehouse users …`: operations on a partner's users, through the same use-cases as the partner and admin APIs.
import { AppError } from '../../errors.js'
import { revokeSessions } from '../../users/revoke-sessions.js'
import { CLI_ACTOR, type Command } from '../command.js'

const revokeSessionsCommand: Command = {
  words: ['users', 'revoke-sessions'],
  synopsis: '<partner-id> <external-user-id>',
  summary: "revoke a user's sessions: tokens issued before now are refused token_revoked (audited)",
  positionals: ['partner-id', 'external-user-id'],
  async run(ctx) {
    const { store } = await ctx.services()
    const [partnerId, externalUserId] = ctx.positionals as [string, string]
    const outcome = await revokeSessions(store, partnerId, externalUserId, CLI_ACTOR)
    if (!outcome.ok) {
      throw new AppError('not_found', outcome.reason === 'partner_not_found' ? `no partner ${partnerId}` : `partner ${partnerId} has no user ${externalUserId}`)
    }
    // The user object as the APIs return it: the lifetime kept beside the revocation is internal.
    const { revocationLifetimeSeconds: _internal, ...user } = outcome.user
    ctx.print(`Revoked the sessions of ${partnerId}/${externalUserId}: tokens issued before ${user.tokensValidAfter} are refused.`, user)
  },
}

export const userCommands: Command[] = [revokeSessionsCommand]
