// parseJwksKeys at its edges: the exact reason for each refused member, the base64url shape of n and e,
// the 64-bit exponent boundary, and the bit length counted from the modulus bytes.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { parseJwksKeys } from '../../src/tokens/jwks-keys.js'
import { makeKey } from '../helpers/keys.js'

const good = () => makeKey('k1').publicJwk
const parse = (jwk: unknown) => parseJwksKeys([jwk])[0]!

t.test('a refused member is shown as published: short strings whole, long ones clipped at 40, others by kind', async (tt) => {
  const x40 = 'x'.repeat(40)
  const cases: [unknown, string][] = [
    [undefined, 'kty is missing, expected RSA'],
    [null, 'kty is null, expected RSA'],
    [5, 'kty is 5, expected RSA'],
    [true, 'kty is true, expected RSA'],
    [false, 'kty is false, expected RSA'],
    ['', 'kty is , expected RSA'],
    ['rsa', 'kty is rsa, expected RSA'],
    [x40, `kty is ${x40}, expected RSA`],
    [`${x40}y`, `kty is ${x40}…, expected RSA`],
    [['RSA'], 'kty is an array, expected RSA'],
    [{ kty: 'RSA' }, 'kty is an object, expected RSA'],
  ]
  for (const [kty, reason] of cases) {
    const { kty: _kty, ...rest } = good()
    const jwk = kty === undefined ? rest : { ...rest, kty }
    tt.same(parse(jwk), { kid: 'k1', alg: 'RS256', bits: null, usable: false, weak: false, reason, key: null }, JSON.stringify(kty) ?? 'undefined')
  }
})

t.test('use, alg and key_ops: each refusal with its exact reason; a non-string alg is reported as null', async (tt) => {
  const cases: [object, string, string | null][] = [
    [{ ...good(), use: null }, 'use is null, expected sig', 'RS256'],
    [{ ...good(), use: 'SIG' }, 'use is SIG, expected sig', 'RS256'],
    [{ ...good(), use: ['sig'] }, 'use is an array, expected sig', 'RS256'],
    [{ ...good(), alg: 'rs256' }, 'alg is rs256, expected RS256', 'rs256'],
    [{ ...good(), alg: 256 }, 'alg is 256, expected RS256', null],
    [{ ...good(), alg: null }, 'alg is null, expected RS256', null],
    [{ ...good(), key_ops: [] }, 'key_ops lacks verify', 'RS256'],
    [{ ...good(), key_ops: ['sign'] }, 'key_ops lacks verify', 'RS256'],
    [{ ...good(), key_ops: null }, 'key_ops lacks verify', 'RS256'],
    [{ ...good(), key_ops: { 0: 'verify' } }, 'key_ops lacks verify', 'RS256'],
  ]
  for (const [jwk, reason, alg] of cases) {
    tt.same(parse(jwk), { kid: 'k1', alg, bits: null, usable: false, weak: false, reason, key: null }, reason)
  }
  tt.same(parse({ ...good(), kid: 7, alg: 7 }), { kid: null, alg: null, bits: null, usable: false, weak: false, reason: 'kid is not a string', key: null })
  tt.equal(parse({ ...good(), kid: '' }).kid, '', 'an empty kid is kept as the empty string')
  tt.equal(parse({ ...good(), kid: '' }).usable, true)
})

t.test('n and e: missing or not strings, then not base64url, each with its exact reason', async (tt) => {
  const { n, e } = good()
  const missing = 'n/e missing or not strings'
  const shape = 'n/e do not form a valid RSA key (not base64url)'
  const cases: [Record<string, unknown>, string][] = [
    [{ kty: 'RSA', e }, missing],
    [{ kty: 'RSA', n }, missing],
    [{ kty: 'RSA', n, e: 65537 }, missing],
    [{ kty: 'RSA', n: null, e }, missing],
    [{ kty: 'RSA', n: '', e }, shape],
    [{ kty: 'RSA', n, e: '' }, shape],
    // Node would skip the stray character and import the rest: the shape check must cover the whole string.
    [{ kty: 'RSA', n: `!${n}`, e }, shape],
    [{ kty: 'RSA', n: `${n}!`, e }, shape],
    [{ kty: 'RSA', n: `${n.slice(0, 100)} ${n.slice(100)}`, e }, shape],
    [{ kty: 'RSA', n: `${n.slice(0, 100)}+${n.slice(101)}`, e }, shape],
    [{ kty: 'RSA', n: `${n.slice(0, 100)}/${n.slice(101)}`, e }, shape],
    [{ kty: 'RSA', n: `${n.slice(0, 100)}=${n.slice(101)}`, e }, shape],
    [{ kty: 'RSA', n: `${n}===`, e }, shape],
    [{ kty: 'RSA', n: '==', e }, shape],
    [{ kty: 'RSA', n, e: `.${e}` }, shape],
    [{ kty: 'RSA', n, e: `${e}.` }, shape],
    [{ kty: 'RSA', n, e: `${e}===` }, shape],
  ]
  for (const [jwk, reason] of cases) {
    tt.same(parse(jwk), { kid: null, alg: null, bits: null, usable: false, weak: false, reason, key: null }, JSON.stringify(jwk).slice(0, 80))
  }
})

