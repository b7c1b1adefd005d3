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

t.test('each refusal carries its exact detail', async (tt) => {
  const enc = (s: string) => Buffer.from(s).toString('base64url')
  const object = enc('{"alg":"RS256"}')
  const refused = (token: string, detail: string, message: string) => tt.throws(() => decodeToken(token), { code: 'malformed_token', detail }, message)
  refused('', 'token has 1 dot-separated parts, expected 3', 'empty')
  refused(`${object}.${object}`, 'token has 2 dot-separated parts, expected 3', 'two parts')
  refused(`${object}.${object}..`, 'token has 4 dot-separated parts, expected 3', 'four parts')
  for (const json of ['null', '"doc"', '[]', '[{"alg":"RS256"}]', '7', 'true']) {
    refused(`${enc(json)}.${object}.`, 'token header is not a JSON object', `header ${json}`)
    refused(`${object}.${enc(json)}.`, 'token payload is not a JSON object', `payload ${json}`)
  }
  refused(`${enc('{"alg":')}.${object}.`, 'token header is not valid base64url JSON', 'truncated header JSON')
  refused(`${object}.${enc('not json')}.`, 'token payload is not valid base64url JSON', 'payload not JSON')
  refused(`.${object}.`, 'token header is not valid base64url JSON', 'empty header')
  refused(`${object}..`, 'token payload is not valid base64url JSON', 'empty payload')
})

t.test('a character outside base64url anywhere in a part is refused, not only at its end', async (tt) => {
  const enc = (s: string) => Buffer.from(s).toString('base64url')
  const h = enc('{"alg":"RS256","typ":"JWT","kid":"abc"}')
  const p = enc('{"sub":"user-1","iss":"https://acme.example"}')
  const s = Buffer.alloc(32, 7).toString('base64url')
  tt.doesNotThrow(() => decodeToken(`${h}.${p}.${s}`), 'the unchanged token decodes')
  const detail = 'token parts must be unpadded base64url in canonical form'
  const swap = (part: string, at: number, c: string) => part.slice(0, at) + c + part.slice(at + 1)
  for (const c of ['+', '/', '=', ' ', '!']) {
    for (const at of [0, 5]) {
      tt.throws(() => decodeToken(`${swap(h, at, c)}.${p}.${s}`), { code: 'malformed_token', detail }, `header: ${JSON.stringify(c)} at ${at}`)
      tt.throws(() => decodeToken(`${h}.${swap(p, at, c)}.${s}`), { code: 'malformed_token', detail }, `payload: ${JSON.stringify(c)} at ${at}`)
      tt.throws(() => decodeToken(`${h}.${p}.${swap(s, at, c)}`), { code: 'malformed_token', detail }, `signature: ${JSON.stringify(c)} at ${at}`)
    }
  }
})

t.test('a three-character tail has 2 unused bits: the 4 data bits of the last character may take any value', async (tt) => {
  const enc = (s: string) => Buffer.from(s).toString('base64url')
  const object = enc('{"alg":"RS256"}')
  // 32 bytes → 43 characters (43 % 4 == 3): the last character carries 4 data bits and 2 unused ones.
  const bytes = Buffer.alloc(32, 0)
  const accepted: number[] = []
  for (let last = 0; last < 16; last++) {
    bytes[31] = last
    const s = bytes.toString('base64url')
    tt.equal(s.length % 4, 3)
    if (decodeToken(`${object}.${object}.${s}`).signature.equals(bytes)) accepted.push(last)
  }
  tt.same(accepted, [...Array(16).keys()], 'every canonical spelling decodes to its bytes')
  const s = Buffer.alloc(32, 0).toString('base64url')
  for (const bit of [1, 2]) {
    const variant = s.slice(0, -1) + ALPHABET[ALPHABET.indexOf(s.at(-1)!) | bit]
    tt.throws(() => decodeToken(`${object}.${object}.${variant}`), { code: 'malformed_token' }, `unused bit ${bit} set`)
  }
})

t.test('a decoded token carries the signing input and the signature bytes', async (tt) => {
  const enc = (s: string) => Buffer.from(s).toString('base64url')
  const h = enc('{"alg":"RS256","kid":"signing-input"}')
  const p = enc('{"sub":"u1"}')
  const signature = Buffer.from([0xfb, 0xff, 0x00, 0x01, 0x02])
  const decoded = decodeToken(`${h}.${p}.${signature.toString('base64url')}`)
  tt.equal(decoded.signingInput, `${h}.${p}`)
  tt.same(decoded.signature, signature)
  tt.same(decoded.header, { alg: 'RS256', kid: 'signing-input' })
  tt.same(decoded.payload, { sub: 'u1' })
})
