// A partner's static jwtPublicKey is held to the same RSA limits as JWKS keys when it is written.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import { admin, build } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { assertInvalid } from '../helpers/problem.js'

/** An 8192-bit RSA public key: generating a real pair takes seconds, and the write check reads only n and e. */
function pem8192(): string {
  const modulus = randomBytes(1024)
  modulus[0]! |= 0x80
  modulus[1023]! |= 1
  return createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString()
}

t.test('a static key must be RSA 2048–4096 bits with exponent 65537, on create and on update', async (tt) => {
  const { app } = await build(tt)
  const create = (id: string, jwtPublicKey: string) =>
    app.inject({ method: 'POST', url: '/admin/partners', headers: admin, payload: { id, name: id, jwtIssuer: `https://${id}.example`, jwtPublicKey } })

  const big = makeKey('static-4096', 4096)
  const accepted = await create('k4096', big.spkiPem)
  tt.equal(accepted.statusCode, 201, '4096 bits is accepted')
  tt.match((await app.inject({ method: 'GET', url: '/admin/partners/k4096/keys', headers: admin })).json(), { source: 'static', keys: [{ bits: 4096, usable: true }] })

  const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey
  const refusals: [string, string, RegExp][] = [
    ['k8192', pem8192(), /modulus is 8192 bits \(maximum 4096\)/],
    ['e3-spki', e3.export({ type: 'spki', format: 'pem' }).toString(), /public exponent is 3 \(only 65537 is accepted\)/],
    ['e3-pkcs1', e3.export({ type: 'pkcs1', format: 'pem' }).toString(), /public exponent is 3/],
    ['k1024', makeKey('weak', 1024).spkiPem, /modulus is 1024 bits \(minimum 2048\)/],
  ]
  for (const [id, pem, reason] of refusals) {
    const body = assertInvalid(tt, await create(id, pem), ['/jwtPublicKey'], id)
    tt.match(body.errors?.find((e) => e.path === '/jwtPublicKey')?.message, reason, `${id}: the reason`)
    tt.equal((await app.inject({ method: 'GET', url: `/admin/partners/${id}`, headers: admin })).statusCode, 404, `${id}: not stored`)
  }

  const patch = await app.inject({ method: 'PATCH', url: '/admin/partners/k4096', headers: admin, payload: { jwtPublicKey: pem8192() } })
  assertInvalid(tt, patch, ['/jwtPublicKey'], 'an 8192-bit key by PATCH')
  tt.match((await app.inject({ method: 'GET', url: '/admin/partners/k4096/keys', headers: admin })).json(), { keys: [{ bits: 4096 }] }, 'the key is unchanged')
})
