// Rows 1–9 of the verification table at the token core: each refusal's code and detail, which check wins when two fail,
// the token-check report check by check, and what a verified token carries.
import { generateKeyPairSync, sign } from 'node:crypto'
import t, { type Test } from 'tap'
import { AppError } from '../../src/errors.js'
import type { PartnerRecord } from '../../src/storage/types.js'
import type { IssuerDirectory, PartnerEntry } from '../../src/tokens/issuer-directory.js'
import { checkPartnerToken, type VerifyOptions, verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { partnerRecord, SKEW, tokenCore } from '../helpers/token-core.js'

const key = makeKey('rows-static')
const other = makeKey('rows-other')
const k1 = makeKey('k1')
const k2 = makeKey('k2')
const ISS = 'https://acme.example'
const UNAVAILABLE = "the partner's signing keys cannot be fetched right now; retry later"

const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

/** A token signed with node:crypto, for headers jose will not produce (crit, odd alg values, non-string kid). */
function signed(signer: TestKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${enc(header)}.${enc(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), signer.privateKey).toString('base64url')}`
}

async function staticSetup(over: Partial<PartnerRecord> = {}, more: PartnerRecord[] = []) {
  const record = partnerRecord({ id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem, ...over })
  const core = await tokenCore([record, ...more])
  const now = core.nowSec()
  const claims = (extra: Record<string, unknown> = {}) => {
    const payload: Record<string, unknown> = { iss: ISS, sub: 'u1', iat: now, exp: now + 600, ...extra }
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k]
    return payload
  }
  const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer: TestKey = key) =>
    signed(signer, { alg: 'RS256', typ: 'JWT', ...header }, claims(extra))
  return { record, core, now, token }
}

async function jwksSetup(tt: Test, published: object[], over: Partial<PartnerRecord> = {}) {
  const server = await startJwksServer(tt, published)
  const s = await staticSetup({ jwtPublicKey: null, jwksUrl: server.url, ...over })
  return { ...s, server }
}

async function refused(tt: Test, attempt: Promise<unknown>, expected: Record<string, unknown>, message?: string): Promise<AppError> {
  try {
    await attempt
  } catch (err) {
    tt.ok(err instanceof AppError, 'an AppError')
    tt.match(err, expected, message ?? `${String(expected.code)}: ${String(expected.detail)}`)
    return err as AppError
  }
  tt.fail(`expected a refusal ${JSON.stringify(expected)}`)
  throw new Error('unreachable')
}

const failWith500 = (server: JwksServer) =>
  server.setHandler((_req, res) => {
    res.statusCode = 500
    res.end('down')
  })

t.test('row 1: a malformed token is malformed_token before anything else, reported as the format check', async (tt) => {
  const s = await staticSetup()
  const err = await refused(tt, verifyPartnerToken('a.b', s.core.options), { code: 'malformed_token', detail: 'token has 2 dot-separated parts, expected 3' })
  tt.equal(err.partnerId, undefined, 'no partner is known yet')
  const report = await checkPartnerToken('a.b', 'acme', s.core.options)
  tt.same(report, {
    valid: false,
    code: 'malformed_token',
    detail: 'token has 2 dot-separated parts, expected 3',
    header: null,
    claims: null,
    checks: [{ name: 'format', ok: false, detail: 'token has 2 dot-separated parts, expected 3' }],
  })
})

t.test('row 2: alg must be RS256; the detail quotes what was sent, clipped at 100 characters', async (tt) => {
  const s = await staticSetup()
  const cases: [unknown, string][] = [
    ['HS256', "alg is 'HS256'; only 'RS256' is accepted"],
    ['rs256', "alg is 'rs256'; only 'RS256' is accepted"],
    [7, "alg is '7'; only 'RS256' is accepted"],
    [{ a: 1 }, `alg is '{"a":1}'; only 'RS256' is accepted`],
    [['RS256'], `alg is '["RS256"]'; only 'RS256' is accepted`],
    [null, "alg is 'null'; only 'RS256' is accepted"],
    [undefined, "alg is 'undefined'; only 'RS256' is accepted"],
    ['x'.repeat(100), `alg is '${'x'.repeat(100)}'; only 'RS256' is accepted`],
    ['y'.repeat(101), `alg is '${'y'.repeat(97)}...'; only 'RS256' is accepted`],
  ]
  for (const [alg, detail] of cases) {
    const header = alg === undefined ? { typ: 'JWT' } : { alg, typ: 'JWT' }
    const token = signed(key, header, { iss: ISS, sub: 'u1', iat: s.now, exp: s.now + 600 })
    const err = await refused(tt, verifyPartnerToken(token, s.core.options), { code: 'unsupported_algorithm', detail }, `alg ${JSON.stringify(alg)}`)
    tt.equal(err.partnerId, undefined)
  }
  const report = await checkPartnerToken(s.token({}, { alg: 'none' }), 'acme', s.core.options)
  tt.same(
    report.checks,
    [
      { name: 'format', ok: true, detail: 'three base64url parts; header and payload are JSON objects' },
      { name: 'algorithm', ok: false, detail: "alg is 'none'; only 'RS256' is accepted" },
    ],
    'the report stops at the algorithm',
  )
  tt.match(report, { valid: false, code: 'unsupported_algorithm', header: { alg: 'none', typ: 'JWT' }, claims: { iss: ISS, sub: 'u1' } })
})

t.test('row 3: a crit header is malformed_token; a wrong alg wins over it', async (tt) => {
  const s = await staticSetup()
  await refused(tt, verifyPartnerToken(s.token({}, { crit: ['exp'] }), s.core.options), { code: 'malformed_token', detail: 'the crit header is not supported' })
  await refused(tt, verifyPartnerToken(s.token({}, { crit: [] }), s.core.options), { code: 'malformed_token', detail: 'the crit header is not supported' }, 'even empty')
  await refused(tt, verifyPartnerToken(s.token({}, { alg: 'HS256', crit: ['exp'] }), s.core.options), { code: 'unsupported_algorithm' })
  await refused(
    tt,
    verifyPartnerToken(s.token({ iss: 'https://nobody.example' }, { crit: ['exp'] }), s.core.options),
    { code: 'malformed_token' },
    'crit wins over an unknown issuer',
  )
  const report = await checkPartnerToken(s.token({}, { crit: ['exp'] }), 'acme', s.core.options)
  tt.same(report.checks.slice(1), [
    { name: 'algorithm', ok: true, detail: 'alg RS256' },
    { name: 'critical_headers', ok: false, detail: 'the crit header is not supported' },
  ])
  // jku, x5u, jwk and x5c are ignored: a header pointing elsewhere changes nothing.
  const verified = await verifyPartnerToken(s.token({}, { jku: 'http://127.0.0.1:1/jwks', jwk: other.publicJwk }), s.core.options)
  tt.ok(verified.key.equals(key.publicKey))
})

t.test('row 4: iss must be a string naming a partner', async (tt) => {
  const s = await staticSetup()
  await refused(tt, verifyPartnerToken(s.token({ iss: undefined }), s.core.options), { code: 'unknown_issuer', detail: 'iss is missing' })
  await refused(tt, verifyPartnerToken(s.token({ iss: 7 }), s.core.options), { code: 'unknown_issuer', detail: 'iss is not a string' })
  await refused(tt, verifyPartnerToken(s.token({ iss: null }), s.core.options), { code: 'unknown_issuer', detail: 'iss is not a string' })
  const err = await refused(tt, verifyPartnerToken(s.token({ iss: 'https://nobody.example' }), s.core.options), {
    code: 'unknown_issuer',
    detail: "iss 'https://nobody.example' names no partner",
  })
  tt.equal(err.partnerId, undefined)
  await refused(tt, verifyPartnerToken(s.token({ iss: `${ISS}/` }), s.core.options), { code: 'unknown_issuer' }, 'compared exactly')
  await refused(
    tt,
    verifyPartnerToken(s.token({ iss: 'https://nobody.example', exp: s.now - 3600 }, {}, other), s.core.options),
    { code: 'unknown_issuer' },
    'an unknown issuer wins over a bad signature and an expired token',
  )
  const long = `https://${'z'.repeat(120)}.example`
  await refused(tt, verifyPartnerToken(s.token({ iss: long }), s.core.options), { code: 'unknown_issuer', detail: `iss '${long.slice(0, 97)}...' names no partner` })
})

