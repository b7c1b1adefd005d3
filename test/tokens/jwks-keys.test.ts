// parseJwksKeys: the usability rules, the reason for every skipped key, and no throw on any input.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import { MAX_JWKS_KEYS, parseJwksKeys } from '../../src/tokens/jwks-keys.js'
import { makeKey } from '../helpers/keys.js'

const good = () => makeKey('k1').publicJwk

t.test('an RS256 signing key is usable, with or without the optional members', async (tt) => {
  const { n, e } = good()
  const variants: object[] = [
    good(),
    { kty: 'RSA', n, e },
    { kty: 'RSA', n, e, kid: 'k1', key_ops: ['verify'] },
    { kty: 'RSA', n, e, kid: 'k1', key_ops: ['sign', 'verify'], use: 'sig', alg: 'RS256', x5c: ['ignored'] },
  ]
  for (const jwk of variants) {
    const [parsed] = parseJwksKeys([jwk])
    tt.match(parsed, { usable: true, weak: false, reason: null, bits: 2048 }, JSON.stringify(Object.keys(jwk)))
    tt.ok(parsed!.key?.equals(makeKey('k1').publicKey), 'the public key is imported')
  }
  tt.equal(parseJwksKeys([{ kty: 'RSA', n, e }])[0]!.kid, null, 'an absent kid is null and still usable')
})

t.test('each unusable key carries its reason', async (tt) => {
  const { n, e } = good()
  const cases: [string, object, RegExp][] = [
    ['EC key', { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'a', y: 'b' }, /kty is EC, expected RSA/],
    ['oct key', { kty: 'oct', kid: 'h', k: 'c2VjcmV0' }, /kty/],
    ['no kty', { kid: 'x', n, e }, /kty is missing/],
    ['encryption key', { ...good(), use: 'enc' }, /use is enc/],
    ['RS512', { ...good(), alg: 'RS512' }, /alg is RS512, expected RS256/],
    ['PS256', { ...good(), alg: 'PS256' }, /alg is PS256/],
    ['key_ops without verify', { ...good(), key_ops: ['encrypt'] }, /key_ops lacks verify/],
    ['key_ops not an array', { ...good(), key_ops: 'verify' }, /key_ops lacks verify/],
    ['bad n', { ...good(), n: 'not a modulus!' }, /n\/e do not form a valid RSA key/],
    ['even n', { ...good(), n: 'A'.repeat(68) }, /n\/e do not form a valid RSA key/],
    ['empty n', { ...good(), n: '' }, /n\/e/],
    ['even exponent', { ...good(), e: 'Ag' }, /^public exponent is 2 \(only 65537 is accepted\)$/],
    ['exponent 1', { ...good(), e: 'AQ' }, /^public exponent is 1 /],
    ['exponent 3', { ...good(), e: 'Aw' }, /^public exponent is 3 /],
    ['empty exponent', { ...good(), e: '' }, /n\/e/],
    ['64 KiB exponent', { ...good(), e: `${'A'.repeat(87_000)}B` }, /^public exponent is over 64 bits /],
    ['missing e', { kty: 'RSA', kid: 'x', n }, /n\/e/],
    ['numeric n', { kty: 'RSA', kid: 'x', n: 12345, e }, /n\/e/],
    ['numeric kid', { ...good(), kid: 7 }, /kid is not a string/],
    ['null kid', { ...good(), kid: null }, /kid is not a string/],
  ]
  for (const [name, jwk, reason] of cases) {
    const [parsed] = parseJwksKeys([jwk])
    tt.match(parsed, { usable: false, weak: false, key: null, reason }, name)
  }
  tt.equal(parseJwksKeys([{ ...good(), kid: 7 }])[0]!.kid, null, 'a non-string kid is stored as null')
  tt.equal(parseJwksKeys([{ ...good(), alg: 'RS512' }])[0]!.alg, 'RS512', 'alg is reported as published')
})

t.test('a 1024-bit key whose only flaw is its size is weak and kept for diagnosis', async (tt) => {
  const weak = makeKey('weak', 1024)
  const [parsed] = parseJwksKeys([weak.publicJwk])
  tt.match(parsed, { kid: 'weak', alg: 'RS256', bits: 1024, usable: false, weak: true, reason: 'modulus is 1024 bits (minimum 2048)' })
  tt.ok(parsed!.key?.equals(weak.publicKey))
  const [weakAndEnc] = parseJwksKeys([{ ...weak.publicJwk, use: 'enc' }])
  tt.match(weakAndEnc, { usable: false, weak: false, key: null }, 'a small key with another flaw is not merely weak')
})

