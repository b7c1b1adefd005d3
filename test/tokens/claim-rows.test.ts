// Rows 10–15 of the verification table (docs/reference.md, Token verification) at the token core, each boundary at the exact second.
import { sign } from 'node:crypto'
import t, { type Test } from 'tap'
import type { PartnerRecord } from '../../src/storage/types.js'
import { checkPartnerToken, verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerRecord, SKEW, tokenCore } from '../helpers/token-core.js'

const key = makeKey('rows')
const USER_ID = 'https://cointracker.com/claims/partner_user_id'
const PARTNER_NAME = 'https://cointracker.com/claims/partner_name'

async function setup(over: Partial<PartnerRecord> = {}) {
  const record = partnerRecord({ id: 'acme', jwtPublicKey: key.spkiPem, ...over })
  const core = await tokenCore([record])
  const now = core.nowSec()
  /** Claims on top of iss, sub, iat = now and exp = now + 600; `undefined` leaves a claim out. */
  const token = (claims: Record<string, unknown>) => mint(key, { iss: record.jwtIssuer, sub: 'u1', ...claims }, { now })
  const verify = async (claims: Record<string, unknown>) => verifyPartnerToken(await token(claims), core.options)
  /** A token signed over payload JSON as given, for numbers JSON.stringify cannot write (1e400 parses as Infinity). */
  const rawPayload = (json: string) => {
    const input = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(json).toString('base64url')}`
    return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
  }
  const verifyRaw = (json: string) => verifyPartnerToken(rawPayload(json), core.options)
  return { core, record, now, token, verify, verifyRaw }
}

async function refused(tt: Test, attempt: Promise<unknown>, code: string, detail: string | RegExp, message?: string) {
  await tt.rejects(attempt, { code, detail }, message ?? `${code}: ${detail}`)
}

t.test('row 10: sub must be a well-formed string of 1–255 characters', async (tt) => {
  const s = await setup()
  tt.equal((await s.verify({ sub: 'x'.repeat(255) })).sub, 'x'.repeat(255), '255 characters pass')
  await refused(tt, s.verify({ sub: 'x'.repeat(256) }), 'missing_claim', 'sub has 256 characters (1–255 allowed)')
  await refused(tt, s.verify({ sub: '' }), 'missing_claim', 'sub has 0 characters (1–255 allowed)')
  await refused(tt, s.verify({ sub: undefined }), 'missing_claim', 'sub is missing')
  await refused(tt, s.verify({ sub: 7 }), 'missing_claim', 'sub is not a string')
  await refused(tt, s.verify({ sub: 'a\u0000b' }), 'missing_claim', /^sub /)
  await refused(tt, s.verify({ sub: 'a\udc00' }), 'missing_claim', /^sub /)
})

t.test('row 10: a mapped user id claim is read instead of sub, and named in the detail', async (tt) => {
  const s = await setup({ claimMapping: { externalUserId: USER_ID } })
  const verified = await s.verify({ sub: undefined, [USER_ID]: 'partner-user-42' })
  tt.equal(verified.sub, 'partner-user-42', 'the user id comes from the mapped claim')
  tt.equal((await s.verify({ sub: 'ignored', [USER_ID]: 'p-1' })).sub, 'p-1', 'sub is ignored when the user id is mapped')
  await refused(tt, s.verify({ sub: 'u1' }), 'missing_claim', `user id claim ${USER_ID} is missing`, 'a sub does not stand in for the mapped claim')
  await refused(tt, s.verify({ [USER_ID]: 42 }), 'missing_claim', `user id claim ${USER_ID} is not a string`)
  await refused(tt, s.verify({ [USER_ID]: 'y'.repeat(256) }), 'missing_claim', `user id claim ${USER_ID} has 256 characters (1–255 allowed)`)
  tt.equal((await s.verify({ [USER_ID]: 'y'.repeat(255) })).sub.length, 255)
})

t.test('row 10: a time claim beyond a double (1e400, which JSON.parse reads as Infinity) is not a number', async (tt) => {
  const s = await setup()
  const claims = (times: string) => `{"iss":${JSON.stringify(s.record.jwtIssuer)},"sub":"u1",${times}}`
  tt.equal((await s.verifyRaw(claims(`"iat":${s.now},"exp":${s.now + 600}`))).sub, 'u1', 'the same token with finite times passes')
  await refused(tt, s.verifyRaw(claims(`"iat":${s.now},"exp":1e400`)), 'missing_claim', 'exp is not a number')
  await refused(tt, s.verifyRaw(claims(`"iat":-1e400,"exp":${s.now + 600}`)), 'missing_claim', 'iat is not a number')
  await refused(tt, s.verifyRaw(claims(`"iat":${s.now},"exp":${s.now + 600},"nbf":1e400`)), 'token_not_yet_valid', 'nbf is present but not a number')
})

t.test('row 10: exp must be a number; iat too unless the partner does not require it', async (tt) => {
  const strict = await setup()
  await refused(tt, strict.verify({ exp: undefined }), 'missing_claim', 'exp is missing')
  await refused(tt, strict.verify({ exp: '123' }), 'missing_claim', 'exp is not a number')
  await refused(tt, strict.verify({ iat: undefined }), 'missing_claim', 'iat is missing')
  await refused(tt, strict.verify({ iat: null }), 'missing_claim', 'iat is not a number')

  const lax = await setup({ requireIssuedAt: false })
  const verified = await lax.verify({ iat: undefined })
  tt.equal(verified.iat, null, 'no iat: accepted, and the result says so')
  tt.equal((await lax.verify({})).iat, lax.now, 'an iat is still read when present')
  await refused(tt, lax.verify({ iat: 'yesterday' }), 'missing_claim', 'iat is not a number', 'a present iat must still be a number')
  await refused(tt, lax.verify({ iat: null }), 'missing_claim', 'iat is not a number', 'null is present, not absent')
  await refused(tt, lax.verify({ iat: undefined, exp: undefined }), 'missing_claim', 'exp is missing', 'exp stays required')
})

t.test('row 11: exp must be after now − skew', async (tt) => {
  const s = await setup()
  await refused(tt, s.verify({ iat: s.now - 300, exp: s.now - SKEW }), 'token_expired', `expired ${SKEW} s ago (skew ${SKEW} s)`)
  tt.ok(await s.verify({ iat: s.now - 300, exp: s.now - SKEW + 1 }), 'one second later it passes')
})

t.test('row 12: iat and nbf at most now + skew; without iat, nbf is still judged', async (tt) => {
  const s = await setup()
  tt.ok(await s.verify({ iat: s.now + SKEW, exp: s.now + 600 }))
  await refused(tt, s.verify({ iat: s.now + SKEW + 1, exp: s.now + 600 }), 'token_not_yet_valid', `iat is ${SKEW + 1} s in the future (skew ${SKEW} s)`)

  const lax = await setup({ requireIssuedAt: false })
  tt.ok(await lax.verify({ iat: undefined, nbf: lax.now + SKEW }))
  await refused(tt, lax.verify({ iat: undefined, nbf: lax.now + SKEW + 1 }), 'token_not_yet_valid', `nbf is ${SKEW + 1} s in the future (skew ${SKEW} s)`)
  await refused(tt, lax.verify({ iat: undefined, nbf: 'soon' }), 'token_not_yet_valid', 'nbf is present but not a number')
  await refused(tt, lax.verify({ iat: lax.now + SKEW + 1 }), 'token_not_yet_valid', /^iat is 61 s in the future/, 'a present iat is judged as ever')
})

t.test('row 13: exp − iat at most the maximum; without iat, exp − now at most the maximum', async (tt) => {
  const s = await setup({ maxTokenLifetimeSeconds: 900, requireIssuedAt: false })
  tt.ok(await s.verify({ iat: s.now, exp: s.now + 900 }))
  await refused(tt, s.verify({ iat: s.now, exp: s.now + 901 }), 'token_lifetime_too_long', 'exp − iat is 901 s; the partner allows at most 900 s')
  tt.ok(await s.verify({ iat: undefined, exp: s.now + 900 }), 'no iat: 900 s left is allowed')
  await refused(
    tt,
    s.verify({ iat: undefined, exp: s.now + 901 }),
    'token_lifetime_too_long',
    'token has no iat and expires in 901 s; the partner allows at most 900 s',
  )
})

t.test('row 15: every required claim present and exactly its string', async (tt) => {
  const s = await setup({ requiredClaims: { [PARTNER_NAME]: 'acme', type: 'access_token' } })
  const ok = { [PARTNER_NAME]: 'acme', type: 'access_token' }
  tt.ok(await s.verify(ok))
  await refused(tt, s.verify({ type: 'access_token' }), 'missing_claim', `claim ${PARTNER_NAME} is missing, expected 'acme'`)
  await refused(tt, s.verify({ ...ok, [PARTNER_NAME]: 'acme-old' }), 'claim_mismatch', `claim ${PARTNER_NAME} is 'acme-old', expected 'acme'`)
  await refused(tt, s.verify({ ...ok, [PARTNER_NAME]: null }), 'claim_mismatch', `claim ${PARTNER_NAME} is null, expected 'acme'`)
  await refused(tt, s.verify({ ...ok, [PARTNER_NAME]: 7 }), 'claim_mismatch', `claim ${PARTNER_NAME} is 7, expected 'acme'`)
  await refused(tt, s.verify({ ...ok, [PARTNER_NAME]: ['acme'] }), 'claim_mismatch', `claim ${PARTNER_NAME} is ["acme"], expected 'acme'`)
  await refused(tt, s.verify({ ...ok, [PARTNER_NAME]: 'ACME' }), 'claim_mismatch', /is 'ACME', expected 'acme'$/, 'compared exactly')
  await refused(
    tt,
    s.verify({ type: 'id_token' }),
    'missing_claim',
    `claim ${PARTNER_NAME} is missing, expected 'acme'; claim type is 'id_token', expected 'access_token'`,
    'an absent claim decides the code; the detail lists every problem',
  )
})

t.test('row 15 comes after the other claim rows, and a partner without required claims reports no such check', async (tt) => {
  const s = await setup({ requiredClaims: { type: 'access_token' }, jwtAudience: 'gatehouse' })
  await refused(tt, s.verify({ type: 'id_token' }), 'audience_mismatch', /^aud is missing/)
  await refused(tt, s.verify({ sub: undefined, type: 'id_token', aud: 'gatehouse' }), 'missing_claim', 'sub is missing')
  const report = await checkPartnerToken(await s.token({ type: 'id_token', aud: 'gatehouse' }), 'acme', s.core.options)
  tt.match(report, { valid: false, code: 'claim_mismatch', detail: "claim type is 'id_token', expected 'access_token'" })
  tt.match(report.checks.at(-1), { name: 'partner_claims', ok: false })

  const plain = await setup()
  const names = (await checkPartnerToken(await plain.token({}), 'acme', plain.core.options)).checks.map((c) => c.name)
  tt.notOk(names.includes('partner_claims'))
})

t.test('a required claim named like an Object.prototype member must be carried by the token itself', async (tt) => {
  const s = await setup({ requiredClaims: { constructor: 'x' } })
  await refused(tt, s.verify({}), 'missing_claim', "claim constructor is missing, expected 'x'")
  tt.ok(await s.verify({ constructor: 'x' }))
})