t.test("row 4 in a partner's token check: only its own issuer counts", async (tt) => {
  const s = await staticSetup({}, [partnerRecord({ id: 'beta', jwtIssuer: 'https://beta.example', jwtPublicKey: other.spkiPem })])
  const betaToken = signed(other, { alg: 'RS256' }, { iss: 'https://beta.example', sub: 'u1', iat: s.now, exp: s.now + 600 })
  tt.ok(await verifyPartnerToken(betaToken, s.core.options), 'a valid token of partner beta')
  const report = await checkPartnerToken(betaToken, 'acme', s.core.options)
  tt.match(report, { valid: false, code: 'unknown_issuer', detail: "iss 'https://beta.example' is not your issuer 'https://acme.example'" })
  tt.same(report.checks.at(-1), { name: 'issuer', ok: false, detail: "iss 'https://beta.example' is not your issuer 'https://acme.example'" })
  tt.match(await checkPartnerToken(betaToken, 'beta', s.core.options), { valid: true })
  tt.match(
    await checkPartnerToken(betaToken, 'gone', s.core.options),
    { valid: false, code: 'unknown_issuer', detail: "iss 'https://beta.example' names no partner" },
    'a partner id the directory does not hold',
  )
  tt.match(
    await checkPartnerToken(s.token({ iss: 'https://nobody.example' }), 'acme', s.core.options),
    { code: 'unknown_issuer', detail: "iss 'https://nobody.example' is not your issuer 'https://acme.example'" },
    'an issuer of no partner, checked by a partner',
  )
})

