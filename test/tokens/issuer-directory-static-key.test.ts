// A static key is checked when its record loads but held as a KeyObject only from the first token that needs it:
// 10,000 idle static-key partners must not hold 10,000 imported RSA keys (see docs/performance.md, scale).
import t from 'tap'
import * as realImport from '../../src/tokens/import-rsa-public-key-pem.js'
import { createJwksCache } from '../../src/tokens/jwks-cache.js'
import { makeKey } from '../helpers/keys.js'
import { partnerRecord } from '../helpers/token-core.js'

const imports: string[] = []
const { createIssuerDirectory } = await t.mockImport<typeof import('../../src/tokens/issuer-directory.js')>('../../src/tokens/issuer-directory.js', {
  '../../src/tokens/import-rsa-public-key-pem.js': {
    importRsaPublicKeyPem(pem: string) {
      imports.push(pem)
      return realImport.importRsaPublicKeyPem(pem)
    },
  },
})

t.test('checked at load, imported again on first use only, then the same key every time', async (tt) => {
  const key = makeKey('s1')
  const good = partnerRecord({ id: 'good', jwtPublicKey: key.spkiPem })
  const broken = partnerRecord({ id: 'broken', jwtIssuer: 'https://broken.example', jwtPublicKey: key.spkiPem.replace('PUBLIC KEY', 'PUBLIC KEX') })
  imports.length = 0
  const directory = createIssuerDirectory({ list: async () => [good, broken], revision: async () => 1 }, createJwksCache({ allowPrivateNetwork: true }))
  await directory.sync()
  tt.equal(imports.length, 2, 'each stored key is checked once when it loads')
  tt.equal(directory.byId('broken'), undefined, 'a stored key that fails the check leaves its partner out')
  const entry = directory.byId('good')!
  tt.equal(entry.keys.kind, 'static')
  if (entry.keys.kind !== 'static') return
  tt.equal(entry.keys.bits, 2048, 'the size is known without holding the key')
  tt.equal(imports.length, 2, 'nothing imported until a token needs the key')
  const [first] = entry.keys.candidates
  tt.ok(first!.key.equals(key.publicKey), 'the partner key')
  tt.equal(first!.label, 'the static key')
  tt.equal(imports.length, 3, 'imported on first use')
  tt.equal(entry.keys.candidates[0], first, 'then held: the same candidate')
  tt.equal(imports.length, 3, 'and never imported again')
})
