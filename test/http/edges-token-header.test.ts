// Token header and format edges on /me: alg compared exactly, kid never coerced, keys never taken from the token, and the 8 KiB limit to the byte.
import t, { type Test } from 'tap'
import { selfSignedCertificate, signedToken, tokenOfLength } from '../helpers/edge-tokens.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

const ISSUER = 'https://edges.example'
const STATIC_ISSUER = 'https://static-edges.example'

async function setup(build: Build, tt: Test) {
  const built = await build(tt)
  const partnerKey = makeKey('k1')
  const sevenKey = makeKey('7')
  const jwks = await startJwksServer(tt, [partnerKey.publicJwk, sevenKey.publicJwk])
  await createPartner(built.app, { id: 'edges', jwtIssuer: ISSUER, jwksUrl: jwks.url })
  await createPartner(built.app, { id: 'static-edges', jwtIssuer: STATIC_ISSUER, jwtPublicKey: partnerKey.spkiPem })
  const now = Math.floor(built.clock.now / 1000)
  let serial = 0
  const claims = (iss = ISSUER) => ({ iss, sub: `user-${serial++}`, iat: now, exp: now + 600 })
  const me = async (token: string) => {
    const res = await built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
    return { status: res.statusCode, code: res.statusCode === 200 ? null : (res.json().code as string) }
  }
  return { ...built, jwks, partnerKey, sevenKey, claims, me }
}

forEachStore(t, 'alg must be exactly RS256: any other spelling of it is unsupported_algorithm, though the signature is RS256 and valid', async (tt, build) => {
  const s = await setup(build, tt)
  tt.same(await s.me(signedToken(s.partnerKey, { alg: 'RS256', kid: 'k1' }, s.claims())), { status: 200, code: null }, 'control: RS256')
  for (const alg of ['rs256', 'Rs256', 'rS256', 'RS256 ', ' RS256', 'RS256\u0000', 'ＲＳ256', ['RS256'], { RS256: true }]) {
    tt.same(
      await s.me(signedToken(s.partnerKey, { alg, kid: 'k1' }, s.claims())),
      { status: 401, code: 'unsupported_algorithm' },
      `alg ${JSON.stringify(alg)}`,
    )
  }
  tt.same(
    await s.me(signedToken(s.partnerKey, { alg: 'rs256' }, s.claims(STATIC_ISSUER))),
    { status: 401, code: 'unsupported_algorithm' },
    'alg rs256 for a static-key partner',
  )
})

forEachStore(t, 'a kid that is not a string never matches a JWKS key, even one whose kid is its string form', async (tt, build) => {
  const s = await setup(build, tt)
  tt.same(await s.me(signedToken(s.sevenKey, { alg: 'RS256', kid: '7' }, s.claims())), { status: 200, code: null }, 'kid "7" (a string) verifies')
  tt.same(await s.me(signedToken(s.sevenKey, '{"alg":"RS256","kid":7}', s.claims())), { status: 401, code: 'unknown_key' }, 'kid 7 (a number)')
  tt.same(await s.me(signedToken(s.sevenKey, '{"alg":"RS256","kid":7.0}', s.claims())), { status: 401, code: 'unknown_key' }, 'kid 7.0')
  tt.same(await s.me(signedToken(s.sevenKey, { alg: 'RS256', kid: ['7'] }, s.claims())), { status: 401, code: 'unknown_key' }, 'kid ["7"]')
  tt.same(await s.me(signedToken(s.sevenKey, { alg: 'RS256', kid: null }, s.claims())), { status: 401, code: 'unknown_key' }, 'kid null is not "no kid"')
  tt.same(
    await s.me(signedToken(s.partnerKey, { alg: 'RS256', kid: 7 }, s.claims(STATIC_ISSUER))),
    { status: 200, code: null },
    'a static-key partner ignores kid, whatever its type',
  )
})

forEachStore(t, 'keys never come from the token: x5c, jwk, jku and x5u naming an attacker key leave the partner key the judge', async (tt, build) => {
  const s = await setup(build, tt)
  const attacker = makeKey('attacker')
  const attackerJwks = await startJwksServer(tt, [{ ...attacker.publicJwk, kid: 'k1' }])
  const x5c = [selfSignedCertificate(attacker)]
  const attackerHeaders: [string, object][] = [
    ['x5c', { x5c }],
    ['jwk', { jwk: attacker.publicJwk }],
    ['jku', { jku: attackerJwks.url }],
    ['x5u', { x5u: attackerJwks.url }],
    ['all four', { x5c, jwk: attacker.publicJwk, jku: attackerJwks.url, x5u: attackerJwks.url }],
  ]
  for (const [what, extra] of attackerHeaders) {
    tt.same(
      await s.me(signedToken(attacker, { alg: 'RS256', kid: 'k1', ...extra }, s.claims())),
      { status: 401, code: 'invalid_signature' },
      `${what}, kid of the partner key (JWKS partner)`,
    )
    tt.same(
      await s.me(signedToken(attacker, { alg: 'RS256', ...extra }, s.claims(STATIC_ISSUER))),
      { status: 401, code: 'invalid_signature' },
      `${what} (static-key partner)`,
    )
    tt.same(
      await s.me(signedToken(s.partnerKey, { alg: 'RS256', kid: 'k1', ...extra }, s.claims())),
      { status: 200, code: null },
      `${what} on a token the partner signed is ignored: it verifies`,
    )
  }
  tt.equal(attackerJwks.requests, 0, "the attacker's server received no request")
})

forEachStore(t, 'a token of exactly 8 KiB (8192 bytes) passes the size check and 8193 bytes is malformed_token', async (tt, build) => {
  const s = await setup(build, tt)
  const header = { alg: 'RS256', kid: 'k1' }
  const atLimit = tokenOfLength(s.partnerKey, header, s.claims(), 8192)
  const overLimit = tokenOfLength(s.partnerKey, header, s.claims(), 8193)
  tt.equal(Buffer.byteLength(atLimit), 8192)
  tt.equal(Buffer.byteLength(overLimit), 8193)
  tt.same(await s.me(atLimit), { status: 200, code: null }, '8192 bytes: verified')
  tt.same(await s.me(overLimit), { status: 401, code: 'malformed_token' }, '8193 bytes: refused before anything else')
})