t.test('row 5: a disabled partner is refused after its issuer is known and before its keys are looked at', async (tt) => {
  const s = await staticSetup({ status: 'disabled' })
  const err = await refused(tt, verifyPartnerToken(s.token(), s.core.options), { code: 'partner_disabled', detail: 'partner acme is disabled' })
  tt.equal(err.partnerId, 'acme', 'the refusal names its partner')
  await refused(tt, verifyPartnerToken(s.token({ exp: s.now - 3600 }, {}, other), s.core.options), { code: 'partner_disabled' }, 'wins over a bad signature and expiry')
  const report = await checkPartnerToken(s.token(), 'acme', s.core.options)
  tt.same(report.checks.slice(2), [
    { name: 'critical_headers', ok: true, detail: 'no crit header; jku, x5u, jwk and x5c are never used' },
    { name: 'issuer', ok: true, detail: 'partner acme' },
    { name: 'partner_active', ok: false, detail: 'partner acme is disabled' },
  ])

  const server = await startJwksServer(tt, [k1.publicJwk])
  const j = await staticSetup({ status: 'disabled', jwtPublicKey: null, jwksUrl: server.url })
  await refused(tt, verifyPartnerToken(j.token({}, { kid: 'nope' }, k1), j.core.options), { code: 'partner_disabled' }, 'wins over an unknown kid')
  await refused(tt, verifyPartnerToken(j.token({}, { kid: 7 }, k1), j.core.options), { code: 'partner_disabled' }, 'wins over a non-string kid')
  tt.equal(server.requests, 0, "a disabled partner's JWKS is not fetched")
})

t.test('rows 6–7 with a JWKS: kid must be a string found in the JWKS, naming a strong key', async (tt) => {
  const weak = makeKey('weak', 1024)
  const s = await jwksSetup(tt, [k1.publicJwk, weak.publicJwk])
  const err = await refused(tt, verifyPartnerToken(s.token({}, { kid: 7 }, k1), s.core.options), { code: 'unknown_key', detail: 'kid is not a string' })
  tt.equal(err.partnerId, 'acme')
  tt.equal(err.retryAfterSeconds, undefined)
  await refused(tt, verifyPartnerToken(s.token({}, { kid: null }, k1), s.core.options), { code: 'unknown_key', detail: 'kid is not a string' })
  tt.equal(s.server.requests, 0, 'refused before the JWKS is fetched')

  const unknown = await refused(tt, verifyPartnerToken(s.token({ exp: s.now - 3600 }, { kid: 'k9' }, k1), s.core.options), {
    code: 'unknown_key',
    detail: 'kid k9 not in JWKS (has k1, weak)',
  })
  tt.equal(unknown.retryAfterSeconds, undefined, 'only jwks_unavailable carries a Retry-After')
  tt.equal(unknown.partnerId, 'acme')
  await refused(tt, verifyPartnerToken(s.token({}, { kid: 'weak' }, weak), s.core.options), {
    code: 'weak_key',
    detail: 'kid weak names a 1024-bit key (minimum 2048)',
  })

  const unknownReport = await checkPartnerToken(s.token({}, { kid: 'k9' }, k1), 'acme', s.core.options)
  tt.same(unknownReport.checks.slice(4), [
    { name: 'partner_active', ok: true, detail: 'partner is active' },
    { name: 'key', ok: false, detail: 'kid k9 not in JWKS (has k1, weak)' },
  ])
  const weakReport = await checkPartnerToken(s.token({}, { kid: 'weak' }, weak), 'acme', s.core.options)
  tt.same(weakReport.checks.at(-1), { name: 'key_strength', ok: false, detail: 'kid weak names a 1024-bit key (minimum 2048)' }, 'a weak key is the key strength check')
  tt.equal(weakReport.checks.length, 6)
})

