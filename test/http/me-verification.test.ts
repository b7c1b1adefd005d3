// /me guard: every token refusal code from a real token, valid tokens accepted, and the attacks refused.
import { constants, createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign as cryptoSign } from 'node:crypto'
import { type AddressInfo, connect } from 'node:net'
import t, { type Test } from 'tap'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint, rawToken } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function setup(build: Build, tt: Test, audience?: string) {
  const built = await build(tt)
  const key = makeKey('k1')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  const iss = 'https://acme.example'
  await createPartner(built.app, { id: 'acme', jwtIssuer: iss, jwksUrl: jwks.url, ...(audience ? { jwtAudience: audience } : {}) })
  const now = Math.floor(built.clock.now / 1000)
  const me = (token: string) => built.app.inject({ method: 'GET', url: '/me', headers: bearer(token) })
  return { ...built, key, jwks, iss, now, me }
}

function expectRefusal(tt: Test, res: { statusCode: number; headers: Record<string, unknown>; json(): { code?: string } }, code: string) {
  tt.equal(res.statusCode, 401, `status for ${code}`)
  tt.equal(res.json().code, code)
  tt.match(String(res.headers['content-type']), /^application\/problem\+json/)
  if (code === 'missing_token') tt.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse"')
  else tt.equal(res.headers['www-authenticate'], `Bearer realm="gatehouse", error="invalid_token", error_description="${code}"`)
}

forEachStore(t, 'valid JWKS token is accepted and provisions the user', async (tt, build) => {
  const s = await setup(build, tt)
  const res = await s.me(await mint(s.key, { iss: s.iss, sub: 'user-1' }, { now: s.now }))
  tt.equal(res.statusCode, 200)
  tt.same(res.json().partner, { id: 'acme', name: 'Partner acme' })
  tt.equal(res.json().user.externalUserId, 'user-1')
  tt.equal(res.json().user.provisionedBy, 'jit')
})

forEachStore(t, 'every refusal code of the table comes from a real token', async (tt, build) => {
  const s = await setup(build, tt, 'gatehouse')
  const base = { iss: s.iss, sub: 'u', aud: 'gatehouse' }
  const ok = await mint(s.key, base, { now: s.now })
  tt.equal((await s.me(ok)).statusCode, 200, 'control token passes')

  expectRefusal(tt, await s.app.inject({ method: 'GET', url: '/me' }), 'missing_token')
  expectRefusal(tt, await s.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Basic ${ok}` } }), 'missing_token')
  tt.equal((await s.app.inject({ method: 'GET', url: '/me', headers: { authorization: `bEaReR ${ok}` } })).statusCode, 200, 'scheme is case-insensitive')
  expectRefusal(tt, await s.me('not-a-jwt'), 'malformed_token')
  expectRefusal(tt, await s.me(rawToken({ alg: 'RS256' }, { iss: s.iss }).replace(/\.$/, '.!!')), 'malformed_token')
  expectRefusal(tt, await s.me(`${Buffer.from('[1]').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`), 'malformed_token')
  expectRefusal(tt, await s.me(`${ok}${'a'.repeat(8200)}`), 'malformed_token')
  expectRefusal(tt, await s.me(rawToken({ alg: 'RS256', kid: 'k1', crit: ['x'] }, base, 'c2ln')), 'malformed_token')
  expectRefusal(tt, await s.me(rawToken({ alg: 'none' }, { ...base, iat: s.now, exp: s.now + 60 })), 'unsupported_algorithm')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, iss: 'https://nobody.example' }, { now: s.now })), 'unknown_issuer')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, iss: undefined }, { now: s.now })), 'unknown_issuer')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now, header: { kid: 'k-unknown' } })), 'unknown_key')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now, header: { kid: 7 } })), 'unknown_key')
  const forged = ok.slice(0, ok.lastIndexOf('.') + 1) + Buffer.alloc(256, 1).toString('base64url')
  expectRefusal(tt, await s.me(forged), 'invalid_signature')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, sub: undefined }, { now: s.now })), 'missing_claim')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, sub: 'x'.repeat(256) }, { now: s.now })), 'missing_claim')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, exp: '9999999999' }, { now: s.now })), 'missing_claim')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now - 3600, lifetime: 600 })), 'token_expired')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now + 600 })), 'token_not_yet_valid')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, nbf: s.now + 600 }, { now: s.now })), 'token_not_yet_valid')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now, lifetime: 3601 })), 'token_lifetime_too_long')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, aud: 'other' }, { now: s.now })), 'audience_mismatch')
  expectRefusal(tt, await s.me(await mint(s.key, { ...base, aud: undefined }, { now: s.now })), 'audience_mismatch')

  // Two Authorization headers need a real socket: inject folds headers into one object.
  await s.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (s.app.server.address() as AddressInfo).port
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ok}\r\nAuthorization: Bearer ${ok}\r\nConnection: close\r\n\r\n`)
    })
    let data = ''
    socket.on('data', (d) => {
      data += d
    })
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })
  tt.match(raw, /^HTTP\/1\.1 401/)
  tt.match(raw, /"code":"malformed_token"/)

  await s.app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' }, payload: { status: 'disabled' } })
  expectRefusal(tt, await s.me(ok), 'partner_disabled')
})

