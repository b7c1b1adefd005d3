// A second opinion on the hand-written crypto path: Gatehouse's accept/refuse decision at the signature level, over a
// generated corpus, must equal jose's compactVerify once the contract's stricter format rules are applied on top.
//
// What is compared, token by token, with the same partner key on both sides:
//
// * Gatehouse: `verifyPartnerToken` against a static-key partner whose key is the case's key (static, so `kid` plays no
//   part and key resolution is not under test). "Accepted at the signature level" means it resolved, or refused with a
//   code the table checks only after the signature verified (the claim rows: `missing_claim` onwards). Any earlier
//   code is a refusal. Claims are made valid at a fixed clock, so accepted tokens normally verify in full.
// * The oracle: jose `compactVerify(token, partner JWK, { algorithms: ['RS256'] })` accepts, and then the contract's
//   rules that jose does not apply (docs/reference.md, Token verification, rows 2–8), in table order, with the code
//   each one answers:
//     - the token is at most 8192 bytes                                                  → malformed_token
//     - each part is unpadded base64url in its one canonical spelling: re-encoding the
//       decoded bytes gives back the part (jose on Node 20 decodes with atob, which
//       skips whitespace and accepts `=` padding and stray low bits)                     → malformed_token
//     - header and payload are UTF-8 JSON objects without a byte order mark (jose strips
//       a BOM from the header; compactVerify never parses the payload)                   → malformed_token
//     - the header has no `crit` member (jose accepts `crit: ["b64"]`)                     → malformed_token
//     - `iss` is the partner's issuer (routing comes before the key)                       → unknown_issuer
//     - the key is RSA of 2048–4096 bits (jose itself refuses under 2048)                  → weak_key
//   When only such a rule refuses, Gatehouse must refuse with exactly that code.
//
// Key material is generated per run (node:crypto has no seeded RSA); the corpus shape is fixed by the seed. A
// disagreement is reported with the token, the key and both verdicts, so it can be replayed by hand.
import { compactVerify } from 'jose'
import t, { type Test } from 'tap'
import { AppError, type ErrorCode, TOKEN_ERROR_CODES } from '../../src/errors.js'
import { type VerifyOptions, verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { build } from '../helpers/build-app.js'
import { buildCorpus, type CorpusToken } from '../helpers/corpus-tokens.js'
import { signedToken } from '../helpers/edge-tokens.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { createPartner } from '../helpers/partners.js'

const ISSUER = 'https://differential.example'
const SEED = 20240611
const MAX_TOKEN_BYTES = 8192
/** Codes the table reaches only after the signature verified: such a refusal is a signature-level acceptance. */
const AFTER_SIGNATURE: ReadonlySet<string> = new Set(TOKEN_ERROR_CODES.slice(TOKEN_ERROR_CODES.indexOf('invalid_signature') + 1))

type Verdict = { accept: true; detail: string } | { accept: false; code: ErrorCode | null; detail: string }

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A JSON object decoded from a base64url part, or null: strict UTF-8, the BOM kept (so refused), no arrays. */
function jsonObject(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

const isCanonicalBase64url = (part: string) => Buffer.from(part, 'base64url').toString('base64url') === part

async function oracle(token: string, key: TestKey): Promise<Verdict> {
  try {
    await compactVerify(token, key.publicJwk, { algorithms: ['RS256'] })
  } catch (err) {
    return { accept: false, code: null, detail: `jose: ${(err as Error).name}: ${(err as Error).message}` }
  }
  const refuse = (code: ErrorCode, detail: string): Verdict => ({ accept: false, code, detail: `jose accepts; contract: ${detail}` })
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return refuse('malformed_token', 'over 8192 bytes')
  const parts = token.split('.')
  if (!parts.every(isCanonicalBase64url)) return refuse('malformed_token', 'a part is not canonical base64url')
  const header = jsonObject(parts[0]!)
  const payload = jsonObject(parts[1]!)
  if (!header || !payload) return refuse('malformed_token', 'header or payload is not a UTF-8 JSON object')
  if (Object.hasOwn(header, 'crit')) return refuse('malformed_token', 'crit header')
  if (payload.iss !== ISSUER) return refuse('unknown_issuer', 'iss is not the partner')
  if (key.bits < 2048 || key.bits > 4096) return refuse('weak_key', `${key.bits}-bit key`)
  return { accept: true, detail: 'jose accepts; contract rules pass' }
}

async function setup(tt: Test) {
  const { app, clock } = await build(tt)
  const signers = [makeKey('diff-2048', 2048), makeKey('diff-3072', 3072), makeKey('diff-4096', 4096)]
  const keys = { signers, weak: makeKey('diff-1024', 1024), stranger: makeKey('diff-stranger', 2048) }
  await createPartner(app, { id: 'differential', jwtIssuer: ISSUER, jwtPublicKey: signers[0]!.spkiPem })
  await app.services.directory.sync()
  const partner = app.services.directory.byIssuer(ISSUER)
  if (partner?.keys.kind !== 'static') throw new Error('the differential partner should have a static key')
  const staticKeys = partner.keys
  const optionsByKey = new Map<TestKey, VerifyOptions>()
  /** The real directory and partner record, with the static key swapped for the case's key (a weak one included). */
  const optionsFor = (key: TestKey): VerifyOptions => {
    let options = optionsByKey.get(key)
    if (!options) {
      const entry = { ...partner, keys: { ...staticKeys, bits: key.bits, candidates: [{ key: key.publicKey, usage: { lastVerifiedAt: null }, label: key.kid }] } }
      const directory = { ...app.services.directory, byIssuer: (iss: string) => (iss === ISSUER ? entry : undefined) }
      options = { directory, skewSeconds: 60, now: () => clock.now }
      optionsByKey.set(key, options)
    }
    return options
  }
  const gatehouse = async (token: string, key: TestKey): Promise<Verdict> => {
    try {
      await verifyPartnerToken(token, optionsFor(key))
      return { accept: true, detail: 'Gatehouse verifies it in full' }
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      if (AFTER_SIGNATURE.has(err.code)) return { accept: true, detail: `Gatehouse: signature verified, then ${err.code}: ${err.detail}` }
      return { accept: false, code: err.code, detail: `Gatehouse: ${err.code}: ${err.detail}` }
    }
  }
  return { keys, now: Math.floor(clock.now / 1000), gatehouse }
}

interface Tally {
  cases: number
  accepted: number
  refusedByContractOnly: number
  disagreements: string[]
}

async function compare(cases: CorpusToken[], gatehouse: (token: string, key: TestKey) => Promise<Verdict>): Promise<Map<string, Tally>> {
  const tallies = new Map<string, Tally>()
  for (const { family, label, token, verifyWith } of cases) {
    const tally = tallies.get(family) ?? { cases: 0, accepted: 0, refusedByContractOnly: 0, disagreements: [] }
    tallies.set(family, tally)
    tally.cases++
    const [expected, actual] = await Promise.all([oracle(token, verifyWith), gatehouse(token, verifyWith)])
    if (expected.accept) tally.accepted++
    else if (expected.code !== null) tally.refusedByContractOnly++
    const codeDiffers = !expected.accept && !actual.accept && expected.code !== null && expected.code !== actual.code
    if (expected.accept !== actual.accept || codeDiffers) {
      tally.disagreements.push(
        `${family}: ${label}\n  key: ${verifyWith.bits}-bit ${verifyWith.kid}\n  expected: ${expected.detail}\n  actual:   ${actual.detail}\n  token: ${token}`,
      )
    }
  }
  return tallies
}

/** One failure per disagreement (the first 10 of a family shown), then the count. */
function report(tt: Test, tallies: Map<string, Tally>) {
  for (const [family, tally] of tallies) {
    tt.comment(`${family}: ${tally.cases} cases, ${tally.accepted} accepted, ${tally.refusedByContractOnly} refused by a contract rule alone`)
    for (const disagreement of tally.disagreements.slice(0, 10)) tt.fail(`disagreement\n${disagreement}`)
    tt.equal(tally.disagreements.length, 0, `${family}: Gatehouse and jose-plus-contract agree on all ${tally.cases} cases`)
  }
}

t.test('Gatehouse accepts at the signature level exactly the tokens jose accepts and the contract allows', async (tt) => {
  const s = await setup(tt)
  const corpus = buildCorpus(s.keys, { seed: SEED, issuer: ISSUER, now: s.now, tampered: 1800 })
  const tallies = await compare(corpus, s.gatehouse)
  report(tt, tallies)
  const total = (pick: (tally: Tally) => number) => [...tallies.values()].reduce((sum, tally) => sum + pick(tally), 0)
  tt.ok(corpus.length >= 2500, `${corpus.length} cases`)
  // Guards against a corpus that went stale and agrees vacuously (every token broken in the same way).
  tt.ok(total((x) => x.accepted) >= 250, `${total((x) => x.accepted)} cases accepted by both`)
  tt.ok(total((x) => x.refusedByContractOnly) >= 100, `${total((x) => x.refusedByContractOnly)} cases jose accepts and the contract refuses`)
  tt.ok((tallies.get('tampered')?.cases ?? 0) >= 1500, 'tampered cases')
})

t.test('header and payload bytes that are not UTF-8 are malformed_token, as jose refuses such a header', async (tt) => {
  const s = await setup(tt)
  const key = s.keys.signers[0]!
  const bytes = (latin1: string) => Buffer.from(latin1, 'latin1')
  const claims = (sub: string) => bytes(`{"iss":"${ISSUER}","sub":"${sub}","iat":${s.now},"exp":${s.now + 600}}`)
  const cases: [label: string, header: Buffer | string, payload: Buffer][] = [
    ['a header with a 0xFF byte', bytes('{"alg":"RS256","x":"\xff"}'), claims('a')],
    ['a header with a lone continuation byte', bytes('{"alg":"RS256","x":"\x80"}'), claims('a')],
    // Both would otherwise become the user "a\uFFFD": two ids the partner keeps apart, one user here.
    ['a sub with a 0xFE byte', '{"alg":"RS256"}', claims('a\xfe')],
    ['a sub with a 0xFF byte', '{"alg":"RS256"}', claims('a\xff')],
    ['a sub with an overlong encoding of "/"', '{"alg":"RS256"}', claims('a\xc0\xaf')],
  ]
  const corpus = cases.map(([label, header, payload]) => ({ family: 'utf-8', label, token: signedToken(key, header, payload), verifyWith: key }))
  for (const { label, token } of corpus) tt.same((await oracle(token, key)).accept, false, `the oracle refuses ${label}`)
  report(tt, await compare(corpus, s.gatehouse))
})