t.test('row 6 with a JWKS that cannot be fetched: jwks_unavailable with a Retry-After', async (tt) => {
  const s = await jwksSetup(tt, [])
  failWith500(s.server)
  const err = await refused(tt, verifyPartnerToken(s.token({}, { kid: 'k1' }, k1), s.core.options), {
    code: 'jwks_unavailable',
    detail: UNAVAILABLE,
    retryAfterSeconds: 5,
    status: 503,
  })
  tt.equal(err.partnerId, 'acme')
  s.core.clock.now += 2_000
  await refused(tt, verifyPartnerToken(s.token({}, { kid: 'k1' }, k1), s.core.options), { code: 'jwks_unavailable', retryAfterSeconds: 3 })
  const report = await checkPartnerToken(s.token({}, { kid: 'k1' }, k1), 'acme', s.core.options)
  tt.same(report.checks.at(-1), { name: 'key', ok: false, detail: UNAVAILABLE })
})

/** A directory of one partner entry built by hand: a key source that hands the verifier a key it must still refuse. */
function handBuiltDirectory(entry: PartnerEntry): IssuerDirectory {
  const byIssuer = (iss: string) => (iss === entry.record.jwtIssuer ? entry : undefined)
  const byId = (id: string) => (id === entry.record.id ? entry : undefined)
  return { byIssuer, byId } as unknown as IssuerDirectory
}

t.test('row 7 next to the signature: a candidate under 2048 bits or not RSA is weak_key whatever its source said', async (tt) => {
  const weak = makeKey('weak', 1024)
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
  const clock = { now: Math.floor(Date.now() / 1000) * 1000 }
  const now = clock.now / 1000
  const record = partnerRecord({ id: 'hand', jwtIssuer: ISS, jwtPublicKey: key.spkiPem })
  const withKeys = (keys: { key: typeof ec; bits: number }[]): VerifyOptions => ({
    directory: handBuiltDirectory({
      record,
      keys: { kind: 'static', bits: keys[0]!.bits, candidates: keys.map(({ key: k }) => ({ key: k, usage: { lastVerifiedAt: null }, label: 'the static key' })) },
    }),
    skewSeconds: SKEW,
    now: () => clock.now,
  })
  const token = (signer: TestKey) => signed(signer, { alg: 'RS256' }, { iss: ISS, sub: 'u1', iat: now, exp: now + 600 })
  await refused(tt, verifyPartnerToken(token(weak), withKeys([{ key: weak.publicKey, bits: 1024 }])), {
    code: 'weak_key',
    detail: 'key is rsa with 1024 bits; RSA ≥ 2048 bits is required',
  })
  await refused(tt, verifyPartnerToken(token(key), withKeys([{ key: ec, bits: 256 }])), {
    code: 'weak_key',
    detail: 'key is ec with 0 bits; RSA ≥ 2048 bits is required',
  })
  await refused(
    tt,
    verifyPartnerToken(token(key), withKeys([{ key: key.publicKey, bits: 2048 }, { key: weak.publicKey, bits: 1024 }])),
    { code: 'weak_key', detail: 'key is rsa with 1024 bits; RSA ≥ 2048 bits is required' },
    'any weak candidate refuses, even after a strong one',
  )
  const report = await checkPartnerToken(token(weak), 'hand', withKeys([{ key: weak.publicKey, bits: 1024 }]))
  tt.same(report.checks.slice(-2), [
    { name: 'key', ok: true, detail: 'static 1024-bit RSA key (kid ignored)' },
    { name: 'key_strength', ok: false, detail: 'key is rsa with 1024 bits; RSA ≥ 2048 bits is required' },
  ])
  const two = await checkPartnerToken(token(key), 'hand', withKeys([{ key: other.publicKey, bits: 2048 }, { key: key.publicKey, bits: 2048 }]))
  tt.match(two, { valid: true })
  tt.match(two.checks.find((c) => c.name === 'key_strength'), { ok: true, detail: '2 RSA keys of at least 2048 bits' })
  tt.match(two.checks.find((c) => c.name === 'signature'), { ok: true, detail: 'RS256 signature verifies with the static key' })
  const strong = makeKey('strong', 3072)
  const big = await checkPartnerToken(token(strong), 'hand', withKeys([{ key: strong.publicKey, bits: 3072 }]))
  tt.match(big.checks.find((c) => c.name === 'key_strength'), { ok: true, detail: 'RSA 3072 bits' })
})

