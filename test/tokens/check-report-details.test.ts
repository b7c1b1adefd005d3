// The token-check report's claim rows word for word (claim-checks.ts): every success detail, which rows run when
// the times are missing, JSON numbers that parse to Infinity, and where show() and quote() cut a long value.
import { sign } from 'node:crypto'
import t from 'tap'
import type { PartnerRecord } from '../../src/storage/types.js'
import { checkPartnerToken, type Check } from '../../src/tokens/verify-partner-token.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerRecord, SKEW, tokenCore } from '../helpers/token-core.js'

const key = makeKey('report-details')
const USER_ID = 'https://partner.example/claims/user'

async function setup(over: Partial<PartnerRecord> = {}) {
  const record = partnerRecord({ id: 'acme', jwtPublicKey: key.spkiPem, ...over })
  const core = await tokenCore([record])
  const now = core.nowSec()
  /** Claims on top of iss, sub = u1, iat = now − 100 and exp = now + 500; `undefined` leaves a claim out. */
  const token = (claims: Record<string, unknown>) => mint(key, { iss: record.jwtIssuer, sub: 'u1', iat: now - 100, exp: now + 500, ...claims }, { now })
  const check = (token: string) => checkPartnerToken(token, 'acme', core.options)
  /** The report of a token with these claims, and its claim rows (the ones after the signature). */
  const report = async (claims: Record<string, unknown>) => {
    const r = await check(await token(claims))
    return { ...r, rows: claimRows(r.checks) }
  }
  return { record, core, now, token, check, report }
}

const CLAIM_ROWS = ['required_claims', 'expiry', 'not_before', 'lifetime', 'audience', 'partner_claims']
const claimRows = (checks: Check[]) => checks.filter((c) => CLAIM_ROWS.includes(c.name)).map((c) => [c.name, c.ok, c.detail])

/** A token whose payload is exactly `payloadJson` (JSON that JSON.stringify cannot produce, such as 1e400), signed RS256. */
function rawSigned(payloadJson: string): string {
  const enc = (s: string) => Buffer.from(s).toString('base64url')
  const input = `${enc(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))}.${enc(payloadJson)}`
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
}

t.test('a valid token: every claim row passes with its exact detail', async (tt) => {
  const s = await setup({ jwtAudience: 'gatehouse', requiredClaims: { type: 'access', tenant: 't1' } })
  const r = await s.report({ aud: 'gatehouse', type: 'access', tenant: 't1' })
  tt.match(r, { valid: true, code: null, detail: 'token is valid' })
  tt.same(r.rows, [
    ['required_claims', true, 'sub and exp and iat present'],
    ['expiry', true, 'expires in 500 s'],
    ['not_before', true, 'issued 100 s ago'],
    ['lifetime', true, 'lifetime 600 s (max 3600 s)'],
    ['audience', true, 'aud contains "gatehouse"'],
    ['partner_claims', true, 'carries type, tenant as required'],
  ])
})

t.test('an audience list holding the audience passes; a string that merely contains it does not', async (tt) => {
  const s = await setup({ jwtAudience: 'gatehouse' })
  tt.match(await s.report({ aud: ['other', 'gatehouse'] }), { valid: true })
  tt.match(await s.report({ aud: 'not-gatehouse-really' }), {
    valid: false,
    code: 'audience_mismatch',
    detail: 'aud is "not-gatehouse-really", expected "gatehouse"',
  })
  tt.match(await s.report({ aud: ['other', 'gatehouse-2'] }), { code: 'audience_mismatch', detail: 'aud is ["other","gatehouse-2"], expected "gatehouse"' })
  tt.match(await s.report({ aud: 42 }), { code: 'audience_mismatch', detail: 'aud is 42, expected "gatehouse"' })
  tt.match(await s.report({ aud: undefined }), { code: 'audience_mismatch', detail: 'aud is missing, expected "gatehouse"' })
})

t.test('a partner without audience or required claims: its row says so, and no partner_claims row', async (tt) => {
  const s = await setup()
  const r = await s.report({ aud: 'anything' })
  tt.same(r.rows, [
    ['required_claims', true, 'sub and exp and iat present'],
    ['expiry', true, 'expires in 500 s'],
    ['not_before', true, 'issued 100 s ago'],
    ['lifetime', true, 'lifetime 600 s (max 3600 s)'],
    ['audience', true, 'partner sets no audience'],
  ])
})