t.test('real 2048- and 4096-bit keys with exponent 65537 are usable', async (tt) => {
  for (const bits of [2048, 4096]) {
    const key = makeKey(`k${bits}`, bits)
    tt.match(parseJwksKeys([key.publicJwk])[0], { usable: true, weak: false, bits, reason: null }, `${bits} bits`)
  }
})

/** An odd modulus of exactly `bits` bits with e = 65537: a real key of 4097+ bits takes seconds to generate. */
function modulusOfBits(bits: number): { kty: 'RSA'; n: string; e: string } {
  const modulus = randomBytes(Math.ceil(bits / 8))
  const topBits = bits % 8 || 8
  modulus[0] = (modulus[0]! & ((1 << topBits) - 1)) | (1 << (topBits - 1))
  modulus[modulus.length - 1]! |= 1
  return { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }
}

t.test('a modulus over 4096 bits is unusable (not weak), judged before the key is imported', async (tt) => {
  for (const bits of [4097, 8192, 16385, 16800]) {
    tt.match(
      parseJwksKeys([{ ...modulusOfBits(bits), kid: `big-${bits}` }])[0],
      { kid: `big-${bits}`, bits, usable: false, weak: false, key: null, reason: `modulus is ${bits} bits (maximum 4096)` },
      `${bits} bits`,
    )
  }
  const leadingZero = modulusOfBits(4096)
  leadingZero.n = Buffer.concat([Buffer.alloc(1), Buffer.from(leadingZero.n, 'base64url')]).toString('base64url')
  tt.match(parseJwksKeys([leadingZero])[0], { bits: 4096, usable: true }, 'a leading zero byte does not count')
})

t.test('a real key with public exponent 3 is unusable, and not merely weak when it is also small', async (tt) => {
  for (const bits of [2048, 1024]) {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 3 })
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: `e3-${bits}` }
    tt.match(
      parseJwksKeys([jwk])[0],
      { kid: `e3-${bits}`, usable: false, weak: false, key: null, reason: 'public exponent is 3 (only 65537 is accepted)' },
      `${bits} bits, e = 3`,
    )
  }
})

t.test(`only the first ${MAX_JWKS_KEYS} keys of a JWKS are parsed`, async (tt) => {
  const jwks = Array.from({ length: 5000 }, (_, i) => ({ ...good(), kid: `k${i}` }))
  const parsed = parseJwksKeys(jwks)
  tt.equal(parsed.length, MAX_JWKS_KEYS)
  tt.equal(parsed.at(-1)!.kid, `k${MAX_JWKS_KEYS - 1}`)
  tt.ok(parsed.every((k) => k.usable))
})

t.test('a JWK with private members is imported as its public part only', async (tt) => {
  const jwk = { ...makeKey('k1').privateKey.export({ format: 'jwk' }), kid: 'priv' }
  tt.type(jwk.d, 'string', 'the JWK carries d')
  const [parsed] = parseJwksKeys([jwk])
  tt.equal(parsed!.usable, true)
  tt.equal(parsed!.key?.type, 'public')
})

t.test('never throws, whatever the input', async (tt) => {
  const { n, e } = good()
  const long = 'A'.repeat(300_000)
  const hostile: unknown[] = [
    null,
    undefined,
    0,
    -1,
    Number.NaN,
    'RSA',
    true,
    [],
    [good()],
    {},
    { kty: null },
    { kty: long, kid: long },
    { kty: 'RSA', n: long, e },
    { kty: 'RSA', n, e: long },
    { kty: 'RSA', n: '!!!!', e: '@@' },
    { kty: 'RSA', n: { toString: 1 }, e: [] },
    { kty: 'RSA', n, e, use: long, alg: long },
    { kty: 'RSA', n, e, key_ops: [null, {}, 1] },
    JSON.parse('{"__proto__": {"kty": "RSA"}, "n": "x"}'),
    Object.create(null),
    good(),
  ]
  let parsed: ReturnType<typeof parseJwksKeys> = []
  tt.doesNotThrow(() => {
    parsed = parseJwksKeys(hostile)
  })
  tt.equal(parsed.length, hostile.length)
  tt.same(
    parsed.filter((k) => k.usable).map((k) => k.kid),
    ['k1'],
    'only the well-formed key is usable (not the one wrapped in an array)',
  )
  for (const k of parsed) if (k.reason) tt.ok(k.reason.length < 200, `reason stays short: ${k.reason.slice(0, 60)}`)
  for (let i = 0; i < 200; i++) {
    const n = randomBytes(i % 64).toString('base64url')
    const fuzz: Record<string, unknown> = { kty: 'RSA', n, e: randomBytes(i % 5).toString('base64url') }
    if (i % 3 === 0) fuzz.kid = i
    tt.doesNotThrow(() => parseJwksKeys([fuzz]))
  }
  tt.doesNotThrow(() => parseJwksKeys(null as unknown as unknown[]))
})