t.test('a failure that is not a refusal propagates from the token check', async (tt) => {
  const broken = {
    byIssuer: () => {
      throw new TypeError('directory broken')
    },
    byId: () => undefined,
  } as unknown as IssuerDirectory
  const now = Math.floor(Date.now() / 1000)
  const token = signed(key, { alg: 'RS256' }, { iss: ISS, sub: 'u1', iat: now, exp: now + 600 })
  await tt.rejects(checkPartnerToken(token, 'acme', { directory: broken, skewSeconds: SKEW, now: Date.now }), new TypeError('directory broken'))
})

t.test('row 8: the signature must verify; a static key is never refetched', async (tt) => {
  const s = await staticSetup()
  const err = await refused(tt, verifyPartnerToken(s.token({}, {}, other), s.core.options), {
    code: 'invalid_signature',
    detail: 'RS256 signature does not verify with the partner key',
  })
  tt.equal(err.partnerId, 'acme')
  await refused(tt, verifyPartnerToken(s.token({ exp: s.now - 3600, sub: undefined }, {}, other), s.core.options), { code: 'invalid_signature' }, 'wins over every claim row')
  const tampered = s.token().replace(/\.[^.]+\./, `.${enc({ iss: ISS, sub: 'admin', iat: s.now, exp: s.now + 600 })}.`)
  await refused(tt, verifyPartnerToken(tampered, s.core.options), { code: 'invalid_signature' }, 'a payload swapped under a valid signature')
  const report = await checkPartnerToken(s.token({}, {}, other), 'acme', s.core.options)
  tt.same(report.checks.slice(-3), [
    { name: 'key', ok: true, detail: 'static 2048-bit RSA key (kid ignored)' },
    { name: 'key_strength', ok: true, detail: 'RSA 2048 bits' },
    { name: 'signature', ok: false, detail: 'RS256 signature does not verify with the partner key' },
  ])
})

t.test('row 8 with a JWKS: a kid whose key changed is refetched once within the budget', async (tt) => {
  const s = await jwksSetup(tt, [k1.publicJwk])
  tt.ok(await verifyPartnerToken(s.token({}, { kid: 'k1' }, k1), s.core.options))
  s.server.setKeys([{ ...k2.publicJwk, kid: 'k1' }])
  const byNew = s.token({}, { kid: 'k1' }, k2)
  await refused(tt, verifyPartnerToken(byNew, s.core.options), { code: 'invalid_signature', detail: 'RS256 signature does not verify with the partner key' })
  tt.equal(s.server.requests, 1, 'within 30 s of the fetch: no refetch')
  s.core.clock.now += 30_000
  const verified = await verifyPartnerToken(byNew, s.core.options)
  tt.ok(verified.key.equals(k2.publicKey), 'the new material behind the same kid')
  tt.equal(verified.kid, 'k1')
  tt.equal(s.server.requests, 2)
  const report = await checkPartnerToken(s.token({}, { kid: 'k1' }, k1), 'acme', s.core.options)
  tt.same(report.checks.slice(5, 8), [
    { name: 'key', ok: true, detail: "kid 'k1' found in JWKS" },
    { name: 'key_strength', ok: true, detail: 'RSA 2048 bits' },
    { name: 'signature', ok: false, detail: 'RS256 signature does not verify with the partner key' },
  ])
})

t.test('rows 10–15 come after the signature: the first claim failure answers, the report lists them all', async (tt) => {
  const s = await staticSetup({ jwtAudience: 'gatehouse' })
  const token = s.token({ iat: s.now - 4000, exp: s.now - 3600 })
  const err = await refused(tt, verifyPartnerToken(token, s.core.options), { code: 'token_expired', detail: `expired 3600 s ago (skew ${SKEW} s)` })
  tt.equal(err.partnerId, 'acme', 'a claim refusal names its partner too')
  const report = await checkPartnerToken(token, 'acme', s.core.options)
  tt.match(report, { valid: false, code: 'token_expired', detail: `expired 3600 s ago (skew ${SKEW} s)` })
  tt.same(
    report.checks.filter((c) => !c.ok),
    [
      { name: 'expiry', ok: false, detail: `expired 3600 s ago (skew ${SKEW} s)` },
      { name: 'audience', ok: false, detail: 'aud is missing, expected "gatehouse"' },
    ],
    'both claim failures, each once',
  )
  tt.same(
    report.checks.map((c) => c.name),
    ['format', 'algorithm', 'critical_headers', 'issuer', 'partner_active', 'key', 'key_strength', 'signature', 'required_claims', 'expiry', 'not_before', 'lifetime', 'audience'],
  )
})

