// A static key is checked when its record loads but held as a KeyObject only from the first token that needs it:
// 10,000 idle static-key partners must not hold 10,000 imported RSA keys (see docs/performance.md, scale).
import type { KeyObject } from 'node:crypto'
import t from 'tap'
import { createIssuerDirectory } from '../../src/tokens/issuer-directory.js'
import { createJwksCache } from '../../src/tokens/jwks-cache.js'
import { makeKey } from '../helpers/keys.js'
import { patchBuiltin } from '../helpers/patch-builtin.js'
import { partnerRecord } from '../helpers/token-core.js'

// Counts key imports through node:crypto itself.
let imports = 0
t.teardown(
  patchBuiltin<(input: unknown) => KeyObject>('node:crypto', 'createPublicKey', (real) => (input) => {
    imports++
    return real(input)
  }),
)

t.test('checked at load, imported again on first use only, then the same key every time', async (tt) => {
  const key = makeKey('s1')
  const good = partnerRecord({ id: 'good', jwtPublicKey: key.spkiPem })
  const broken = partnerRecord({ id: 'broken', jwtIssuer: 'https://broken.example', jwtPublicKey: key.pkcs1Pem.replace('BEGIN RSA PUBLIC KEY', 'BEGIN PUBLIC KEY').replace('END RSA PUBLIC KEY', 'END PUBLIC KEY') })
  const directory = createIssuerDirectory({ list: async () => [good, broken], revision: async () => 1 }, createJwksCache({ allowPrivateNetwork: true }))
  imports = 0
  await directory.sync()
  tt.equal(imports, 2, 'each stored key is checked once when it loads')
  tt.equal(directory.byId('broken'), undefined, 'a stored key that fails the check leaves its partner out')
  const entry = directory.byId('good')!
  tt.equal(entry.keys.kind, 'static')
  if (entry.keys.kind !== 'static') return
  tt.equal(entry.keys.bits, 2048, 'the size is known without holding the key')
  tt.equal(imports, 2, 'nothing imported until a token needs the key')
  const [first] = entry.keys.candidates
  tt.ok(first!.key.equals(key.publicKey), 'the partner key')
  tt.equal(first!.label, 'the static key')
  tt.equal(imports, 3, 'imported on first use')
  tt.equal(entry.keys.candidates[0], first, 'then held: the same candidate')
  tt.equal(imports, 3, 'and never imported again')
})

t.test('a new record version with the same key text keeps the imported key; a new key text is checked afresh', async (tt) => {
  const key = makeKey('s1')
  let records = [partnerRecord({ id: 'good', jwtPublicKey: key.spkiPem })]
  let revision = 1
  const directory = createIssuerDirectory({ list: async () => records, revision: async () => revision }, createJwksCache({ allowPrivateNetwork: true }))
  await directory.sync()
  const before = directory.byId('good')!.keys
  if (before.kind !== 'static') return tt.fail('a static key')
  const [first] = before.candidates
  imports = 0
  records = [{ ...records[0]!, name: 'Renamed', version: 2 }]
  revision++
  await directory.sync()
  const renamed = directory.byId('good')!
  tt.equal(renamed.record.name, 'Renamed', 'the new version loaded')
  tt.equal(renamed.keys.kind === 'static' && renamed.keys.candidates[0], first, 'the same imported key')
  tt.equal(imports, 0, 'neither checked nor imported again')
  records = [{ ...records[0]!, jwtPublicKey: makeKey('s2').spkiPem, version: 3 }]
  revision++
  await directory.sync()
  tt.equal(imports, 1, 'a new key text is checked when it loads')
})
