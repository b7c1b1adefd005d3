// importRsaPublicKeyPem: the static partner keys accepted (one RSA public PEM block within the limits), and refusals that never echo the input.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
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

t.test('blank lines around the block are accepted; anything else before or after it, or inside its body, is refused', async (tt) => {
  const key = makeKey('pem')
  const notPem = 'must be a PEM "BEGIN PUBLIC KEY" (SPKI) or "BEGIN RSA PUBLIC KEY" (PKCS#1) block'
  for (const pem of [`\n \n${key.spkiPem}`, `${key.spkiPem}\n\n  `, `\r\n${key.pkcs1Pem}\r\n`]) {
    const imported = importRsaPublicKeyPem(pem)
    tt.ok(imported.ok && imported.key.equals(key.publicKey), JSON.stringify(pem.slice(0, 4)))
  }
  tt.same(importRsaPublicKeyPem(`x${key.spkiPem}`), { ok: false, reason: notPem }, 'text before the block')
  tt.same(importRsaPublicKeyPem(`${key.spkiPem}x`), { ok: false, reason: notPem }, 'text after the block')
  const lines = key.spkiPem.split('\n')
  lines[2] = `${lines[2]!.slice(0, 10)}!${lines[2]!.slice(11)}`
  tt.same(importRsaPublicKeyPem(lines.join('\n')), { ok: false, reason: notPem }, 'a character outside base64 in the body')
  tt.same(importRsaPublicKeyPem(key.spkiPem.replace('-----BEGIN PUBLIC KEY-----\n', '-----BEGIN PUBLIC KEY-----')), { ok: false, reason: notPem }, 'no line break after BEGIN')
  tt.same(importRsaPublicKeyPem('-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----\n'), { ok: false, reason: notPem }, 'an empty body')
})

t.test('an indented key (pasted from YAML or a pretty-printed document) is read as if each line were flush left', async (tt) => {
  const key = makeKey('pem')
  const indent = (pem: string, by: string) => pem.split('\n').map((line) => (line ? by + line : line)).join('\n')
  const cases: [pem: string, what: string][] = [
    [indent(key.spkiPem, '    '), 'every line indented by spaces'],
    [indent(key.pkcs1Pem, '\t'), 'every line indented by a tab'],
    [`   ${key.spkiPem}`, 'spaces before BEGIN only'],
  ]
  for (const [pem, what] of cases) {
    tt.throws(() => createPublicKey(pem), what + ': OpenSSL alone refuses it')
    const imported = importRsaPublicKeyPem(pem)
    tt.ok(imported.ok && imported.key.equals(key.publicKey) && imported.bits === 2048, what)
  }
  const trailing = importRsaPublicKeyPem(indent(key.spkiPem.replace(/\n/g, '  \r\n'), '  '))
  tt.ok(trailing.ok && trailing.key.equals(key.publicKey), 'indented, with trailing blanks before CRLF line ends')
  tt.same(importRsaPublicKeyPem(indent(key.spkiPem, '  x')), { ok: false, reason: 'must be a PEM "BEGIN PUBLIC KEY" (SPKI) or "BEGIN RSA PUBLIC KEY" (PKCS#1) block' }, 'only blanks are dropped')
})

t.test('a PKCS#1 private key is refused as a private key too', async (tt) => {
  const pem = makeKey('pem').privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  tt.same(importRsaPublicKeyPem(pem), { ok: false, reason: 'is a private key; paste the public key only' })
  tt.same(importRsaPublicKeyPem(`${makeKey('pem').spkiPem}PRIVATE KEY`), { ok: false, reason: 'is a private key; paste the public key only' }, 'the words anywhere')
})

t.test('an RSA key over the maximum or with a large exponent is refused with the reason', async (tt) => {
  // A public key need not come from a key pair to be imported: a random odd modulus of the wanted size will do.
  const publicPem = (bits: number, e: Buffer) => {
    const n = randomBytes(bits / 8)
    n[0]! |= 0x80
    n[n.length - 1]! |= 1
    const key = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' })
    return key.export({ type: 'spki', format: 'pem' }).toString()
  }
  const f4 = Buffer.from([1, 0, 1])
  tt.same(importRsaPublicKeyPem(publicPem(4104, f4)), { ok: false, reason: 'is not accepted: modulus is 4104 bits (maximum 4096)' })
  tt.match(importRsaPublicKeyPem(publicPem(4096, f4)), { ok: true, bits: 4096 }, 'the maximum itself is accepted')
  tt.same(importRsaPublicKeyPem(publicPem(2048, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 1]))), {
    ok: false,
    reason: 'is not accepted: public exponent is over 64 bits (only 65537 is accepted)',
  })
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString()
  tt.same(importRsaPublicKeyPem(ed), { ok: false, reason: 'is a ed25519 key; RSA is required' })
})