t.test('a valid token: every check passes in table order, and the result carries what the request needs', async (tt) => {
  const s = await staticSetup({ jwtAudience: 'gatehouse' })
  const token = s.token({ aud: 'gatehouse', email: 'u1@acme.example', locale: 'en', extra: 'dropped' }, { kid: 'ignored-kid' })
  const verified = await verifyPartnerToken(token, s.core.options)
  const entry = s.core.directory.byId('acme')!
  tt.equal(verified.partner, entry, 'the directory entry itself')
  tt.equal(verified.sub, 'u1')
  tt.equal(verified.exp, s.now + 600)
  tt.equal(verified.iat, s.now)
  tt.same(verified.claims, { email: 'u1@acme.example', locale: 'en' })
  tt.ok(verified.key.equals(key.publicKey))
  tt.equal(verified.kid, 'ignored-kid', 'the kid is reported though a static key ignores it')
  tt.equal(entry.keys.kind === 'static' && verified.keyUsage, entry.keys.kind === 'static' && entry.keys.candidates[0]!.usage, 'the static key usage record')

  const report = await checkPartnerToken(token, 'acme', s.core.options)
  tt.same(report, {
    valid: true,
    code: null,
    detail: 'token is valid',
    header: { alg: 'RS256', typ: 'JWT', kid: 'ignored-kid' },
    claims: { iss: ISS, sub: 'u1', iat: s.now, exp: s.now + 600, aud: 'gatehouse', email: 'u1@acme.example', locale: 'en', extra: 'dropped' },
    checks: [
      { name: 'format', ok: true, detail: 'three base64url parts; header and payload are JSON objects' },
      { name: 'algorithm', ok: true, detail: 'alg RS256' },
      { name: 'critical_headers', ok: true, detail: 'no crit header; jku, x5u, jwk and x5c are never used' },
      { name: 'issuer', ok: true, detail: 'partner acme' },
      { name: 'partner_active', ok: true, detail: 'partner is active' },
      { name: 'key', ok: true, detail: 'static 2048-bit RSA key (kid ignored)' },
      { name: 'key_strength', ok: true, detail: 'RSA 2048 bits' },
      { name: 'signature', ok: true, detail: 'RS256 signature verifies with the static key' },
      { name: 'required_claims', ok: true, detail: 'sub and exp and iat present' },
      { name: 'expiry', ok: true, detail: 'expires in 600 s' },
      { name: 'not_before', ok: true, detail: 'issued 0 s ago' },
      { name: 'lifetime', ok: true, detail: 'lifetime 600 s (max 3600 s)' },
      { name: 'audience', ok: true, detail: 'aud contains "gatehouse"' },
    ],
  })

  const noKid = await verifyPartnerToken(s.token({ aud: 'gatehouse' }), s.core.options)
  tt.equal(noKid.kid, null, 'no kid: null')
})

t.test('a valid JWKS token carries its kid, key and that key\'s usage record', async (tt) => {
  const s = await jwksSetup(tt, [k1.publicJwk, k2.publicJwk])
  const verified = await verifyPartnerToken(s.token({}, { kid: 'k2' }, k2), s.core.options)
  tt.equal(verified.kid, 'k2')
  tt.ok(verified.key.equals(k2.publicKey))
  const entry = s.core.directory.byId('acme')!
  if (entry.keys.kind !== 'jwks') throw new Error('a JWKS partner')
  const found = await entry.keys.source.resolve('k2')
  tt.equal(found.ok && verified.keyUsage, found.ok && found.candidates[0]!.usage)
  tt.equal(verified.partner, entry)
})

t.test("claim times are read from the verifier's clock, in milliseconds", async (tt) => {
  const s = await staticSetup()
  const token = s.token({ iat: s.now, exp: s.now + 100 })
  s.core.clock.now = (s.now + 100 + SKEW) * 1000 - 1
  tt.ok(await verifyPartnerToken(token, s.core.options), 'a millisecond before exp + skew')
  s.core.clock.now += 1
  await refused(tt, verifyPartnerToken(token, s.core.options), { code: 'token_expired', detail: `expired ${SKEW} s ago (skew ${SKEW} s)` })
})
