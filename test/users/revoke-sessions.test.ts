// revokeSessions: the user's tokens issued before now are refused, with the partner's lifetime as it stands in the store.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { revokeSessions } from '../../src/users/revoke-sessions.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

t.test('revoking stamps tokensValidAfter and the partner lifetime read from the store; unknown partner or user say which', async (tt) => {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  await store.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: makeKey('rev').spkiPem, jwtAudience: null, maxTokenLifetimeSeconds: 900, status: 'active' }),
    'test',
  )
  await store.users.provision('acme', 'user-1', {})
  const before = Math.floor(Date.now() / 1000) * 1000
  const outcome = await revokeSessions(store, 'acme', 'user-1', 'admin:ops')
  tt.equal(outcome.ok, true)
  if (!outcome.ok) return
  tt.equal(outcome.user.externalUserId, 'user-1')
  tt.ok(Date.parse(outcome.user.tokensValidAfter!) >= before)
  tt.equal(outcome.user.revocationLifetimeSeconds, 900)
  tt.match(await store.audit.list({ partnerId: 'acme', limit: 1 }), [{ actor: 'admin:ops' }])
  tt.same(await revokeSessions(store, 'nobody', 'user-1', 'cli'), { ok: false, reason: 'partner_not_found' })
  tt.same(await revokeSessions(store, 'acme', 'nobody', 'cli'), { ok: false, reason: 'user_not_found' })
})