t.test('a mapped user id claim is named in the success detail', async (tt) => {
  const s = await setup({ claimMapping: { externalUserId: USER_ID }, maxTokenLifetimeSeconds: 900 })
  const r = await s.report({ sub: undefined, [USER_ID]: 'p-1' })
  tt.same(r.rows.slice(0, 1), [['required_claims', true, `user id claim ${USER_ID} and exp and iat present`]])
  tt.same(r.rows[3], ['lifetime', true, 'lifetime 600 s (max 900 s)'])
})

t.test('no iat where the partner allows it: the rows say what they judged instead', async (tt) => {
  const s = await setup({ requireIssuedAt: false })
  const r = await s.report({ iat: undefined })
  tt.match(r, { valid: true })
  tt.same(r.rows, [
    ['required_claims', true, 'sub and exp (iat is optional for this partner) present'],
    ['expiry', true, 'expires in 500 s'],
    ['not_before', true, 'no iat; nbf, if any, has passed'],
    ['lifetime', true, 'no iat; expires in 500 s (max 3600 s)'],
    ['audience', true, 'partner sets no audience'],
  ])
  // With an iat the same partner reports it as any other.
  tt.same((await s.report({})).rows.slice(0, 1), [['required_claims', true, 'sub and exp and iat present']])
})

t.test('missing times: the missing row lists each, and the rows that need them are not run', async (tt) => {
  const strict = await setup()
  const none = await strict.report({ sub: undefined, exp: undefined, iat: undefined })
  tt.match(none, { valid: false, code: 'missing_claim', detail: 'sub is missing; exp is missing; iat is missing' })
  tt.same(none.rows, [
    ['required_claims', false, 'sub is missing; exp is missing; iat is missing'],
    ['audience', true, 'partner sets no audience'],
  ])

  const noIat = await strict.report({ iat: undefined })
  tt.same(noIat.rows, [
    ['required_claims', false, 'iat is missing'],
    ['expiry', true, 'expires in 500 s'],
    ['audience', true, 'partner sets no audience'],
  ])

  const noExp = await strict.report({ exp: undefined })
  tt.same(noExp.rows, [
    ['required_claims', false, 'exp is missing'],
    ['not_before', true, 'issued 100 s ago'],
    ['audience', true, 'partner sets no audience'],
  ])

  const lax = await setup({ requireIssuedAt: false })
  const laxNone = await lax.report({ exp: undefined, iat: undefined })
  tt.same(laxNone.rows, [
    ['required_claims', false, 'exp is missing'],
    ['not_before', true, 'no iat; nbf, if any, has passed'],
    ['audience', true, 'partner sets no audience'],
  ])
})

t.test('every claim problem is listed at once; the first decides the answer', async (tt) => {
  const s = await setup({ jwtAudience: 'gatehouse', requiredClaims: { type: 'access' } })
  const r = await s.report({ iat: s.now - 4000, exp: s.now - SKEW, type: 'refresh' })
  tt.match(r, { valid: false, code: 'token_expired', detail: `expired ${SKEW} s ago (skew ${SKEW} s)` })
  tt.same(r.rows, [
    ['required_claims', true, 'sub and exp and iat present'],
    ['expiry', false, `expired ${SKEW} s ago (skew ${SKEW} s)`],
    ['not_before', true, 'issued 4000 s ago'],
    ['lifetime', false, 'exp − iat is 3940 s; the partner allows at most 3600 s'],
    ['audience', false, 'aud is missing, expected "gatehouse"'],
    ['partner_claims', false, "claim type is 'refresh', expected 'access'"],
  ])
})

t.test('seconds are rounded to the nearest whole second', async (tt) => {
  const s = await setup()
  const token = await s.token({})
  s.core.clock.now += 400
  tt.same(claimRows((await s.check(token)).checks).slice(1, 3), [
    ['expiry', true, 'expires in 500 s'],
    ['not_before', true, 'issued 100 s ago'],
  ])
  s.core.clock.now += 200
  tt.same(claimRows((await s.check(token)).checks).slice(1, 3), [
    ['expiry', true, 'expires in 499 s'],
    ['not_before', true, 'issued 101 s ago'],
  ])
})