t.test('padding up to two = and every base64url character are accepted', async (tt) => {
  const key = makeKey('k1')
  const { n, e } = key.publicJwk
  tt.equal(n.length % 4, 2, 'a 2048-bit modulus takes two = of padding')
  for (const jwk of [
    { kty: 'RSA', n: `${n}==`, e },
    { kty: 'RSA', n, e: `${e}=` },
    { kty: 'RSA', n: `${n}==`, e: 'AQAB' },
  ]) {
    const parsed = parse(jwk)
    tt.match(parsed, { usable: true, bits: 2048, reason: null }, JSON.stringify(jwk).slice(-30))
    tt.ok(parsed.key?.equals(key.publicKey), 'the same key is imported')
  }
  // Every base64url character, six times: 288 bytes, 0x00 0x10 first (2293 bits) and 0xbf last (odd).
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  tt.match(parse({ kty: 'RSA', n: alphabet.repeat(6), e: 'AQAB' }), { usable: true, bits: 2293, reason: null }, 'the whole alphabet is base64url')
})

t.test('an empty or even modulus is garbage, not a weak key', async (tt) => {
  const reason = 'n/e do not form a valid RSA key (n is not an odd modulus)'
  // "A" carries no whole byte: the modulus is empty.
  for (const n of ['A', 'AA', 'AAA=', 'Ag', 'AAAA', 'AQAC', `${good().n.slice(0, -2)}AA`]) {
    tt.same(parse({ kty: 'RSA', kid: 'x', n, e: 'AQAB' }), { kid: 'x', alg: null, bits: null, usable: false, weak: false, reason, key: null }, n.slice(-10))
  }
  tt.match(parse({ kty: 'RSA', n: 'AQ', e: 'AQAB' }), { bits: 1, weak: true, reason: 'modulus is 1 bits (minimum 2048)' }, 'a one-byte odd modulus is judged on its size')
})

/** base64url of a big-endian unsigned integer in exactly `bytes` bytes. */
function fixedWidth(value: bigint, bytes: number): string {
  return Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64url')
}

t.test('the exponent is read from up to 8 bytes; more bytes are over 64 bits whatever their value', async (tt) => {
  const key = makeKey('k1')
  const { n } = key.publicJwk
  const usable = parse({ kty: 'RSA', n, e: fixedWidth(65537n, 8) })
  tt.match(usable, { usable: true, bits: 2048, reason: null }, '65537 in 8 bytes')
  tt.ok(usable.key?.equals(key.publicKey))
  const cases: [string, string][] = [
    [fixedWidth(2n ** 64n - 1n, 8), 'public exponent is 18446744073709551615 (only 65537 is accepted)'],
    [fixedWidth(2n ** 63n + 1n, 8), 'public exponent is 9223372036854775809 (only 65537 is accepted)'],
    [fixedWidth(65537n, 9), 'public exponent is over 64 bits (only 65537 is accepted)'],
    [fixedWidth(2n ** 64n + 1n, 9), 'public exponent is over 64 bits (only 65537 is accepted)'],
    [fixedWidth(65539n, 3), 'public exponent is 65539 (only 65537 is accepted)'],
    ['AQAA', 'public exponent is 65536 (only 65537 is accepted)'],
    ['A', 'public exponent is 0 (only 65537 is accepted)'],
  ]
  for (const [e, reason] of cases) {
    // Judged before importing, and the modulus size is still reported.
    tt.same(parse({ kty: 'RSA', kid: 'e', n, e }), { kid: 'e', alg: null, bits: 2048, usable: false, weak: false, reason, key: null }, e)
  }
})

/** An odd modulus of exactly `bits` bits behind `zeros` leading zero bytes. */
function modulus(bits: number, zeros = 0): string {
  const bytes = randomBytes(Math.ceil(bits / 8))
  const topBits = bits % 8 || 8
  bytes[0] = (bytes[0]! & ((1 << topBits) - 1)) | (1 << (topBits - 1))
  bytes[bytes.length - 1]! |= 1
  return Buffer.concat([Buffer.alloc(zeros), bytes]).toString('base64url')
}

t.test('the modulus size is its bit length, leading zero bytes aside, at every boundary', async (tt) => {
  const cases: [bits: number, zeros: number, verdict: { usable: boolean; weak: boolean; reason: string | null }][] = [
    [2047, 0, { usable: false, weak: true, reason: 'modulus is 2047 bits (minimum 2048)' }],
    [2041, 0, { usable: false, weak: true, reason: 'modulus is 2041 bits (minimum 2048)' }],
    [2040, 3, { usable: false, weak: true, reason: 'modulus is 2040 bits (minimum 2048)' }],
    [2048, 0, { usable: true, weak: false, reason: null }],
    [2048, 2, { usable: true, weak: false, reason: null }],
    [2049, 0, { usable: true, weak: false, reason: null }],
    [3071, 1, { usable: true, weak: false, reason: null }],
    [4096, 0, { usable: true, weak: false, reason: null }],
    [4095, 5, { usable: true, weak: false, reason: null }],
    [4097, 0, { usable: false, weak: false, reason: 'modulus is 4097 bits (maximum 4096)' }],
    [4104, 1, { usable: false, weak: false, reason: 'modulus is 4104 bits (maximum 4096)' }],
    [9, 0, { usable: false, weak: true, reason: 'modulus is 9 bits (minimum 2048)' }],
    [8, 1, { usable: false, weak: true, reason: 'modulus is 8 bits (minimum 2048)' }],
  ]
  for (const [bits, zeros, verdict] of cases) {
    const parsed = parse({ kty: 'RSA', kid: `m${bits}`, n: modulus(bits, zeros), e: 'AQAB' })
    tt.match(parsed, { kid: `m${bits}`, bits, ...verdict }, `${bits} bits after ${zeros} zero bytes`)
    tt.equal(parsed.key === null, !verdict.usable && !verdict.weak, `${bits} bits: imported only when usable or weak`)
  }
})
