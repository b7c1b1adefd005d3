// Tokens without kid through a rotation (rows 7 and 9: 1–3 usable keys are tried), and each key's lastVerifiedAt: /me acceptances count, token checks do not.
import t, { type Test } from 'tap'
import { checkPartnerToken, verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerRecord, tokenCore } from '../helpers/token-core.js'

const ISSUER = 'https://rotating.example'
const keys = ['r1', 'r2', 'r3', 'r4'].map((kid) => makeKey(kid))

async function setup(tt: Test, published: object[]) {
  const server = await startJwksServer(tt, published)
  const core = await tokenCore([partnerRecord({ id: 'acme', jwtIssuer: ISSUER, jwksUrl: server.url })])
  const noKid = (key: TestKey) => mint(key, { iss: ISSUER, sub: 'u1' }, { now: core.nowSec(), omitKid: true })
  const lastVerified = () => core.directory.keyView('acme')!.keys.map((k) => k.lastVerifiedAt)
  return { server, core, noKid, lastVerified }
}

t.test('a token without kid verifies against a JWKS of 1, 2 or 3 usable keys, whichever key signed it', async (tt) => {
  for (const n of [1, 2, 3]) {
    const s = await setup(tt, keys.slice(0, n).map((k) => k.publicJwk))
    for (const signer of keys.slice(0, n)) {
      const verified = await verifyPartnerToken(await s.noKid(signer), s.core.options)
      tt.ok(verified.key.equals(signer.publicKey), `${n} usable keys: the token signed by ${signer.kid} verifies with ${signer.kid}`)
      tt.equal(verified.kid, null, 'the token had no kid')
    }
  }
})

t.test('a token without kid against 4 usable keys, or none, is unknown_key asking for a kid', async (tt) => {
  const four = await setup(tt, keys.map((k) => k.publicJwk))
  await tt.rejects(verifyPartnerToken(await four.noKid(keys[0]!), four.core.options), {
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has 4 usable keys (at most 3 are tried without one); put the signing key's kid in the token header",
  })
  const withKid = await mint(keys[3]!, { iss: ISSUER, sub: 'u1' }, { now: four.core.nowSec() })
  tt.ok(await verifyPartnerToken(withKid, four.core.options), 'with a kid, four keys are fine')

  const none = await setup(tt, [makeKey('weak', 1024).publicJwk, { ...keys[0]!.publicJwk, use: 'enc' }])
  await tt.rejects(verifyPartnerToken(await none.noKid(keys[0]!), none.core.options), {
    code: 'unknown_key',
    detail: "token has no kid and the JWKS has no usable key; put the signing key's kid in the token header",
  })
})

t.test('a token without kid signed by a key none of the usable keys verifies is invalid_signature', async (tt) => {
  const s = await setup(tt, keys.slice(0, 2).map((k) => k.publicJwk))
  await tt.rejects(verifyPartnerToken(await s.noKid(keys[2]!), s.core.options), {
    code: 'invalid_signature',
    detail: "RS256 signature does not verify with any of the JWKS's 2 usable keys",
  })
})

t.test("a token without kid signed by a key the partner just added is verified after the 30 s budget's refetch", async (tt) => {
  const s = await setup(tt, [keys[0]!.publicJwk])
  tt.ok(await verifyPartnerToken(await s.noKid(keys[0]!), s.core.options))
  s.server.setKeys([keys[0]!.publicJwk, keys[1]!.publicJwk])
  await tt.rejects(verifyPartnerToken(await s.noKid(keys[1]!), s.core.options), { code: 'invalid_signature' }, 'within 30 s of the last fetch: no refetch')
  s.core.clock.now += 31_000
  const verified = await verifyPartnerToken(await s.noKid(keys[1]!), s.core.options)
  tt.ok(verified.key.equals(keys[1]!.publicKey), 'the refetched set supplies the new key')
  tt.equal(s.server.requests, 2)
})