t.test('a JSON number too large for a double (1e400 parses to Infinity) is not a number', async (tt) => {
  const s = await setup({ requireIssuedAt: false })
  const iss = JSON.stringify(s.record.jwtIssuer)
  const exp = await s.check(rawSigned(`{"iss":${iss},"sub":"u1","iat":${s.now},"exp":1e400}`))
  tt.match(exp, { valid: false, code: 'missing_claim', detail: 'exp is not a number' })
  tt.equal(exp.claims?.exp, Infinity, 'the payload did carry Infinity')
  tt.same(claimRows(exp.checks).map(([name]) => name), ['required_claims', 'not_before', 'audience'], 'expiry and lifetime are not judged')

  const negative = await s.check(rawSigned(`{"iss":${iss},"sub":"u1","iat":${s.now},"exp":-1e400}`))
  tt.match(negative, { code: 'missing_claim', detail: 'exp is not a number' })

  const iat = await s.check(rawSigned(`{"iss":${iss},"sub":"u1","iat":1e400,"exp":${s.now + 500}}`))
  tt.match(iat, { valid: false, code: 'missing_claim', detail: 'iat is not a number' })
  tt.same(claimRows(iat.checks).map(([name]) => name), ['required_claims', 'expiry', 'audience'], 'an unjudgeable iat skips not_before and lifetime')

  const nbf = await s.check(rawSigned(`{"iss":${iss},"sub":"u1","exp":${s.now + 500},"nbf":1e400}`))
  tt.match(nbf, { valid: false, code: 'token_not_yet_valid', detail: 'nbf is present but not a number' })
})

t.test('show() cuts a value whose JSON passes 80 characters to 77 and three dots', async (tt) => {
  const a = (n: number) => 'a'.repeat(n)
  const cut = `"${a(76)}...`
  for (const [n, shown] of [
    [78, `"${a(78)}"`],
    [79, cut],
    [80, cut],
  ] as const) {
    const s = await setup({ jwtAudience: a(n) })
    tt.equal((await s.report({ aud: a(n) })).rows[4]?.[2], `aud contains ${shown}`, `an audience of ${n} characters`)
    tt.equal((await s.report({ aud: 'b' })).detail, `aud is "b", expected ${shown}`)
  }
  const s = await setup({ jwtAudience: 'gatehouse' })
  tt.equal((await s.report({ aud: `b${a(77)}` })).detail, `aud is "b${a(77)}", expected "gatehouse"`, '80 characters of JSON with the quotes: kept')
  tt.equal((await s.report({ aud: a(79) })).detail, `aud is ${cut}, expected "gatehouse"`)
  tt.equal((await s.report({ aud: [a(80)] })).detail, `aud is ["${a(75)}..., expected "gatehouse"`)
})

t.test('quote() keeps a string of 80 characters and cuts one of 81 to 77 and three dots', async (tt) => {
  const q = (n: number) => 'q'.repeat(n)
  const s80 = await setup({ requiredClaims: { type: q(80) } })
  tt.match(await s80.report({}), { code: 'missing_claim', detail: `claim type is missing, expected '${q(80)}'` })
  tt.match(await s80.report({ type: 'z'.repeat(80) }), { code: 'claim_mismatch', detail: `claim type is '${'z'.repeat(80)}', expected '${q(80)}'` })
  const s81 = await setup({ requiredClaims: { type: q(81) } })
  tt.match(await s81.report({}), { code: 'missing_claim', detail: `claim type is missing, expected '${q(77)}...'` })
  tt.match(await s81.report({ type: 'z'.repeat(81) }), { code: 'claim_mismatch', detail: `claim type is '${'z'.repeat(77)}...', expected '${q(77)}...'` })
  tt.match(await s81.report({ type: { x: 'y'.repeat(100) } }), { code: 'claim_mismatch', detail: `claim type is {"x":"${'y'.repeat(71)}..., expected '${q(77)}...'` })
})
