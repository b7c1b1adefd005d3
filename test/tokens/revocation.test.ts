// Row 16 as a pure function: tokens issued before the user's tokensValidAfter are refused; a token without iat counts as issued at exp − L.
import t from 'tap'
import { revocationFailure } from '../../src/tokens/revocation.js'

const REVOKED = '2030-01-01T12:00:00.000Z'
const revokedAt = Date.parse(REVOKED) / 1000
const partner = { maxTokenLifetimeSeconds: 3600 }
const revoked = (revocationLifetimeSeconds: number | null = 3600) => ({ tokensValidAfter: REVOKED, revocationLifetimeSeconds })

t.test('a user never revoked accepts every token', async (tt) => {
  tt.equal(revocationFailure({ iat: 0, exp: 1 }, { tokensValidAfter: null, revocationLifetimeSeconds: null }, partner), null)
})

t.test('with iat: issued at or after tokensValidAfter passes, a second before is token_revoked', async (tt) => {
  tt.equal(revocationFailure({ iat: revokedAt, exp: revokedAt + 600 }, revoked(), partner), null, 'issued at the very second: accepted')
  tt.equal(revocationFailure({ iat: revokedAt + 0.5, exp: revokedAt + 600 }, revoked(), partner), null)
  tt.equal(
    revocationFailure({ iat: revokedAt - 1, exp: revokedAt + 600 }, revoked(), partner),
    'token issued 2030-01-01T11:59:59.000Z, sessions revoked at 2030-01-01T12:00:00.000Z',
  )
  tt.match(revocationFailure({ iat: revokedAt - 0.001, exp: revokedAt + 600 }, revoked(), partner), /^token issued 2030-01-01T11:59:59.999Z/)
})

t.test('without iat: issued at exp − L, L the larger of the maximum now and at revocation', async (tt) => {
  // L = 3600: exp − 3600 ≥ revokedAt ⇔ exp ≥ revokedAt + 3600.
  tt.equal(revocationFailure({ iat: null, exp: revokedAt + 3600 }, revoked(), partner), null)
  tt.equal(
    revocationFailure({ iat: null, exp: revokedAt + 3599 }, revoked(), partner),
    'token issued 2030-01-01T11:59:59.000Z (it has no iat: counted as exp − 3600 s), sessions revoked at 2030-01-01T12:00:00.000Z',
  )
  // The maximum was raised after the revocation: the current one is larger, so it counts.
  tt.match(revocationFailure({ iat: null, exp: revokedAt + 7199 }, revoked(), { maxTokenLifetimeSeconds: 7200 }), /counted as exp − 7200 s/)
  tt.equal(revocationFailure({ iat: null, exp: revokedAt + 7200 }, revoked(), { maxTokenLifetimeSeconds: 7200 }), null)
  // The maximum was lowered after the revocation: a token signed under the old one must not come back.
  tt.match(revocationFailure({ iat: null, exp: revokedAt + 3599 }, revoked(3600), { maxTokenLifetimeSeconds: 60 }), /counted as exp − 3600 s/)
  tt.equal(revocationFailure({ iat: null, exp: revokedAt + 3600 }, revoked(3600), { maxTokenLifetimeSeconds: 60 }), null)
  // A revocation recorded without a lifetime falls back to the partner's current maximum.
  tt.match(revocationFailure({ iat: null, exp: revokedAt + 59 }, revoked(null), { maxTokenLifetimeSeconds: 60 }), /counted as exp − 60 s/)
})

t.test('an iat no date can hold is shown as a number, never a crash', async (tt) => {
  tt.equal(revocationFailure({ iat: -1e20, exp: revokedAt }, revoked(), partner), `token issued -100000000000000000000 (epoch seconds), sessions revoked at ${REVOKED}`)
})