forEachStore(t, 'skew: exp within CLOCK_SKEW_SECONDS still passes; just beyond is refused', async (tt, build) => {
  const s = await setup(build, tt)
  const base = { iss: s.iss, sub: 'u' }
  tt.equal((await s.me(await mint(s.key, base, { now: s.now - 630, lifetime: 600 }))).statusCode, 200, 'expired 30 s ago, skew 60')
  expectRefusal(tt, await s.me(await mint(s.key, base, { now: s.now - 661, lifetime: 600 })), 'token_expired')
  tt.equal((await s.me(await mint(s.key, base, { now: s.now + 30 }))).statusCode, 200, 'iat 30 s ahead, skew 60')
})

forEachStore(t, 'aud as string and as array, static SPKI and PKCS#1 keys, no-kid against a one-key JWKS', async (tt, build) => {
  const s = await setup(build, tt, 'gatehouse')
  tt.equal((await s.me(await mint(s.key, { iss: s.iss, sub: 'a', aud: 'gatehouse' }, { now: s.now }))).statusCode, 200)
  tt.equal((await s.me(await mint(s.key, { iss: s.iss, sub: 'b', aud: ['x', 'gatehouse'] }, { now: s.now }))).statusCode, 200)
  tt.equal((await s.me(await mint(s.key, { iss: s.iss, sub: 'c', aud: 'gatehouse' }, { now: s.now, omitKid: true }))).statusCode, 200)

  const spki = makeKey('static-spki')
  const pkcs1 = makeKey('static-pkcs1')
  await createPartner(s.app, { id: 'spki', jwtIssuer: 'https://spki.example', jwtPublicKey: spki.spkiPem })
  await createPartner(s.app, { id: 'pkcs1', jwtIssuer: 'https://pkcs1.example', jwtPublicKey: pkcs1.pkcs1Pem })
  tt.equal((await s.me(await mint(spki, { iss: 'https://spki.example', sub: 'x' }, { now: s.now, header: { kid: 'anything' } }))).statusCode, 200, 'static key ignores kid')
  tt.equal((await s.me(await mint(pkcs1, { iss: 'https://pkcs1.example', sub: 'x' }, { now: s.now, omitKid: true }))).statusCode, 200)
  expectRefusal(tt, await s.me(await mint(spki, { iss: 'https://pkcs1.example', sub: 'x' }, { now: s.now })), 'invalid_signature')

  // A key pasted indented (from YAML, say) is stored as sent and verifies tokens like a flush-left one.
  const indented = makeKey('static-indented')
  const pem = indented.spkiPem.replace(/^/gm, '    ').trimEnd()
  const created = await createPartner(s.app, { id: 'indented', jwtIssuer: 'https://indented.example', jwtPublicKey: pem })
  tt.equal(created.jwtPublicKey, pem, 'the record keeps the key as it was written')
  tt.equal((await s.me(await mint(indented, { iss: 'https://indented.example', sub: 'x' }, { now: s.now }))).statusCode, 200)
})