t.test('the token-check report names the key that verified', async (tt) => {
  const { kid: _kid, ...bare } = keys[2]!.publicJwk
  const s = await setup(tt, [keys[0]!.publicJwk, keys[1]!.publicJwk, bare])
  const byKid = await checkPartnerToken(await s.noKid(keys[1]!), 'acme', s.core.options)
  tt.match(byKid.checks.find((c) => c.name === 'signature'), { ok: true, detail: 'RS256 signature verifies with kid r2' })
  tt.match(byKid.checks.find((c) => c.name === 'key'), { ok: true, detail: "token has no kid; trying the JWKS's 3 usable key(s)" })
  const bareKey = await checkPartnerToken(await s.noKid(keys[2]!), 'acme', s.core.options)
  tt.match(bareKey.checks.find((c) => c.name === 'signature'), { detail: "RS256 signature verifies with the JWKS's key #3 (no kid)" })
})

t.test('lastVerifiedAt: set on the key that verified a /me token, refreshed by a cached hit, untouched by token checks', async (tt) => {
  const s = await setup(tt, keys.slice(0, 2).map((k) => k.publicJwk))
  const verifier = s.core.verifier()
  const token = await s.noKid(keys[1]!)
  await checkPartnerToken(token, 'acme', s.core.options)
  tt.same(s.lastVerified(), [null, null], 'a token check is not an acceptance')

  const first = s.core.clock.now
  verifier.recordAcceptance(await verifier.verify(token))
  tt.same(s.lastVerified(), [null, new Date(first).toISOString()], 'only the key that verified is stamped')

  s.core.clock.now += 5_000
  verifier.recordAcceptance(await verifier.verify(token))
  tt.equal(verifier.cacheStats().entries, 1)
  tt.same(s.lastVerified(), [null, new Date(first + 5_000).toISOString()], 'a cached result is an acceptance too')

  s.core.clock.now += 5_000
  await checkPartnerToken(token, 'acme', s.core.options)
  tt.same(s.lastVerified(), [null, new Date(first + 5_000).toISOString()], 'still untouched by token checks')
})

t.test('lastVerifiedAt survives a refetch that keeps the key, and a cached hit after it stamps the listed key', async (tt) => {
  const s = await setup(tt, [keys[0]!.publicJwk])
  const verifier = s.core.verifier()
  const token = await mint(keys[0]!, { iss: ISSUER, sub: 'u1' }, { now: s.core.nowSec() })
  verifier.recordAcceptance(await verifier.verify(token))
  s.server.setKeys([keys[0]!.publicJwk, keys[1]!.publicJwk])
  await s.core.directory.refreshKeys('acme')
  tt.equal(s.lastVerified()[0], new Date(s.core.clock.now).toISOString(), 'kept across the refetch')
  s.core.clock.now += 1_000
  verifier.recordAcceptance(await verifier.verify(token))
  tt.same(s.lastVerified(), [new Date(s.core.clock.now).toISOString(), null], 'the cached hit stamps the key the view lists')
})

t.test('a static key has a lastVerifiedAt too, kept across an edit that leaves the key alone', async (tt) => {
  const key = keys[0]!
  const record = partnerRecord({ id: 'acme', jwtIssuer: ISSUER, jwtPublicKey: key.spkiPem })
  const core = await tokenCore([record])
  const verifier = core.verifier(0)
  tt.equal(core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, null)
  const token = await mint(key, { iss: ISSUER, sub: 'u1' }, { now: core.nowSec() })
  await checkPartnerToken(token, 'acme', core.options)
  tt.equal(core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, null, 'token checks do not count')
  verifier.recordAcceptance(await verifier.verify(token))
  const at = new Date(core.clock.now).toISOString()
  tt.equal(core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, at)
  await core.setRecords([{ ...record, name: 'Renamed', version: 2 }])
  tt.equal(core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, at, 'a new record version with the same key keeps it')
  await core.setRecords([{ ...record, jwtPublicKey: keys[1]!.spkiPem, version: 3 }])
  tt.equal(core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, null, 'a new key starts afresh')
})
