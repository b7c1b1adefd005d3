// decodeToken's shortcuts must not change what it accepts: the parsed-header cache, and counting UTF-8 bytes
// only when a token's length leaves the 8 KiB limit in doubt.
import t from 'tap'
import { AppError } from '../../src/errors.js'
import { MAX_TOKEN_BYTES, decodeToken } from '../../src/tokens/decode-token.js'

const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const token = (header: unknown, payload: unknown = { sub: 'u' }) => `${enc(header)}.${enc(payload)}.c2ln`
const detailOf = (fn: () => unknown) => {
  try {
    fn()
    return 'accepted'
  } catch (err) {
    return err instanceof AppError ? err.detail : String(err)
  }
}

t.test('tokens with one header segment share one frozen header object; their payloads stay their own', async (tt) => {
  const header = { alg: 'RS256', kid: 'shared' }
  const a = decodeToken(token(header, { sub: 'a' }))
  const b = decodeToken(token(header, { sub: 'b' }))
  tt.equal(a.header, b.header)
  tt.ok(Object.isFrozen(a.header))
  tt.same(a.header, header)
  tt.same([a.payload.sub, b.payload.sub], ['a', 'b'])
})

t.test('a malformed header is refused every time, never remembered', async (tt) => {
  const bad = `${Buffer.from('[1]').toString('base64url')}.${enc({})}.c2ln`
  tt.equal(detailOf(() => decodeToken(bad)), 'token header is not a JSON object')
  tt.equal(detailOf(() => decodeToken(bad)), 'token header is not a JSON object')
})

t.test('more distinct headers than the cache holds: each still parsed right, the first again too', async (tt) => {
  const wrong: string[] = []
  for (let i = 0; i < 600; i++) {
    const decoded = decodeToken(token({ alg: 'RS256', kid: `k-${i}` }))
    if (decoded.header.kid !== `k-${i}`) wrong.push(`k-${i}`)
  }
  tt.same(wrong, [])
  tt.equal(decodeToken(token({ alg: 'RS256', kid: 'k-0' })).header.kid, 'k-0')
})

t.test('the size limit counts UTF-8 bytes, whatever the number of characters', async (tt) => {
  const tooLong = `token is longer than ${MAX_TOKEN_BYTES} bytes`
  // '€' is 3 bytes in UTF-8 and one UTF-16 unit.
  const euros = (n: number, tail: string) => '€'.repeat(n) + tail
  tt.equal(MAX_TOKEN_BYTES, 8192)
  tt.not(detailOf(() => decodeToken(euros(2730, 'ab'))), tooLong, '2,732 characters, 8,192 bytes: not too long')
  tt.equal(detailOf(() => decodeToken(euros(2730, 'abc'))), tooLong, '2,733 characters, 8,193 bytes')
  tt.not(detailOf(() => decodeToken('a'.repeat(8192))), tooLong, '8,192 ASCII characters')
  tt.equal(detailOf(() => decodeToken('a'.repeat(8193))), tooLong, '8,193 ASCII characters')
  tt.equal(detailOf(() => decodeToken(euros(1, 'a'.repeat(8190)))), tooLong, '8,191 characters, 8,193 bytes')
})