forEachStore(t, 'a no-kid token is verified by either key of a two-key rotation, and refused with a kid request once four keys are usable', async (tt, build) => {
  const s = await setup(build, tt)
  const next = makeKey('k2')
  const refresh = () => s.app.inject({ method: 'POST', url: '/admin/partners/acme/keys/refresh', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } })
  s.jwks.setKeys([s.key.publicJwk, next.publicJwk])
  await refresh()
  for (const signer of [s.key, next]) {
    tt.equal((await s.me(await mint(signer, { iss: s.iss, sub: `u-${signer.kid}` }, { now: s.now, omitKid: true }))).statusCode, 200, `signed by ${signer.kid}`)
  }
  s.jwks.setKeys([s.key, next, makeKey('k3'), makeKey('k4')].map((k) => k.publicJwk))
  await refresh()
  const refused = await s.me(await mint(s.key, { iss: s.iss, sub: 'u' }, { now: s.now, omitKid: true }))
  expectRefusal(tt, refused, 'unknown_key')
  tt.match(refused.json().detail, /put the signing key's kid in the token header$/)
})

forEachStore(t, 'attacks are refused', async (tt, build) => {
  const s = await setup(build, tt)
  const claims = { iss: s.iss, sub: 'victim', iat: s.now, exp: s.now + 300 }

  // alg none with an empty signature.
  expectRefusal(tt, await s.me(rawToken({ alg: 'none', kid: 'k1' }, claims)), 'unsupported_algorithm')

  // HS256 keyed with the partner's public key PEM (the classic key-confusion attack).
  const unsigned = rawToken({ alg: 'HS256', kid: 'k1' }, claims)
  const input = unsigned.slice(0, -1)
  const hmac = createHmac('sha256', s.key.spkiPem).update(input).digest()
  expectRefusal(tt, await s.me(`${input}.${hmac.toString('base64url')}`), 'unsupported_algorithm')

  // ES256 and PS256 signatures.
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const esInput = rawToken({ alg: 'ES256', kid: 'k1' }, claims).slice(0, -1)
  const esSig = cryptoSign('sha256', Buffer.from(esInput), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
  expectRefusal(tt, await s.me(`${esInput}.${esSig.toString('base64url')}`), 'unsupported_algorithm')
  const psInput = rawToken({ alg: 'PS256', kid: 'k1' }, claims).slice(0, -1)
  const psSig = cryptoSign('sha256', Buffer.from(psInput), { key: s.key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING })
  expectRefusal(tt, await s.me(`${psInput}.${psSig.toString('base64url')}`), 'unsupported_algorithm')

  // A 1024-bit key published under the kid the token names.
  const weak = makeKey('weak', 1024)
  s.jwks.setKeys([s.key.publicJwk, weak.publicJwk])
  s.clock.now += 31_000
  // jose refuses to sign with a 1024-bit key, so sign by hand.
  const weakInput = rawToken({ alg: 'RS256', kid: 'weak' }, claims).slice(0, -1)
  const weakToken = `${weakInput}.${cryptoSign('sha256', Buffer.from(weakInput), weak.privateKey).toString('base64url')}`
  expectRefusal(tt, await s.me(weakToken), 'weak_key')

  // Partner B's key used with partner A's iss.
  const bKey = makeKey('kb')
  const bJwks = await startJwksServer(tt, [bKey.publicJwk])
  await createPartner(s.app, { id: 'partner-b', jwtIssuer: 'https://b.example', jwksUrl: bJwks.url })
  expectRefusal(tt, await s.me(await mint(bKey, claims, { now: s.now })), 'unknown_key')
  expectRefusal(tt, await s.me(await mint(bKey, claims, { now: s.now, header: { kid: 'k1' } })), 'invalid_signature')

  // Keys never come from the token: jku / x5u / jwk headers are ignored, the attacker's server sees nothing.
  const attacker = makeKey('evil')
  const attackerJwks = await startJwksServer(tt, [attacker.publicJwk])
  const jku = await mint(attacker, claims, { now: s.now, header: { jku: attackerJwks.url, x5u: attackerJwks.url, jwk: attacker.publicJwk } })
  const res = await s.me(jku)
  tt.equal(res.statusCode, 401)
  tt.ok(['unknown_key', 'invalid_signature'].includes(res.json().code), `refused as ${res.json().code}`)
  tt.equal(attackerJwks.requests, 0, 'the attacker JWKS server received zero requests')
})

forEachStore(t, 'token refusal bodies never echo the token', async (tt, build) => {
  const s = await setup(build, tt)
  const token = await mint(s.key, { iss: s.iss, sub: 'u' }, { now: s.now - 7200 })
  const res = await s.me(token)
  tt.equal(res.json().code, 'token_expired')
  tt.notOk(res.body.includes(token.split('.')[2]!), 'signature not echoed')
  tt.notOk(res.body.includes(token.split('.')[1]!), 'payload not echoed')
})

forEachStore(t, 'a partner edit holds on the very next request', async (tt, build) => {
  const s = await setup(build, tt)
  const token = await mint(s.key, { iss: s.iss, sub: 'u' }, { now: s.now })
  tt.equal((await s.me(token)).statusCode, 200)
  tt.equal((await s.me(token)).statusCode, 200, 'served from the result cache')
  const patch = (payload: object) =>
    s.app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' }, payload })
  await patch({ jwtAudience: 'new-aud' })
  expectRefusal(tt, await s.me(token), 'audience_mismatch')
  await patch({ jwtAudience: null, maxTokenLifetimeSeconds: 60 })
  expectRefusal(tt, await s.me(token), 'token_lifetime_too_long')
  await patch({ maxTokenLifetimeSeconds: 3600, jwksUrl: null, jwtPublicKey: makeKey('other').spkiPem })
  expectRefusal(tt, await s.me(token), 'invalid_signature')
})


forEachStore(t, 'a signature spelled non-canonically is malformed_token, not a second valid token', async (tt, build) => {
  const s = await setup(build, tt)
  const token = await mint(s.key, { iss: s.iss, sub: 'u' }, { now: s.now })
  // A 2048-bit signature is 342 base64url characters: the last one carries 4 unused bits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const sibling = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1]
  tt.same(Buffer.from(sibling.split('.')[2]!, 'base64url'), Buffer.from(token.split('.')[2]!, 'base64url'), 'the same signature bytes')
  tt.equal((await s.me(token)).statusCode, 200, 'the canonical token passes')
  expectRefusal(tt, await s.me(sibling), 'malformed_token')
})

forEachStore(t, 'JWKS keys: 4096 bits verifies; e = 3 or over 4096 bits is unknown_key; under 2048 is weak_key', async (tt, build) => {
  const s = await setup(build, tt)
  const big = makeKey('big', 4096)
  const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 })
  const weak = makeKey('weak', 1024)
  // A real 8192-bit key takes seconds to generate; the size check reads only the modulus.
  const modulus = randomBytes(1024)
  modulus[0]! |= 0x80
  modulus[1023]! |= 1
  s.jwks.setKeys([
    s.key.publicJwk,
    big.publicJwk,
    { ...e3.publicKey.export({ format: 'jwk' }), kid: 'e3', alg: 'RS256', use: 'sig' },
    { kty: 'RSA', kid: 'huge', n: modulus.toString('base64url'), e: 'AQAB' },
    weak.publicJwk,
  ])
  await s.app.inject({ method: 'POST', url: '/admin/partners/acme/keys/refresh', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } })
  const claims = { iss: s.iss, sub: 'u', iat: s.now, exp: s.now + 300 }
  // jose refuses some of these keys, so sign by hand.
  const signedBy = (privateKey: KeyObject, kid: string) => {
    const input = rawToken({ alg: 'RS256', kid }, claims).slice(0, -1)
    return `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
  }
  tt.equal((await s.me(signedBy(big.privateKey, 'big'))).statusCode, 200, '4096 bits verifies')
  expectRefusal(tt, await s.me(signedBy(e3.privateKey, 'e3')), 'unknown_key')
  expectRefusal(tt, await s.me(signedBy(s.key.privateKey, 'huge')), 'unknown_key')
  expectRefusal(tt, await s.me(signedBy(weak.privateKey, 'weak')), 'weak_key')
  const view = await s.app.inject({ method: 'GET', url: '/admin/partners/acme/keys', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } })
  tt.match(view.json().keys, [
    { kid: 'k1', usable: true },
    { kid: 'big', bits: 4096, usable: true },
    { kid: 'e3', usable: false, reason: 'public exponent is 3 (only 65537 is accepted)' },
    { kid: 'huge', bits: 8192, usable: false, reason: 'modulus is 8192 bits (maximum 4096)' },
    { kid: 'weak', bits: 1024, usable: false, reason: 'modulus is 1024 bits (minimum 2048)' },
  ])
})
