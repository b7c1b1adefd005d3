// decodeToken: each part must be unpadded base64url in its one canonical spelling, and decode to a UTF-8 JSON object.
import t, { type Test } from 'tap'
import { decodeToken } from '../../src/tokens/decode-token.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The same part with its last character's lowest unused bit set: Node decodes it to the same bytes, so
 * only a canonical-form check tells the two apart.
 */
function nonCanonicalSibling(part: string): string {
  const value = ALPHABET.indexOf(part.at(-1)!)
  return part.slice(0, -1) + ALPHABET[value | 1]
}

/** A real token whose parts pass `wanted`, found by varying the sub's length and a header member's. */
async function tokenWhere(bits: number, wanted: (parts: string[]) => boolean): Promise<string> {
  for (let n = 1; n <= 12; n++) {
    for (let m = 0; m < 4; m++) {
      const token = await mint(makeKey('k1', bits), { iss: 'https://acme.example', sub: 'u'.repeat(n) }, { now: 2_000_000_000, header: { x: 'p'.repeat(m) } })
      if (wanted(token.split('.'))) return token
    }
  }
  throw new Error('no such token')
}

/** Each part of `token` replaced in turn by `change(part)`; the variants must decode to the same bytes. */
function variants(tt: Test, token: string, change: (part: string) => string): [string, string][] {
  const parts = token.split('.')
  return ['header', 'payload', 'signature'].map((name, i) => {
    const changed = change(parts[i]!)
    tt.same(Buffer.from(changed, 'base64url'), Buffer.from(parts[i]!, 'base64url'), `${name}: the variant decodes to the same bytes`)
    return [name, parts.map((p, j) => (j === i ? changed : p)).join('.')]
  })
}

t.test('a non-canonical spelling of any part is malformed_token, though it decodes to the same bytes', async (tt) => {
  // A 2048-bit signature is 342 characters: its last one has unused bits.
  const token = await tokenWhere(2048, (parts) => parts.every((part) => part.length % 4 !== 0))
  tt.doesNotThrow(() => decodeToken(token), 'the canonical token decodes')
  for (const [name, variant] of variants(tt, token, nonCanonicalSibling)) {
    tt.throws(() => decodeToken(variant), { code: 'malformed_token' }, `${name}: non-canonical last character`)
  }
})

t.test('a two-character tail carries 4 unused bits: any one of them set is malformed_token', async (tt) => {
  // A 2048-bit signature is 342 characters (342 % 4 == 2); header and payload lengths are chosen alike.
  const token = await tokenWhere(2048, (parts) => parts.every((part) => part.length % 4 === 2))
  tt.doesNotThrow(() => decodeToken(token), 'the canonical token decodes')
  for (const bit of [1, 2, 4, 8]) {
    const withBit = (part: string) => part.slice(0, -1) + ALPHABET[ALPHABET.indexOf(part.at(-1)!) | bit]
    for (const [name, variant] of variants(tt, token, withBit)) {
      tt.throws(() => decodeToken(variant), { code: 'malformed_token' }, `${name}: unused bit ${bit} of the last character set`)
    }
  }
})

t.test('a part whose length leaves one dangling character is malformed_token', async (tt) => {
  // A 3072-bit signature is 512 characters, so every part can have a length that is a multiple of 4.
  const token = await tokenWhere(3072, (parts) => parts.every((part) => part.length % 4 === 0))
  tt.doesNotThrow(() => decodeToken(token), 'the canonical token decodes')
  for (const [name, variant] of variants(tt, token, (part) => `${part}A`)) {
    tt.throws(() => decodeToken(variant), { code: 'malformed_token' }, `${name}: length % 4 == 1`)
  }
})

t.test('padding and characters outside base64url are malformed_token; an empty signature is well-formed', async (tt) => {
  const [h, p, s] = (await tokenWhere(2048, () => true)).split('.')
  tt.throws(() => decodeToken(`${h}.${p}.${s}=`), { code: 'malformed_token' }, 'padded signature')
  tt.throws(() => decodeToken(`${h}.${p}.${s!.slice(0, -2)}+/`), { code: 'malformed_token' }, 'base64 (not url) alphabet')
  tt.same(decodeToken(`${h}.${p}.`).signature, Buffer.alloc(0))
})

t.test('header and payload bytes that are not UTF-8, or start with a byte order mark, are malformed_token', async (tt) => {
  const part = (bytes: Buffer) => bytes.toString('base64url')
  const latin1 = (s: string) => Buffer.from(s, 'latin1')
  const object = part(Buffer.from('{"alg":"RS256"}'))
  for (const [label, bytes] of [
    ['a 0xFF byte', latin1('{"alg":"RS256","x":"\xff"}')],
    ['a lone continuation byte', latin1('{"alg":"RS256","x":"\x80"}')],
    ['an overlong encoding of "/"', latin1('{"alg":"RS256","x":"\xc0\xaf"}')],
    ['a byte order mark', Buffer.from('\uFEFF{"alg":"RS256"}')],
  ] as const) {
    tt.throws(() => decodeToken(`${part(bytes)}.${object}.`), { code: 'malformed_token', detail: 'token header is not valid base64url JSON' }, `header: ${label}`)
    tt.throws(() => decodeToken(`${object}.${part(bytes)}.`), { code: 'malformed_token', detail: 'token payload is not valid base64url JSON' }, `payload: ${label}`)
  }
  tt.same(decodeToken(`${object}.${part(Buffer.from('{"sub":"é😀"}'))}.`).payload, { sub: 'é😀' }, 'well-formed multi-byte UTF-8 decodes')
})
