// importRsaPublicKeyPem: the static partner keys accepted (one RSA public PEM block within the limits), and refusals that never echo the input.
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { importRsaPublicKeyPem } from '../../src/tokens/import-rsa-public-key-pem.js'
import { makeKey } from '../helpers/keys.js'

t.test('an SPKI or PKCS#1 RSA public key is imported with its size', async (tt) => {
  const key = makeKey('pem')
  for (const pem of [key.spkiPem, key.pkcs1Pem, key.spkiPem.replace(/\n/g, '\r\n')]) {
    const imported = importRsaPublicKeyPem(pem)
    tt.ok(imported.ok && imported.key.equals(key.publicKey) && imported.bits === 2048)
  }
})

t.test('a private key is refused without being echoed', async (tt) => {
  const pem = makeKey('pem').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const refused = importRsaPublicKeyPem(pem)
  tt.same(refused, { ok: false, reason: 'is a private key; paste the public key only' })
  tt.notOk(JSON.stringify(refused).includes(pem.split('\n')[1]!), 'no line of the key is in the reason')
})

t.test('anything but exactly one public key block is refused', async (tt) => {
  const { spkiPem } = makeKey('pem')
  const notPem = /^must be a PEM "BEGIN PUBLIC KEY" \(SPKI\) or "BEGIN RSA PUBLIC KEY" \(PKCS#1\) block$/
  tt.match(importRsaPublicKeyPem(spkiPem + makeKey('other').spkiPem), { ok: false, reason: notPem }, 'a second key would be stored but never used')
  tt.match(importRsaPublicKeyPem(spkiPem.replace('-----END PUBLIC KEY-----', '-----END RSA PUBLIC KEY-----')), { ok: false, reason: notPem })
  tt.match(importRsaPublicKeyPem('not a key'), { ok: false, reason: notPem })
  tt.same(importRsaPublicKeyPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), { ok: false, reason: 'is not a parseable public key' })
})

t.test('keys outside the RSA limits are refused with the reason', async (tt) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
  tt.same(importRsaPublicKeyPem(ec), { ok: false, reason: 'is a ec key; RSA is required' })
  tt.same(importRsaPublicKeyPem(makeKey('pem-weak', 1024).spkiPem), { ok: false, reason: 'is not accepted: modulus is 1024 bits (minimum 2048)' })
  const exponent3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
  tt.same(importRsaPublicKeyPem(exponent3), { ok: false, reason: 'is not accepted: public exponent is 3 (only 65537 is accepted)' })
})
